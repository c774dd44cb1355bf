/* S12: a failing handler: a failed input callback is called again with the same message
 * (the core's retry policy); a method callback that drops its response handle gets the
 * core's failure reply (500); the client keeps running. */
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_counter g_deliveries;
static th_counter g_accepted;

/* Fails the first call for each message, processes the second. */
static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)call;
    (void)ctx;
    (void)message;
    long n = th_counter_get(&g_deliveries);
    th_counter_add(&g_deliveries, 1);
    if (n % 2 == 0) return EDGEMODULE_E_SERVICE;
    th_counter_add(&g_accepted, 1);
    return EDGEMODULE_OK;
}

static atomic_int g_fail_methods = 1;
static void on_method(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                      edgemodule_method_response_t *response) {
    (void)ctx;
    (void)name;
    (void)name_len;
    (void)payload;
    (void)payload_len;
    if (g_fail_methods) {
        edgemodule_method_response_free(response); /* "throws": no answer */
        return;
    }
    TH_OK(edgemodule_method_respond(response, 200, "{\"ok\":true}", EDGEMODULE_NUL_TERMINATED));
}

static void send(edgemodule_client_t *sender, const char *text) {
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)text, strlen(text), &m));
    TH_OK(edgemodule_client_send_output(sender, "output1", 7, m));
    edgemodule_message_free(m);
}

int main(void) {
    th_begin("s12_failing_handlers", 120);
    th_counter_init(&g_deliveries);
    th_counter_init(&g_accepted);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", 6, on_input, NULL, NULL));
    TH_OK(edgemodule_client_set_default_method_callback(receiver, on_method, NULL, NULL));
    TH_OK(edgemodule_client_connect(receiver));
    edgemodule_client_t *sender = th_client(&hub, "sender");

    send(sender, "first");
    TH_CHECK(th_counter_wait(&g_accepted, 1, 15000));
    TH_CHECK(th_counter_get(&g_deliveries) == 2); /* failed once, called again, processed */

    static char out[8192];
    TH_CHECK(th_cli(&hub, out, sizeof out, "invoke", "receiver", "explode", "{}", "--timeout", "15", NULL) == 0);
    long long status = 0;
    TH_CHECK(th_json_int(out, NULL, "status", &status) && status == 500);

    /* Still running: the next message and the next call work. */
    g_fail_methods = 0;
    send(sender, "second");
    TH_CHECK(th_counter_wait(&g_accepted, 2, 15000));
    TH_CHECK(th_counter_get(&g_deliveries) == 4);
    TH_CHECK(th_cli(&hub, out, sizeof out, "invoke", "receiver", "fine", "{}", "--timeout", "15", NULL) == 0);
    TH_CHECK(th_json_int(out, NULL, "status", &status) && status == 200);
    int32_t state = -1, reason = -1;
    TH_OK(edgemodule_client_get_status(receiver, &state, &reason));
    TH_CHECK(state == EDGEMODULE_STATE_CONNECTED);

    edgemodule_client_free(sender);
    edgemodule_client_free(receiver);
    return th_end();
}
