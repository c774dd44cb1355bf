/* S19: publishes still unacknowledged when the connection drops are sent again after the
 * reconnect with DUP=1, and none is lost. A proxy between the sender and the hub holds back
 * the hub's PUBACKs, then cuts the connection. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "proxy.h"
#include "traffic.h"

#define COUNT 5

static th_proxy *g_proxy;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_seen[COUNT];
static th_counter g_received, g_done;
static atomic_int g_results[COUNT];
static atomic_int g_done_calls[COUNT];

static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)ctx, (void)call;
    const char *id = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_get_system_property(message, EDGEMODULE_PROPERTY_MESSAGE_ID, &id, &len));
    int n = -1;
    TH_CHECK(len == 2 && id[0] == 'm' && (n = id[1] - '0') >= 0 && n < COUNT); /* nothing else arrives */
    pthread_mutex_lock(&g_lock);
    int fresh = g_seen[n]++ == 0; /* duplicates are allowed (at-least-once) */
    pthread_mutex_unlock(&g_lock);
    if (fresh) th_counter_add(&g_received, 1);
    return EDGEMODULE_OK;
}

static void on_noop(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                    edgemodule_method_response_t *response) {
    (void)ctx, (void)name, (void)name_len, (void)payload, (void)payload_len;
    TH_OK(edgemodule_method_respond(response, 200, NULL, 0));
}

static void on_sent(void *ctx, int32_t result) {
    intptr_t i = (intptr_t)ctx;
    atomic_store(&g_results[i], result);
    atomic_fetch_add(&g_done_calls[i], 1);
    th_counter_add(&g_done, 1);
}

static void through_proxy(edgemodule_options_t *o) { o->mqtt_port = (uint16_t)th_proxy_port(g_proxy); }

int main(void) {
    th_begin("s19_dup_resend", 180);
    th_counter_init(&g_received);
    th_counter_init(&g_done);
    th_hub hub;
    th_hub_start(&hub);
    g_proxy = th_proxy_start(hub.mqtt_port);
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", 6, on_input, NULL, NULL));
    TH_OK(edgemodule_client_connect(receiver));
    edgemodule_client_t *sender = th_client_with(&hub, "sender", through_proxy);
    /* Something subscribed, so the hub keeps a session to resume. */
    TH_OK(edgemodule_client_set_method_callback(sender, "noop", 4, on_noop, NULL, NULL));
    TH_OK(edgemodule_client_connect(sender));
    static char before[8192], seen[8192];
    th_inspect(&hub, "sender", before, sizeof before);

    /* The hub gets the publishes; the client never sees the PUBACKs. */
    th_proxy_hold_downstream(g_proxy, 1);
    for (intptr_t i = 0; i < COUNT; i++) {
        char id[4] = {'m', (char)('0' + i), 0, 0};
        edgemodule_message_t *m = NULL;
        TH_OK(edgemodule_message_new((const uint8_t *)id, 2, &m));
        TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, id, 2));
        TH_OK(edgemodule_client_send_output_async(sender, "output1", 7, m, on_sent, (void *)i, NULL));
        edgemodule_message_free(m);
    }
    TH_CHECK(th_inspect_wait(&hub, "sender", "publishes_received",
                             th_inspect_counter(before, "publishes_received") + COUNT, 10000, seen, sizeof seen));
    TH_CHECK(th_counter_get(&g_done) == 0); /* no PUBACK reached the client */
    th_proxy_cut(g_proxy);
    th_proxy_hold_downstream(g_proxy, 0);

    TH_CHECK(th_counter_wait(&g_done, COUNT, 30000)); /* acknowledged after the re-send */
    for (int i = 0; i < COUNT; i++) {
        TH_CHECK(atomic_load(&g_done_calls[i]) == 1);
        TH_RC(EDGEMODULE_OK, atomic_load(&g_results[i]));
    }
    TH_CHECK(th_inspect_wait(&hub, "sender", "dup_publishes_received",
                             th_inspect_counter(before, "dup_publishes_received") + COUNT, 10000, seen, sizeof seen));
    TH_CHECK(th_inspect_counter(seen, "connections") > th_inspect_counter(before, "connections"));
    TH_CHECK(th_proxy_connections(g_proxy) >= 2);
    TH_CHECK(th_counter_wait(&g_received, COUNT, 15000)); /* none lost */
    printf("[s19_dup_resend] %s\n", seen);

    edgemodule_client_free(sender);
    edgemodule_client_free(receiver);
    th_proxy_stop(g_proxy);
    return th_end();
}
