/* S03: an output routed to another module's input arrives with its body and every
 * property intact (blocking and async sends, and the body-only send). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_counter g_received;
static edgemodule_message_t *g_copies[4];
static th_counter g_done;
static int32_t g_done_result = -1;
static th_counter g_done_freed;
static th_counter g_body_done;
static int32_t g_body_results[2] = {-1, -1};
static th_counter g_body_freed;

static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)call;
    TH_CHECK(ctx == (void *)&g_received);
    long i = th_counter_get(&g_received);
    if (i < 4) TH_OK(edgemodule_message_clone(message, &g_copies[i]));
    /* A borrowed message is read-only. */
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT,
          edgemodule_message_set_property((edgemodule_message_t *)message, "k", 1, "v", 1));
    th_counter_add(&g_received, 1);
    return EDGEMODULE_OK;
}

static void on_sent(void *ctx, int32_t result) {
    TH_CHECK(ctx == (void *)&g_done);
    g_done_result = result;
    th_counter_add(&g_done, 1);
}

static void on_sent_free(void *ctx) {
    TH_CHECK(ctx == (void *)&g_done);
    TH_CHECK(th_counter_get(&g_done) == 1); /* after the callback */
    th_counter_add(&g_done_freed, 1);
}

static void on_body_sent(void *ctx, int32_t result) {
    long i = th_counter_get(&g_body_done);
    TH_CHECK(ctx == (void *)&g_body_done && i < 2);
    g_body_results[i] = result;
    th_counter_add(&g_body_done, 1);
}

static void on_body_freed(void *ctx) {
    TH_CHECK(ctx == (void *)&g_body_done);
    th_counter_add(&g_body_freed, 1);
}

static void expect_system(const edgemodule_message_t *m, int32_t property, const char *expected) {
    const char *v = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_get_system_property(m, property, &v, &len));
    TH_CHECK(len == strlen(expected) && memcmp(v, expected, len) == 0);
}

static void expect_property(const edgemodule_message_t *m, const char *key, const char *expected) {
    const char *v = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_get_property(m, key, EDGEMODULE_NUL_TERMINATED, &v, &len));
    TH_CHECK(len == strlen(expected) && memcmp(v, expected, len) == 0);
}

static const uint8_t BODY[] = {'{', '"', 't', '"', ':', '1', '}', 0x00, 0xff, 0x7f};

