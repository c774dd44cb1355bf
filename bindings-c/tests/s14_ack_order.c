/* S14: messages on two inputs with per-input callbacks that take different times, with
 * method calls arriving in between: each callback sees its input's messages one at a time,
 * in send order, exactly once, and the hub saw every PUBACK for its oldest outstanding
 * PUBLISH (inspect: acks_out_of_order == 0). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "traffic.h"

#define PER_INPUT 30
#define CALLS 20

typedef struct {
    const char *prefix;
    int pause_ms;
    atomic_int running;
    th_counter count;
    char ids[PER_INPUT][16];
} lane;

static lane g_first = {.prefix = "a", .pause_ms = 15}, g_second = {.prefix = "b", .pause_ms = 1};

static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)call;
    lane *l = ctx;
    TH_CHECK(atomic_fetch_add(&l->running, 1) == 0); /* one at a time per callback */
    th_sleep_ms(l->pause_ms);
    const char *id = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_get_system_property(message, EDGEMODULE_PROPERTY_MESSAGE_ID, &id, &len));
    long i = th_counter_get(&l->count);
    TH_CHECK(i < PER_INPUT && len < sizeof l->ids[0]);
    memcpy(l->ids[i], id, len);
    l->ids[i][len] = 0;
    atomic_fetch_sub(&l->running, 1);
    th_counter_add(&l->count, 1);
    return EDGEMODULE_OK;
}

static void on_ping(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                    edgemodule_method_response_t *response) {
    (void)ctx, (void)name, (void)name_len, (void)payload, (void)payload_len;
    TH_OK(edgemodule_method_respond(response, 200, NULL, 0));
}

typedef struct {
    edgemodule_client_t *sender;
    const char *output, *prefix;
} sending;

static void *send_all(void *p) {
    sending *s = p;
    th_send_numbered(s->sender, s->output, s->prefix, PER_INPUT);
    return NULL;
}

static void check_lane(lane *l) {
    TH_CHECK(th_counter_wait(&l->count, PER_INPUT, 60000));
    for (int i = 0; i < PER_INPUT; i++) {
        char expected[16];
        snprintf(expected, sizeof expected, "%s%03d", l->prefix, i);
        if (strcmp(l->ids[i], expected) != 0) {
            fprintf(stderr, "call %d got %s, expected %s\n", i, l->ids[i], expected);
            TH_CHECK(!"each input's messages in send order, each once");
        }
    }
}

int main(void) {
    th_begin("s14_ack_order", 240);
    th_counter_init(&g_first.count);
    th_counter_init(&g_second.count);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *ordered = th_client(&hub, "ordered");
    TH_OK(edgemodule_client_set_input_callback(ordered, "first", 5, on_input, &g_first, NULL));
    TH_OK(edgemodule_client_set_input_callback(ordered, "second", 6, on_input, &g_second, NULL));
    TH_OK(edgemodule_client_set_method_callback(ordered, "ping", 4, on_ping, NULL, NULL));
    TH_OK(edgemodule_client_connect(ordered));
    edgemodule_client_t *sender = th_client(&hub, "sender");
    TH_OK(edgemodule_client_connect(sender));

    sending one = {sender, "first", "a"}, two = {sender, "second", "b"};
    pthread_t t1, t2;
    TH_CHECK(pthread_create(&t1, NULL, send_all, &one) == 0);
    TH_CHECK(pthread_create(&t2, NULL, send_all, &two) == 0);
    /* Method calls arrive between the input messages: an acknowledgement sent out of order
     * would show even with the hub's one input message in flight. */
    for (int i = 0; i < CALLS; i++) TH_CHECK(th_invoke(&hub, "ordered", "ping", 10, NULL, 0) == 200);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    check_lane(&g_first);
    check_lane(&g_second);

    static char seen[8192];
    TH_CHECK(th_inspect_wait(&hub, "ordered", NULL, 2 * PER_INPUT + CALLS, 15000, seen, sizeof seen));
    th_check_acks_in_order(seen);
    TH_CHECK(th_inspect_counter(seen, "redelivered") == 0);
    printf("[s14_ack_order] %s\n", seen);

    edgemodule_client_free(sender);
    edgemodule_client_free(ordered);
    return th_end();
}
