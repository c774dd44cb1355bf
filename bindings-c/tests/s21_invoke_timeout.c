/* S21: invoke_method with a short response timeout on a module whose callback never answers
 * fails with EDGEMODULE_E_TIMEOUT (the hub's 504, transient) within the timeout plus a small
 * margin; the module's other method callbacks keep working meanwhile. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "traffic.h"

static edgemodule_method_response_t *g_held;
static th_counter g_hang_calls;

static void on_hang(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                    edgemodule_method_response_t *response) {
    (void)ctx, (void)name, (void)name_len, (void)payload, (void)payload_len;
    g_held = response; /* never answered in time */
    th_counter_add(&g_hang_calls, 1);
}

static void on_ping(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                    edgemodule_method_response_t *response) {
    (void)ctx, (void)name, (void)name_len, (void)payload, (void)payload_len;
    TH_OK(edgemodule_method_respond(response, 200, "\"pong\"", EDGEMODULE_NUL_TERMINATED));
}

int main(void) {
    th_begin("s21_invoke_timeout", 120);
    th_counter_init(&g_hang_calls);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *mute = th_client(&hub, "mute");
    TH_OK(edgemodule_client_set_method_callback(mute, "hang", 4, on_hang, NULL, NULL));
    TH_OK(edgemodule_client_set_method_callback(mute, "ping", 4, on_ping, NULL, NULL));
    TH_OK(edgemodule_client_connect(mute));
    edgemodule_client_t *caller = th_client(&hub, "caller");
    const char *device = NULL;
    size_t device_len = 0;
    TH_OK(edgemodule_client_device_id(caller, &device, &device_len));

    int32_t status = -1;
    long long started = th_now_ms();
    int32_t rc = edgemodule_client_invoke_method(caller, device, device_len, "mute", 4, "hang", 4, NULL, 0, 5000, 0,
                                                 &status, NULL, NULL);
    long long took = th_now_ms() - started;
    printf("[s21_invoke_timeout] %s after %lld ms: %s\n", edgemodule_error_name(rc), took, th_last_error());
    TH_RC(EDGEMODULE_E_TIMEOUT, rc);
    TH_CHECK(edgemodule_error_is_transient(rc) == 1);
    TH_CHECK(took >= 4500 && took < 8000);
    TH_CHECK(th_counter_get(&g_hang_calls) == 1);

    char *payload = NULL;
    size_t len = 0;
    TH_OK(edgemodule_client_invoke_method(caller, device, device_len, "mute", 4, "ping", 4, NULL, 0, 5000, 0, &status,
                                          &payload, &len));
    TH_CHECK(status == 200 && strcmp(payload, "\"pong\"") == 0); /* another callback runs meanwhile */
    edgemodule_string_free(payload);

    /* The late answer goes nowhere (the caller gave up); the handle is consumed either way. */
    rc = edgemodule_method_respond(g_held, 200, "\"too late\"", EDGEMODULE_NUL_TERMINATED);
    TH_CHECK(rc == EDGEMODULE_OK || rc == EDGEMODULE_E_CLOSED);

    edgemodule_client_free(caller);
    edgemodule_client_free(mute);
    return th_end();
}
