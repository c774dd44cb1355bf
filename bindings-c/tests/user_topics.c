/* User-defined MQTT topics through the hub's broker policy (the shared deployment: sender
 * publishes to alerts/#, receiver subscribes to it): subscribe, publish (QoS 1 and 0,
 * blocking and async), refusal, invalid topics, and unsubscribing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_counter g_received;
static th_counter g_freed;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_topic[64], g_payload[64];

static int32_t on_alert(void *ctx, const char *topic, size_t topic_len, const uint8_t *payload, size_t payload_len,
                        edgemodule_handler_call_t *call) {
    (void)call;
    TH_CHECK(ctx == (void *)&g_received);
    pthread_mutex_lock(&g_lock);
    snprintf(g_topic, sizeof g_topic, "%.*s", (int)topic_len, topic);
    snprintf(g_payload, sizeof g_payload, "%.*s", (int)payload_len, (const char *)payload);
    pthread_mutex_unlock(&g_lock);
    th_counter_add(&g_received, 1);
    return EDGEMODULE_OK;
}

static void on_free(void *ctx) {
    TH_CHECK(ctx == (void *)&g_received);
    th_counter_add(&g_freed, 1);
}

static th_counter g_published;
static int32_t g_publish_result = -1;
static void on_published(void *ctx, int32_t result) {
    (void)ctx;
    g_publish_result = result;
    th_counter_add(&g_published, 1);
}

static void expect(long count, const char *topic, const char *payload) {
    TH_CHECK(th_counter_wait(&g_received, count, 15000));
    pthread_mutex_lock(&g_lock);
    int ok = strcmp(g_topic, topic) == 0 && strcmp(g_payload, payload) == 0;
    if (!ok) fprintf(stderr, "got %s %s, expected %s %s\n", g_topic, g_payload, topic, payload);
    pthread_mutex_unlock(&g_lock);
    TH_CHECK(ok);
}

static th_counter g_refused_freed;

int main(void) {
    th_begin("user_topics", 120);
    th_counter_init(&g_received);
    th_counter_init(&g_freed);
    th_counter_init(&g_published);
    th_counter_init(&g_refused_freed);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *subscriber = th_client(&hub, "receiver");
    edgemodule_client_t *publisher = th_client(&hub, "sender");

    edgemodule_subscription_t *subscription = NULL;
    TH_OK(edgemodule_client_subscribe(subscriber, "alerts/#", EDGEMODULE_NUL_TERMINATED, on_alert, &g_received, on_free,
                                      &subscription));
    TH_OK(edgemodule_client_publish(publisher, "alerts/high", 11, (const uint8_t *)"too hot", 7,
                                    EDGEMODULE_QOS_AT_LEAST_ONCE));
    expect(1, "alerts/high", "too hot");
    TH_OK(edgemodule_client_publish(publisher, "alerts/low", 10, (const uint8_t *)"fine", 4, EDGEMODULE_QOS_AT_MOST_ONCE));
    expect(2, "alerts/low", "fine");
    TH_OK(edgemodule_client_publish_async(publisher, "alerts/async", 12, (const uint8_t *)"later", 5,
                                          EDGEMODULE_QOS_AT_LEAST_ONCE, on_published, NULL, NULL));
    TH_CHECK(th_counter_wait(&g_published, 1, 15000) && g_publish_result == EDGEMODULE_OK);
    expect(3, "alerts/async", "later");

    /* Not allowed by the policy: refused, and the context is released. */
    edgemodule_subscription_t *refused = NULL;
    TH_RC(EDGEMODULE_E_UNAUTHORIZED, edgemodule_client_subscribe(publisher, "alerts/#", 8, on_alert, &g_received,
                                                                 on_free, &refused));
    TH_CHECK(refused == NULL);
    TH_CHECK(th_counter_get(&g_freed) == 1);
    /* Reserved or malformed topics never reach the wire. */
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_publish(publisher, "$iothub/twin/GET/?$rid=1",
                                                                   EDGEMODULE_NUL_TERMINATED, NULL, 0, 1));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_publish(publisher, "alerts/x", 8, NULL, 0, 7));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_subscribe(subscriber, "a/#/b", 5, on_alert, &g_received,
                                                                     on_free, &refused));
    TH_CHECK(th_counter_get(&g_freed) == 2);

    /* Unsubscribed: the context is released and nothing more arrives. */
    edgemodule_subscription_free(subscription);
    TH_CHECK(th_counter_get(&g_freed) == 3);
    TH_OK(edgemodule_client_publish(publisher, "alerts/after", 12, (const uint8_t *)"x", 1, EDGEMODULE_QOS_AT_LEAST_ONCE));
    th_sleep_ms(300);
    TH_CHECK(th_counter_get(&g_received) == 3);

    /* A subscription may outlive its client: freeing the client releases its callback;
     * freeing the subscription afterwards is fine. */
    edgemodule_subscription_t *late = NULL;
    TH_OK(edgemodule_client_subscribe(subscriber, "alerts/late/#", EDGEMODULE_NUL_TERMINATED, on_alert, &g_received,
                                      on_free, &late));
    edgemodule_client_free(publisher);
    edgemodule_client_free(subscriber);
    TH_CHECK(th_counter_get(&g_freed) == 4);
    edgemodule_subscription_free(late);
    TH_CHECK(th_counter_get(&g_freed) == 4);
    return th_end();
}
