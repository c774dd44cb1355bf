/* S24: user topics. A subscription's callback gets each message and it is acknowledged only
 * once the callback is done (here it keeps its call and completes it later); unsubscribing
 * sends UNSUBSCRIBE (the hub forgets the filter) and stops delivery; a publish the hub's
 * policy denies fails with EDGEMODULE_E_UNAUTHORIZED at once. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "traffic.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static edgemodule_handler_call_t *g_kept;
static char g_topic[64];
static th_counter g_received;

static int32_t on_alert(void *ctx, const char *topic, size_t topic_len, const uint8_t *payload, size_t payload_len,
                        edgemodule_handler_call_t *call) {
    (void)ctx, (void)payload, (void)payload_len;
    pthread_mutex_lock(&g_lock);
    TH_CHECK(g_kept == NULL);
    g_kept = call;
    snprintf(g_topic, sizeof g_topic, "%.*s", (int)topic_len, topic);
    pthread_mutex_unlock(&g_lock);
    th_counter_add(&g_received, 1);
    return EDGEMODULE_PENDING; /* done when the test says so */
}

static void release_kept(void) {
    pthread_mutex_lock(&g_lock);
    edgemodule_handler_call_t *call = g_kept;
    g_kept = NULL;
    pthread_mutex_unlock(&g_lock);
    TH_CHECK(call != NULL);
    TH_OK(edgemodule_handler_call_complete(call, EDGEMODULE_OK, NULL, 0));
}

static int subscribed_to(const th_hub *hub, const char *filter) {
    static char seen[8192];
    th_inspect(hub, "receiver", seen, sizeof seen);
    char quoted[80];
    snprintf(quoted, sizeof quoted, "\"%s\"", filter);
    return strstr(seen, quoted) != NULL;
}

int main(void) {
    th_begin("s24_user_topics", 120);
    th_counter_init(&g_received);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *subscriber = th_client(&hub, "receiver");
    edgemodule_client_t *publisher = th_client(&hub, "sender");
    TH_OK(edgemodule_client_connect(subscriber));
    edgemodule_subscription_t *subscription = NULL;
    TH_OK(edgemodule_client_subscribe(subscriber, "alerts/#", EDGEMODULE_NUL_TERMINATED, on_alert, NULL, NULL,
                                      &subscription));
    TH_CHECK(subscribed_to(&hub, "alerts/#"));

    static char seen[8192];
    th_inspect(&hub, "receiver", seen, sizeof seen);
    long long acks = th_inspect_acks(seen);
    for (int i = 0; i < 3; i++) {
        char topic[32];
        snprintf(topic, sizeof topic, "alerts/%d", i);
        TH_OK(edgemodule_client_publish(publisher, topic, EDGEMODULE_NUL_TERMINATED, (const uint8_t *)"x", 1,
                                        EDGEMODULE_QOS_AT_LEAST_ONCE));
    }
    for (int i = 0; i < 3; i++) {
        char topic[32];
        snprintf(topic, sizeof topic, "alerts/%d", i);
        TH_CHECK(th_counter_wait(&g_received, i + 1, 10000));
        TH_CHECK(strcmp(g_topic, topic) == 0);
        /* The callback has the message but is not done: not acknowledged yet. */
        th_sleep_ms(200);
        th_inspect(&hub, "receiver", seen, sizeof seen);
        TH_CHECK(th_inspect_acks(seen) == acks + i);
        release_kept();
        TH_CHECK(th_inspect_wait(&hub, "receiver", NULL, acks + i + 1, 10000, seen, sizeof seen));
    }
    th_check_acks_in_order(seen);

    /* Unsubscribing sends UNSUBSCRIBE: the hub forgets the filter, nothing more arrives. */
    TH_OK(edgemodule_subscription_unsubscribe(subscription));
    TH_CHECK(!subscribed_to(&hub, "alerts/#"));
    TH_OK(edgemodule_client_publish(publisher, "alerts/late", 11, (const uint8_t *)"x", 1,
                                    EDGEMODULE_QOS_AT_LEAST_ONCE));
    th_sleep_ms(300);
    TH_CHECK(th_counter_get(&g_received) == 3);

    /* Denied by the policy (alerts/denied/# inside the allowed alerts/#): told at once. */
    long long started = th_now_ms();
    TH_RC(EDGEMODULE_E_UNAUTHORIZED, edgemodule_client_publish(publisher, "alerts/denied/x", EDGEMODULE_NUL_TERMINATED,
                                                               (const uint8_t *)"x", 1, EDGEMODULE_QOS_AT_LEAST_ONCE));
    TH_CHECK(th_now_ms() - started < 5000);
    TH_CHECK(edgemodule_error_is_transient(EDGEMODULE_E_UNAUTHORIZED) == 0);

    edgemodule_client_free(publisher);
    edgemodule_client_free(subscriber);
    return th_end();
}
