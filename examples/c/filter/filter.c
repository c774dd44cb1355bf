/*
 * Sample filter module in C: reads input1, forwards messages whose JSON "temperature"
 * exceeds the desired property TemperatureThreshold (default 25) to output1, reports the
 * threshold in use, and answers the "reset" direct method with the number of messages
 * forwarded since the last reset. Same behaviour as examples/rust/filter.
 *
 * Run it with the environment IoT Edge gives a module (or `edgemodule-hub env filter`).
 * Stop it with Ctrl-C or SIGTERM.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edgemodule.h>

#include "json_number.h"

#define DEFAULT_THRESHOLD 25.0

/* State shared by the callbacks (which run on the client's delivery thread, one at a
 * time) and main; the mutex makes reads from main safe. */
typedef struct {
    edgemodule_client_t *client;
    pthread_mutex_t lock;
    double threshold;
    int reported_known;
    double reported;
    unsigned long forwarded;
} filter_t;

static void log_error(const char *what, int32_t rc) {
    char message[512];
    edgemodule_last_error_message(message, sizeof message);
    fprintf(stderr, "filter: %s failed: %s (%s)\n", what, edgemodule_error_name(rc), message);
}

/* edgemodule's own log records (connected, connection lost, reconnecting, token renewal,
 * handler failures), on the library's edgemodule-log thread. */
static void on_log(void *ctx, int32_t level, const char *target, size_t target_len, const char *area,
                   size_t area_len, const char *message, size_t message_len, const char *fields,
                   size_t fields_len) {
    static const char *names[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
    (void)ctx;
    (void)target;
    (void)target_len;
    fprintf(stderr, "edgemodule %s %.*s: %.*s %.*s\n", names[level >= 0 && level <= 5 ? level : 0],
            (int)area_len, area, (int)message_len, message, (int)fields_len, fields);
}

/* A message the filter gave up on, or one nothing handles (also logged). */
static void on_background_error(void *ctx, int32_t kind, int32_t family, const char *name, size_t name_len,
                                const char *message, size_t message_len) {
    (void)ctx;
    fprintf(stderr, "filter: %s (%s %.*s): %.*s\n", edgemodule_background_kind_name(kind),
            edgemodule_handler_family_name(family), (int)name_len, name, (int)message_len, message);
}

/* Reports the threshold when the twin does not show it yet. */
static void report_threshold(filter_t *f) {
    pthread_mutex_lock(&f->lock);
    double threshold = f->threshold;
    int needed = !f->reported_known || f->reported != threshold;
    pthread_mutex_unlock(&f->lock);
    if (!needed) return;
    char patch[64];
    int n = snprintf(patch, sizeof patch, "{\"TemperatureThreshold\":%g}", threshold);
    int32_t rc = edgemodule_client_patch_reported(f->client, patch, (size_t)n);
    if (rc != EDGEMODULE_OK) {
        log_error("reporting the threshold", rc);
        return;
    }
    pthread_mutex_lock(&f->lock);
    f->reported_known = 1;
    f->reported = threshold;
    pthread_mutex_unlock(&f->lock);
}

/* input1: forward hot readings, then report the message processed (it is acknowledged). If
 * forwarding fails, report a failure: edgemodule calls this again with the same message
 * after the retry delay (option handler_attempts calls in all). */
static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)call;
    filter_t *f = ctx;
    const uint8_t *body = NULL;
    size_t len = 0;
    double temperature = 0;
    if (edgemodule_message_body(message, &body, &len) != EDGEMODULE_OK ||
        !json_number((const char *)body, len, NULL, "temperature", &temperature)) {
        fprintf(stderr, "filter: skipping a message without a numeric temperature\n");
        return EDGEMODULE_OK;
    }
    pthread_mutex_lock(&f->lock);
    double threshold = f->threshold;
    pthread_mutex_unlock(&f->lock);
    if (temperature <= threshold) return EDGEMODULE_OK;

    int32_t rc = edgemodule_client_send_output(f->client, "output1", EDGEMODULE_NUL_TERMINATED, message);
    if (rc != EDGEMODULE_OK) {
        log_error("forwarding (will retry)", rc);
        return rc;
    }
    pthread_mutex_lock(&f->lock);
    unsigned long forwarded = ++f->forwarded;
    pthread_mutex_unlock(&f->lock);
    printf("filter: forwarded %g (> %g), %lu since reset\n", temperature, threshold, forwarded);
    return EDGEMODULE_OK;
}

