/*
 * A consumer of the *installed* edgemodule package (see run.sh).
 *
 *   roundtrip                 as module "roundtrip": send to output "out" (routed back to
 *                             its own input "in"), receive it, read the twin; prints
 *                             "roundtrip: OK"
 *   roundtrip send OUT JSON   send JSON (application/json) to output OUT and exit
 *
 * The module identity comes from the environment (edgemodule-hub env).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <edgemodule.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static int received;

static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)call;
    const uint8_t *body = NULL;
    size_t len = 0;
    (void)ctx;
    if (edgemodule_message_body(message, &body, &len) == EDGEMODULE_OK && len == 4 && memcmp(body, "ping", 4) == 0) {
        pthread_mutex_lock(&lock);
        received = 1;
        pthread_cond_signal(&arrived);
        pthread_mutex_unlock(&lock);
    }
    return EDGEMODULE_OK;
}

static int fail(const char *what, int32_t rc) {
    char message[512];
    edgemodule_last_error_message(message, sizeof message);
    fprintf(stderr, "roundtrip: %s: %s (%s)\n", what, edgemodule_error_name(rc), message);
    return 1;
}

static int send_json(const char *output, const char *json) {
    edgemodule_client_t *client = NULL;
    edgemodule_message_t *message = NULL;
    int32_t rc = edgemodule_client_new_from_environment(&client);
    if (rc) return fail("create", rc);
    rc = edgemodule_message_new((const uint8_t *)json, strlen(json), &message);
    if (!rc) rc = edgemodule_message_set_system_property(message, EDGEMODULE_PROPERTY_CONTENT_TYPE,
                                                         "application/json", EDGEMODULE_NUL_TERMINATED);
    if (!rc) rc = edgemodule_message_set_system_property(message, EDGEMODULE_PROPERTY_CONTENT_ENCODING, "utf-8",
                                                         EDGEMODULE_NUL_TERMINATED);
    if (!rc) rc = edgemodule_client_send_output(client, output, EDGEMODULE_NUL_TERMINATED, message);
    edgemodule_message_free(message);
    edgemodule_client_free(client);
    edgemodule_shutdown(5000);
    return rc ? fail("send", rc) : 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "send") == 0) return send_json(argv[2], argv[3]);

    edgemodule_client_t *client = NULL;
    int32_t rc = edgemodule_client_new_from_environment(&client);
    if (rc) return fail("create", rc);
    if ((rc = edgemodule_client_set_input_callback(client, "in", 2, on_input, NULL, NULL))) return fail("register", rc);
    if ((rc = edgemodule_client_connect(client))) return fail("connect", rc);

    edgemodule_message_t *message = NULL;
    if ((rc = edgemodule_message_new((const uint8_t *)"ping", 4, &message))) return fail("message", rc);
    rc = edgemodule_client_send_output(client, "out", 3, message);
    edgemodule_message_free(message);
    if (rc) return fail("send", rc);

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 20;
    pthread_mutex_lock(&lock);
    while (!received && pthread_cond_timedwait(&arrived, &lock, &deadline) == 0) {
    }
    int ok = received;
    pthread_mutex_unlock(&lock);
    if (!ok) {
        fprintf(stderr, "roundtrip: the message did not come back\n");
        return 1;
    }

    char *twin = NULL;
    if ((rc = edgemodule_client_get_twin(client, &twin, NULL))) return fail("get twin", rc);
    int has_desired = strstr(twin, "\"desired\"") != NULL;
    edgemodule_string_free(twin);
    edgemodule_client_free(client);
    if ((rc = edgemodule_shutdown(5000))) return fail("shutdown", rc);
    if (!has_desired) return fail("twin has no desired section", EDGEMODULE_E_PROTOCOL);
    printf("roundtrip: OK (edgemodule %s)\n", edgemodule_version());
    return 0;
}
