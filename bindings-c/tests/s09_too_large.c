/* S09: an oversized message fails with MESSAGE_TOO_LARGE (blocking and async) and the
 * client stays usable. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_counter g_received;
static th_counter g_done;
static int32_t g_done_result = -1;

static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)call;
    (void)ctx;
    const uint8_t *body = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_body(message, &body, &len));
    TH_CHECK(len == 5 && memcmp(body, "small", 5) == 0);
    th_counter_add(&g_received, 1);
    return EDGEMODULE_OK;
}

static void on_done(void *ctx, int32_t result) {
    (void)ctx;
    g_done_result = result;
    char message[256];
    edgemodule_last_error_message(message, sizeof message);
    TH_CHECK(strstr(message, "262144") != NULL); /* the message explains the limit */
    th_counter_add(&g_done, 1);
}

int main(void) {
    th_begin("s09_too_large", 120);
    th_counter_init(&g_received);
    th_counter_init(&g_done);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", 6, on_input, NULL, NULL));
    TH_OK(edgemodule_client_connect(receiver));
    edgemodule_client_t *sender = th_client(&hub, "sender");
    TH_OK(edgemodule_client_connect(sender));

    size_t big_len = 300 * 1024;
    uint8_t *big = calloc(big_len, 1);
    TH_CHECK(big != NULL);
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new(big, big_len, &m));
    free(big);
    TH_RC(EDGEMODULE_E_MESSAGE_TOO_LARGE, edgemodule_client_send_output(sender, "output1", 7, m));
    TH_CHECK(strstr(th_last_error(), "262144") != NULL);
    TH_OK(edgemodule_client_send_output_async(sender, "output1", 7, m, on_done, NULL, NULL));
    TH_CHECK(th_counter_wait(&g_done, 1, 10000));
    TH_CHECK(g_done_result == EDGEMODULE_E_MESSAGE_TOO_LARGE);
    edgemodule_message_t *batch[2] = {NULL, m};
    TH_OK(edgemodule_message_new((const uint8_t *)"small", 5, &batch[0]));
    TH_RC(EDGEMODULE_E_MESSAGE_TOO_LARGE,
          edgemodule_client_send_output_batch(sender, "output1", 7, (const edgemodule_message_t *const *)batch, 2));

    /* Still connected and usable; nothing of the refused sends arrived. */
    int32_t state = -1, reason = -1;
    TH_OK(edgemodule_client_get_status(sender, &state, &reason));
    TH_CHECK(state == EDGEMODULE_STATE_CONNECTED);
    TH_OK(edgemodule_client_send_output(sender, "output1", 7, batch[0]));
    TH_CHECK(th_counter_wait(&g_received, 1, 15000));
    th_sleep_ms(300);
    TH_CHECK(th_counter_get(&g_received) == 1);

    edgemodule_message_free(batch[0]);
    edgemodule_message_free(m);
    edgemodule_client_free(sender);
    edgemodule_client_free(receiver);
    return th_end();
}