/* Desired properties changed: take the new threshold and report it. A patch without the
 * threshold (or a catch-up, `full`, without it) leaves the current one. */
static int32_t on_desired(void *ctx, const char *patch, size_t len, int64_t version, int32_t full,
                          edgemodule_handler_call_t *call) {
    (void)full;
    (void)call;
    filter_t *f = ctx;
    double threshold = 0;
    if (!json_number(patch, len, NULL, "TemperatureThreshold", &threshold)) return EDGEMODULE_OK;
    pthread_mutex_lock(&f->lock);
    f->threshold = threshold;
    pthread_mutex_unlock(&f->lock);
    printf("filter: threshold now %g (desired $version %lld)\n", threshold, (long long)version);
    report_threshold(f);
    return EDGEMODULE_OK;
}

/* The "reset" method: answer with the count and start again from zero. */
static void on_reset(void *ctx, const char *name, size_t name_len, const char *payload,
                     size_t payload_len, edgemodule_method_response_t *response) {
    filter_t *f = ctx;
    (void)name;
    (void)name_len;
    (void)payload;
    (void)payload_len;
    pthread_mutex_lock(&f->lock);
    unsigned long forwarded = f->forwarded;
    f->forwarded = 0;
    pthread_mutex_unlock(&f->lock);
    printf("filter: reset after %lu forwarded messages\n", forwarded);
    char answer[96];
    int n = snprintf(answer, sizeof answer, "{\"reset\":true,\"forwarded\":%lu}", forwarded);
    int32_t rc = edgemodule_method_respond(response, 200, answer, (size_t)n);
    if (rc != EDGEMODULE_OK) log_error("answering reset", rc);
}

int main(void) {
    /* Block the stop signals in every thread (the library's threads inherit this mask);
     * main waits for them with sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);

    filter_t f;
    memset(&f, 0, sizeof f);
    pthread_mutex_init(&f.lock, NULL);
    f.threshold = DEFAULT_THRESHOLD;

    /* INFO and above to stderr; nothing is formatted for the levels left out. */
    edgemodule_set_log_callback(EDGEMODULE_LOG_INFO, on_log, NULL, NULL);
    int32_t rc = edgemodule_client_new_from_environment(&f.client);
    if (rc != EDGEMODULE_OK) {
        log_error("creating the client", rc);
        return 1;
    }
    /* Register the callbacks before connecting so nothing waits for a consumer. */
    if ((rc = edgemodule_client_set_background_error_callback(f.client, on_background_error, NULL, NULL)) ||
        (rc = edgemodule_client_set_input_callback(f.client, "input1", EDGEMODULE_NUL_TERMINATED, on_input, &f, NULL)) ||
        (rc = edgemodule_client_set_desired_callback(f.client, on_desired, &f, NULL)) ||
        (rc = edgemodule_client_set_method_callback(f.client, "reset", EDGEMODULE_NUL_TERMINATED, on_reset, &f, NULL)) ||
        (rc = edgemodule_client_connect(f.client))) {
        log_error("starting", rc);
        edgemodule_client_free(f.client);
        edgemodule_shutdown(5000);
        return 1;
    }

    char *twin = NULL;
    if ((rc = edgemodule_client_get_twin(f.client, &twin, NULL)) != EDGEMODULE_OK) {
        log_error("reading the twin", rc);
    } else {
        double value = 0;
        pthread_mutex_lock(&f.lock);
        if (json_number(twin, strlen(twin), "desired", "TemperatureThreshold", &value)) f.threshold = value;
        if (json_number(twin, strlen(twin), "reported", "TemperatureThreshold", &value)) {
            f.reported_known = 1;
            f.reported = value;
        }
        pthread_mutex_unlock(&f.lock);
        edgemodule_string_free(twin);
    }
    report_threshold(&f);

    const char *device = NULL, *module = NULL;
    size_t device_len = 0, module_len = 0;
    edgemodule_client_device_id(f.client, &device, &device_len);
    edgemodule_client_module_id(f.client, &module, &module_len);
    pthread_mutex_lock(&f.lock);
    printf("filter: connected as %.*s/%.*s, threshold %g\n", (int)device_len, device, (int)module_len, module,
           f.threshold);
    pthread_mutex_unlock(&f.lock);

    int signal_number = 0;
    sigwait(&stop, &signal_number);
    printf("filter: stopping\n");
    edgemodule_client_free(f.client); /* waits for a running callback, then frees */
    edgemodule_shutdown(5000);
    pthread_mutex_destroy(&f.lock);
    return 0;
}
