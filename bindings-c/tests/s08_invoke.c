/* S08: module-to-module invoke_method (blocking and async), and the error for a target
 * that is not connected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void on_add(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                   edgemodule_method_response_t *response) {
    (void)ctx;
    (void)name;
    (void)name_len;
    char text[256];
    long long a = 0, b = 0;
    if (payload_len >= sizeof text) {
        edgemodule_method_response_free(response);
        return;
    }
    memcpy(text, payload, payload_len);
    text[payload_len] = 0;
    if (!th_json_int(text, NULL, "a", &a) || !th_json_int(text, NULL, "b", &b)) {
        TH_OK(edgemodule_method_respond(response, 400, "{\"error\":\"need a and b\"}", EDGEMODULE_NUL_TERMINATED));
        return;
    }
    char answer[64];
    int n = snprintf(answer, sizeof answer, "{\"sum\":%lld}", a + b);
    TH_OK(edgemodule_method_respond(response, 200, answer, (size_t)n));
}

static th_counter g_invoked;
static int32_t g_result = -1, g_status = -1;
static char g_payload[256];

static void on_invoked(void *ctx, int32_t result, int32_t status, const char *json, size_t len) {
    (void)ctx;
    g_result = result;
    g_status = status;
    if (json && len < sizeof g_payload) {
        memcpy(g_payload, json, len);
        g_payload[len] = 0;
    }
    th_counter_add(&g_invoked, 1);
}

int main(void) {
    th_begin("s08_invoke", 150);
    th_counter_init(&g_invoked);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_method_callback(receiver, "add", 3, on_add, NULL, NULL));
    TH_OK(edgemodule_client_connect(receiver));
    edgemodule_client_t *caller = th_client(&hub, "caller");
    const char *device = NULL;
    size_t device_len = 0;
    TH_OK(edgemodule_client_device_id(caller, &device, &device_len));

    int32_t status = 0;
    char *payload = NULL;
    size_t payload_len = 0;
    TH_OK(edgemodule_client_invoke_method(caller, device, device_len, "receiver", EDGEMODULE_NUL_TERMINATED, "add", 3,
                                          "{\"a\":2,\"b\":3}", EDGEMODULE_NUL_TERMINATED, 10000, 0, &status, &payload,
                                          &payload_len));
    long long sum = 0;
    TH_CHECK(status == 200);
    TH_CHECK(payload && strlen(payload) == payload_len && th_json_int(payload, NULL, "sum", &sum) && sum == 5);
    edgemodule_string_free(payload);

    /* A handler status other than 200 comes back as the status, not an error. */
    TH_OK(edgemodule_client_invoke_method(caller, device, device_len, "receiver", 8, "add", 3, "{}", 2, 0, 0,
                                          &status, NULL, NULL));
    TH_CHECK(status == 400);

    /* Async. */
    TH_OK(edgemodule_client_invoke_method_async(caller, device, device_len, "receiver", 8, "add", 3,
                                                "{\"a\":40,\"b\":2}", EDGEMODULE_NUL_TERMINATED, 10000, 0, on_invoked,
                                                NULL, NULL));
    TH_CHECK(th_counter_wait(&g_invoked, 1, 20000));
    TH_CHECK(g_result == EDGEMODULE_OK && g_status == 200);
    TH_CHECK(th_json_int(g_payload, NULL, "sum", &sum) && sum == 42);

    /* The sender module is not connected. */
    TH_RC(EDGEMODULE_E_NOT_FOUND,
          edgemodule_client_invoke_method(caller, device, device_len, "sender", 6, "add", 3, NULL, 0, 5000, 0, &status,
                                          NULL, NULL));
    /* Arguments are checked before anything is sent. */
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT,
          edgemodule_client_invoke_method(caller, device, device_len, "receiver", 8, "add", 3, "{bad", 4, 0, 0,
                                          &status, NULL, NULL));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT,
          edgemodule_client_invoke_method(caller, device, device_len, "receiver", 8, "add", 3, NULL, 0, 1000, 0,
                                          &status, NULL, NULL));

    edgemodule_client_free(caller);
    edgemodule_client_free(receiver);
    return th_end();
}
