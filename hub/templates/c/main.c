/*
 * {{name}}: an IoT Edge module on edgemodule (C).
 *
 * Forwards messages from input1 to output1 while the desired property Enabled is true,
 * reports Enabled, and answers the direct method "status". It connects with the
 * environment IoT Edge gives a module (`edgemodule-hub env {{name}}` prints it). Stop it
 * with Ctrl-C or SIGTERM.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <edgemodule.h>

#include "module_state.h"

typedef struct {
    edgemodule_client_t *client;
    pthread_mutex_t lock; /* callbacks run on the client's delivery thread; main reads too */
    module_state_t state;
} app_t;

static void log_error(const char *what, int32_t rc) {
    char message[512];
    edgemodule_last_error_message(message, sizeof message);
    fprintf(stderr, "{{name}}: %s failed: %s (%s)\n", what, edgemodule_error_name(rc), message);
}

/* input1: forward while enabled. A failed send is returned as the outcome: edgemodule calls
 * this again with the same message after the retry delay, then reports it as a background
 * error. */
static int32_t on_input1(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    app_t *app = ctx;
    (void)call;
    pthread_mutex_lock(&app->lock);
    int forward = module_state_should_forward(&app->state);
    pthread_mutex_unlock(&app->lock);
    if (!forward) return EDGEMODULE_OK;
    int32_t rc = edgemodule_client_send_output(app->client, "output1", EDGEMODULE_NUL_TERMINATED, message);
    if (rc != EDGEMODULE_OK) {
        log_error("forwarding (will retry)", rc);
        return rc;
    }
    pthread_mutex_lock(&app->lock);
    module_state_count_forwarded(&app->state);
    pthread_mutex_unlock(&app->lock);
    return EDGEMODULE_OK;
}

/* Desired properties (the whole desired section at start, then patches). */
static void apply_desired(app_t *app, const char *json, size_t len) {
    char reported[64];
    pthread_mutex_lock(&app->lock);
    int changed = module_state_apply_desired(&app->state, json, len, reported, sizeof reported);
    pthread_mutex_unlock(&app->lock);
    if (!changed) return;
    int32_t rc = edgemodule_client_patch_reported(app->client, reported, strlen(reported));
    if (rc != EDGEMODULE_OK) log_error("reporting Enabled", rc);
    else printf("{{name}}: reported %s\n", reported);
}

static int32_t on_desired(void *ctx, const char *patch, size_t len, int64_t version, int32_t full,
                          edgemodule_handler_call_t *call) {
    (void)version;
    (void)full; /* a catch-up patch holds the whole desired section: applied the same way */
    (void)call;
    apply_desired(ctx, patch, len);
    return EDGEMODULE_OK;
}

/* A message given up on after its retries, or one nothing handles. */
static void on_background_error(void *ctx, int32_t kind, int32_t family, const char *name, size_t name_len,
                                const char *message, size_t message_len) {
    (void)ctx;
    fprintf(stderr, "{{name}}: %s (%s %.*s): %.*s\n", edgemodule_background_kind_name(kind),
            edgemodule_handler_family_name(family), (int)name_len, name, (int)message_len, message);
}

static void on_status(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                      edgemodule_method_response_t *response) {
    app_t *app = ctx;
    (void)name;
    (void)name_len;
    (void)payload;
    (void)payload_len;
    char answer[96];
    pthread_mutex_lock(&app->lock);
    module_state_status(&app->state, answer, sizeof answer);
    pthread_mutex_unlock(&app->lock);
    int32_t rc = edgemodule_method_respond(response, 200, answer, strlen(answer));
    if (rc != EDGEMODULE_OK) log_error("answering status", rc);
}

int main(void) {
    /* Block the stop signals in every thread (the library's threads inherit the mask). */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);

    app_t app;
    memset(&app, 0, sizeof app);
    pthread_mutex_init(&app.lock, NULL);
    module_state_init(&app.state);

    int32_t rc = edgemodule_client_new_from_environment(&app.client);
    if (rc != EDGEMODULE_OK) {
        log_error("creating the client", rc);
        return 1;
    }
    /* Callbacks before connecting, so nothing waits for a consumer. */
    if ((rc = edgemodule_client_set_background_error_callback(app.client, on_background_error, NULL, NULL)) ||
        (rc = edgemodule_client_set_input_callback(app.client, "input1", EDGEMODULE_NUL_TERMINATED, on_input1, &app, NULL)) ||
        (rc = edgemodule_client_set_desired_callback(app.client, on_desired, &app, NULL)) ||
        (rc = edgemodule_client_set_method_callback(app.client, "status", EDGEMODULE_NUL_TERMINATED, on_status, &app, NULL)) ||
        (rc = edgemodule_client_connect(app.client))) {
        log_error("starting", rc);
        edgemodule_client_free(app.client);
        edgemodule_shutdown(5000);
        return 1;
    }
    char *twin = NULL;
    if ((rc = edgemodule_client_get_twin(app.client, &twin, NULL)) == EDGEMODULE_OK) {
        apply_desired(&app, twin, strlen(twin));
        edgemodule_string_free(twin);
    } else {
        log_error("reading the twin", rc);
    }
    printf("{{name}}: connected\n");

    int signal_number = 0;
    sigwait(&stop, &signal_number);
    printf("{{name}}: stopping\n");
    edgemodule_client_free(app.client); /* waits for a running callback, then frees */
    edgemodule_shutdown(5000);
    pthread_mutex_destroy(&app.lock);
    return 0;
}
