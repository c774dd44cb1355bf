/* S04: per-input and default input callbacks; replacing and unregistering; batch send. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

typedef struct {
    th_counter count;
    th_counter freed;
    pthread_mutex_t lock;
    char last_input[64];
    char last_id[64];
    char last_body[64];
} sink;

static void sink_init(sink *s) {
    th_counter_init(&s->count);
    th_counter_init(&s->freed);
    pthread_mutex_init(&s->lock, NULL);
    s->last_input[0] = s->last_id[0] = s->last_body[0] = 0;
}

static void copy_prop(const edgemodule_message_t *m, int32_t property, char *out, size_t cap) {
    const char *v = NULL;
    size_t len = 0;
    out[0] = 0;
    if (edgemodule_message_get_system_property(m, property, &v, &len) == EDGEMODULE_OK && len < cap) {
        memcpy(out, v, len);
        out[len] = 0;
    }
}

static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)call;
    sink *s = ctx;
    pthread_mutex_lock(&s->lock);
    copy_prop(message, EDGEMODULE_PROPERTY_INPUT_NAME, s->last_input, sizeof s->last_input);
    copy_prop(message, EDGEMODULE_PROPERTY_MESSAGE_ID, s->last_id, sizeof s->last_id);
    const uint8_t *body = NULL;
    size_t len = 0;
    s->last_body[0] = 0;
    if (edgemodule_message_body(message, &body, &len) == EDGEMODULE_OK && len < sizeof s->last_body) {
        memcpy(s->last_body, body, len);
        s->last_body[len] = 0;
    }
    pthread_mutex_unlock(&s->lock);
    th_counter_add(&s->count, 1);
    return EDGEMODULE_OK;
}

static void on_free(void *ctx) { th_counter_add(&((sink *)ctx)->freed, 1); }

static th_counter g_bodies_done;
static int32_t g_bodies_result = -1;

static void on_bodies_done(void *ctx, int32_t result) {
    (void)ctx;
    g_bodies_result = result;
    th_counter_add(&g_bodies_done, 1);
}

static void send(edgemodule_client_t *sender, const char *output, const char *id) {
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)id, strlen(id), &m));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, id, EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_client_send_output(sender, output, EDGEMODULE_NUL_TERMINATED, m));
    edgemodule_message_free(m);
}

static void expect_last(sink *s, long count, const char *input, const char *id) {
    TH_CHECK(th_counter_wait(&s->count, count, 15000));
    pthread_mutex_lock(&s->lock);
    int ok = strcmp(s->last_input, input) == 0 && strcmp(s->last_id, id) == 0;
    if (!ok) fprintf(stderr, "last: input %s id %s; expected %s %s\n", s->last_input, s->last_id, input, id);
    pthread_mutex_unlock(&s->lock);
    TH_CHECK(ok);
}

int main(void) {
    th_begin("s04_inputs", 120);
    sink named, fallback, replacement;
    sink_init(&named);
    sink_init(&fallback);
    sink_init(&replacement);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", EDGEMODULE_NUL_TERMINATED, on_input, &named, on_free));
    TH_OK(edgemodule_client_set_default_input_callback(receiver, on_input, &fallback, on_free));
    TH_OK(edgemodule_client_connect(receiver));
    edgemodule_client_t *sender = th_client(&hub, "sender");

    send(sender, "output1", "a1");
    expect_last(&named, 1, "input1", "a1");
    send(sender, "output2", "b1");
    expect_last(&fallback, 1, "input2", "b1");
    send(sender, "output3", "c1");
    expect_last(&fallback, 2, "input3", "c1");
    TH_CHECK(th_counter_get(&named.count) == 1);

    /* Replacing the input1 callback releases the old context after its last call. */
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", 6, on_input, &replacement, on_free));
    TH_CHECK(th_counter_wait(&named.freed, 1, 5000));
    send(sender, "output1", "a2");
    expect_last(&replacement, 1, "input1", "a2");
    TH_CHECK(th_counter_get(&named.count) == 1);

    /* Unregistering input1: its messages go to the default callback. */
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", 6, NULL, NULL, NULL));
    TH_CHECK(th_counter_wait(&replacement.freed, 1, 5000));
    send(sender, "output1", "a3");
    expect_last(&fallback, 3, "input1", "a3");
    TH_CHECK(th_counter_get(&replacement.count) == 1);

    /* A batch: every message arrives. */
    edgemodule_message_t *batch[5];
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "batch%d", i);
        TH_OK(edgemodule_message_new((const uint8_t *)id, strlen(id), &batch[i]));
        TH_OK(edgemodule_message_set_system_property(batch[i], EDGEMODULE_PROPERTY_MESSAGE_ID, id, EDGEMODULE_NUL_TERMINATED));
    }
    TH_OK(edgemodule_client_send_output_batch(sender, "output2", 7, (const edgemodule_message_t *const *)batch, 5));
    TH_CHECK(th_counter_wait(&fallback.count, 8, 15000));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_send_output_batch(sender, "output2", 7, NULL, 2));
    for (int i = 0; i < 5; i++) edgemodule_message_free(batch[i]);

    /* Plain bodies one after another with their lengths, in one call: three messages, in order,
     * without properties. */
    th_counter_init(&g_bodies_done);
    const char *joined = "p0pp1ppp2";
    const size_t lengths[3] = {2, 3, 4};
    TH_OK(edgemodule_client_send_output_bodies_async(sender, "output2", 7, (const uint8_t *)joined, lengths, 3,
                                                     on_bodies_done, NULL, NULL));
    TH_CHECK(th_counter_wait(&g_bodies_done, 1, 15000) && g_bodies_result == EDGEMODULE_OK);
    TH_CHECK(th_counter_wait(&fallback.count, 11, 15000));
    pthread_mutex_lock(&fallback.lock);
    TH_CHECK(strcmp(fallback.last_body, "ppp2") == 0 && fallback.last_id[0] == 0);
    pthread_mutex_unlock(&fallback.lock);
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT,
          edgemodule_client_send_output_bodies_async(sender, "output2", 7, NULL, NULL, 2, on_bodies_done, NULL, NULL));
    TH_CHECK(th_counter_get(&g_bodies_done) == 1);

    edgemodule_client_free(sender);
    edgemodule_client_free(receiver);
    TH_CHECK(th_counter_get(&fallback.freed) == 1);
    TH_CHECK(th_counter_get(&named.freed) == 1 && th_counter_get(&replacement.freed) == 1);
    return th_end();
}
