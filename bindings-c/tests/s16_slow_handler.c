/* S16: a callback slower than the next message's arrival — here it keeps its call
 * (EDGEMODULE_PENDING) and a worker thread completes it 400 ms later, the message staying
 * valid meanwhile — makes later messages wait: the next call starts only after the previous
 * one was completed, in order, nothing lost, PUBACKs in order. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "traffic.h"

#define COUNT 6
#define SLOW_MS 400

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_kept_cond = PTHREAD_COND_INITIALIZER;
static edgemodule_handler_call_t *g_kept;
static const edgemodule_message_t *g_kept_message;
static long long g_started[COUNT], g_completed[COUNT];
static char g_ids[COUNT][16];
static th_counter g_calls, g_completions;
static int g_stop;

static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)ctx;
    long i = th_counter_get(&g_calls);
    TH_CHECK(i < COUNT);
    g_started[i] = th_now_ms();
    pthread_mutex_lock(&g_lock);
    TH_CHECK(g_kept == NULL); /* never a second call while one is outstanding */
    g_kept = call;
    g_kept_message = message;
    pthread_cond_signal(&g_kept_cond);
    pthread_mutex_unlock(&g_lock);
    th_counter_add(&g_calls, 1);
    return EDGEMODULE_PENDING;
}

/* Completes each kept call after SLOW_MS, reading its message first (still valid). */
static void *worker(void *p) {
    (void)p;
    for (;;) {
        pthread_mutex_lock(&g_lock);
        while (!g_kept && !g_stop) pthread_cond_wait(&g_kept_cond, &g_lock);
        if (!g_kept) {
            pthread_mutex_unlock(&g_lock);
            return NULL;
        }
        edgemodule_handler_call_t *call = g_kept;
        const edgemodule_message_t *message = g_kept_message;
        pthread_mutex_unlock(&g_lock);
        th_sleep_ms(SLOW_MS);
        long i = th_counter_get(&g_completions);
        const char *id = NULL;
        size_t len = 0;
        TH_OK(edgemodule_message_get_system_property(message, EDGEMODULE_PROPERTY_MESSAGE_ID, &id, &len));
        snprintf(g_ids[i], sizeof g_ids[i], "%.*s", (int)len, id);
        pthread_mutex_lock(&g_lock);
        g_kept = NULL;
        g_kept_message = NULL;
        g_completed[i] = th_now_ms();
        pthread_mutex_unlock(&g_lock);
        TH_OK(edgemodule_handler_call_complete(call, EDGEMODULE_OK, NULL, 0));
        th_counter_add(&g_completions, 1);
    }
}

int main(void) {
    th_begin("s16_slow_handler", 180);
    th_counter_init(&g_calls);
    th_counter_init(&g_completions);
    th_hub hub;
    th_hub_start(&hub);
    pthread_t slow;
    TH_CHECK(pthread_create(&slow, NULL, worker, NULL) == 0);
    edgemodule_client_t *ordered = th_client(&hub, "ordered");
    TH_OK(edgemodule_client_set_input_callback(ordered, "first", 5, on_input, NULL, NULL));
    TH_OK(edgemodule_client_connect(ordered));
    edgemodule_client_t *sender = th_client(&hub, "sender");

    long long sent_at = th_now_ms();
    th_send_numbered(sender, "first", "s", COUNT); /* all sent before the first completes */
    TH_CHECK(th_now_ms() - sent_at < SLOW_MS * COUNT);
    TH_CHECK(th_counter_wait(&g_completions, COUNT, 60000));
    for (int i = 0; i < COUNT; i++) {
        char expected[16];
        snprintf(expected, sizeof expected, "s%03d", i);
        TH_CHECK(strcmp(g_ids[i], expected) == 0);
        if (i > 0) TH_CHECK(g_started[i] >= g_completed[i - 1]); /* waited for the slow one */
        TH_CHECK(g_completed[i] - g_started[i] >= SLOW_MS - 2);
    }
    th_sleep_ms(300);
    TH_CHECK(th_counter_get(&g_calls) == COUNT); /* each once */

    static char seen[8192];
    TH_CHECK(th_inspect_wait(&hub, "ordered", NULL, COUNT, 15000, seen, sizeof seen));
    th_check_acks_in_order(seen);
    TH_CHECK(th_inspect_counter(seen, "delivered") == COUNT);
    TH_CHECK(th_inspect_counter(seen, "redelivered") == 0);

    pthread_mutex_lock(&g_lock);
    g_stop = 1;
    pthread_cond_signal(&g_kept_cond);
    pthread_mutex_unlock(&g_lock);
    pthread_join(slow, NULL);
    edgemodule_client_free(sender);
    edgemodule_client_free(ordered);
    return th_end();
}