int main(void) {
    th_begin("s03_routing", 120);
    th_counter_init(&g_received);
    th_counter_init(&g_done);
    th_counter_init(&g_done_freed);
    th_counter_init(&g_body_done);
    th_counter_init(&g_body_freed);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", EDGEMODULE_NUL_TERMINATED, on_input, &g_received, NULL));
    TH_OK(edgemodule_client_connect(receiver));
    edgemodule_client_t *sender = th_client(&hub, "sender");

    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new(BODY, sizeof BODY, &m));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, "mid-1", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_CORRELATION_ID, "cid/1 x", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_CONTENT_TYPE, "application/octet-stream", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_CONTENT_ENCODING, "binary", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_CREATION_TIME, "2026-11-26T10:00:00Z", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_EXPIRY_TIME, "2099-01-01T00:00:00Z", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_SCHEMA, "reading/v1", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_COMPONENT_NAME, "thermostat", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_property(m, "unit", EDGEMODULE_NUL_TERMINATED, "°C", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_property(m, "key with space", EDGEMODULE_NUL_TERMINATED, "a=b&c/d%e", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_property(m, "empty", EDGEMODULE_NUL_TERMINATED, "", 0));

    TH_OK(edgemodule_client_send_output(sender, "output1", EDGEMODULE_NUL_TERMINATED, m));
    TH_CHECK(th_counter_wait(&g_received, 1, 15000));
    edgemodule_message_t *got = g_copies[0];

    const uint8_t *body = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_body(got, &body, &len));
    TH_CHECK(len == sizeof BODY && memcmp(body, BODY, len) == 0);
    expect_system(got, EDGEMODULE_PROPERTY_MESSAGE_ID, "mid-1");
    expect_system(got, EDGEMODULE_PROPERTY_CORRELATION_ID, "cid/1 x");
    expect_system(got, EDGEMODULE_PROPERTY_CONTENT_TYPE, "application/octet-stream");
    expect_system(got, EDGEMODULE_PROPERTY_CONTENT_ENCODING, "binary");
    expect_system(got, EDGEMODULE_PROPERTY_CREATION_TIME, "2026-11-26T10:00:00Z");
    expect_system(got, EDGEMODULE_PROPERTY_EXPIRY_TIME, "2099-01-01T00:00:00Z");
    expect_system(got, EDGEMODULE_PROPERTY_MESSAGE_SCHEMA, "reading/v1");
    expect_system(got, EDGEMODULE_PROPERTY_COMPONENT_NAME, "thermostat");
    expect_system(got, EDGEMODULE_PROPERTY_INPUT_NAME, "input1");
    expect_system(got, EDGEMODULE_PROPERTY_CONNECTION_MODULE_ID, "sender");
    const char *device = NULL;
    size_t device_len = 0;
    TH_OK(edgemodule_client_device_id(sender, &device, &device_len));
    const char *v = NULL;
    size_t vlen = 0;
    TH_OK(edgemodule_message_get_system_property(got, EDGEMODULE_PROPERTY_CONNECTION_DEVICE_ID, &v, &vlen));
    TH_CHECK(vlen == device_len && memcmp(v, device, vlen) == 0);
    expect_property(got, "unit", "°C");
    expect_property(got, "key with space", "a=b&c/d%e");
    expect_property(got, "empty", "");
    TH_CHECK(edgemodule_message_property_count(got) == 3);

    /* The async variant: the message can be freed at once; the callback runs exactly once,
     * then ctx_free. */
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, "mid-2", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_client_send_output_async(sender, "output1", 7, m, on_sent, &g_done, on_sent_free));
    edgemodule_message_free(m);
    TH_CHECK(th_counter_wait(&g_done_freed, 1, 15000));
    TH_CHECK(g_done_result == EDGEMODULE_OK && th_counter_get(&g_done) == 1);
    TH_CHECK(th_counter_wait(&g_received, 2, 15000));
    expect_system(g_copies[1], EDGEMODULE_PROPERTY_MESSAGE_ID, "mid-2");

    /* The body-only send: the bytes alone, no property; the buffer is the caller's again at
     * once. To an output (routed here) and as telemetry (output NULL). */
    uint8_t scratch[sizeof BODY];
    memcpy(scratch, BODY, sizeof BODY);
    TH_OK(edgemodule_client_send_body_async(sender, "output1", 7, scratch, sizeof scratch, on_body_sent, &g_body_done,
                                            on_body_freed));
    memset(scratch, 0, sizeof scratch);
    TH_OK(edgemodule_client_send_body_async(sender, NULL, 0, BODY, sizeof BODY, on_body_sent, &g_body_done,
                                            on_body_freed));
    TH_CHECK(th_counter_wait(&g_body_freed, 2, 15000));
    TH_CHECK(g_body_results[0] == EDGEMODULE_OK && g_body_results[1] == EDGEMODULE_OK);
    TH_CHECK(th_counter_wait(&g_received, 3, 15000));
    TH_OK(edgemodule_message_body(g_copies[2], &body, &len));
    TH_CHECK(len == sizeof BODY && memcmp(body, BODY, len) == 0);
    TH_CHECK(edgemodule_message_property_count(g_copies[2]) == 0);
    TH_RC(EDGEMODULE_E_NOT_FOUND,
          edgemodule_message_get_system_property(g_copies[2], EDGEMODULE_PROPERTY_MESSAGE_ID, &v, &vlen));
    expect_system(g_copies[2], EDGEMODULE_PROPERTY_INPUT_NAME, "input1");
    /* Refused (no client): no callback, the context is freed. */
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT,
          edgemodule_client_send_body_async(NULL, NULL, 0, BODY, sizeof BODY, on_body_sent, &g_body_done, on_body_freed));
    TH_CHECK(th_counter_get(&g_body_freed) == 3 && th_counter_get(&g_body_done) == 2);

    edgemodule_client_free(sender);
    edgemodule_client_free(receiver);
    for (int i = 0; i < 4; i++) edgemodule_message_free(g_copies[i]);
    return th_end();
}
