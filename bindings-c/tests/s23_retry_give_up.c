/* S23: with the hub gone and a short give-up time (retry_give_up_after_ms; multiplier and
 * jitter by name in options_json), the client stops with EDGEMODULE_E_CONNECTION (status
 * DISCONNECTED, reason RETRY_EXPIRED — never "retrying" once it stopped), and every
 * operation waiting for the connection fails, exactly once. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define PENDING 3

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int32_t g_states[64], g_reasons[64];
static th_counter g_changes;

static void on_status(void *ctx, int32_t state, int32_t reason) {
    (void)ctx;
    printf("[s23_retry_give_up] status %s (%s)\n", edgemodule_state_name(state), edgemodule_reason_name(reason));
    pthread_mutex_lock(&g_lock);
    long i = th_counter_get(&g_changes);
    if (i < 64) {
        g_states[i] = state;
        g_reasons[i] = reason;
    }
    pthread_mutex_unlock(&g_lock);
    th_counter_add(&g_changes, 1);
}

static void give_up_fast(edgemodule_options_t *o) {
    static const char json[] = "{\"retry_multiplier\": 1.5, \"retry_jitter\": 0}";
    o->retry_initial_delay_ms = 100;
    o->retry_max_delay_ms = 200;
    o->retry_give_up_after_ms = 1000;
    o->operation_timeout_ms = 20000;
    o->options_json = json;
    o->options_json_len = sizeof json - 1;
}

static atomic_int g_done_calls[PENDING];
static atomic_int g_results[PENDING];
static th_counter g_done;
static void on_sent(void *ctx, int32_t result) {
    intptr_t i = (intptr_t)ctx;
    atomic_store(&g_results[i], result);
    atomic_fetch_add(&g_done_calls[i], 1);
    th_counter_add(&g_done, 1);
}

static void wait_retry_expired(edgemodule_client_t *client) {
    int32_t state = -1, reason = -1;
    for (int waited = 0; waited < th_scaled_ms(15000); waited += 20) {
        TH_OK(edgemodule_client_get_status(client, &state, &reason));
        if (state == EDGEMODULE_STATE_DISCONNECTED) break;
        th_sleep_ms(20);
    }
    TH_CHECK(state == EDGEMODULE_STATE_DISCONNECTED);
    TH_CHECK(reason == EDGEMODULE_REASON_RETRY_EXPIRED);
    TH_CHECK(strcmp(edgemodule_reason_name(reason), "RETRY_EXPIRED") == 0);
}

static void send_up(edgemodule_client_t *client, intptr_t i) {
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)"m", 1, &m));
    TH_OK(edgemodule_client_send_output_async(client, "up", 2, m, on_sent, (void *)i, NULL));
    edgemodule_message_free(m);
}

int main(void) {
    th_begin("s23_retry_give_up", 120);
    th_counter_init(&g_changes);
    th_counter_init(&g_done);
    th_hub hub;
    th_hub_start(&hub);

    /* 1. Created (trust bundle read), then the hub goes away before the first connect. */
    edgemodule_client_t *client = th_client_with(&hub, "sender", give_up_fast);
    TH_OK(edgemodule_client_set_status_callback(client, on_status, NULL, NULL));
    th_hub_stop(&hub);
    int32_t rc = edgemodule_client_connect(client);
    printf("[s23_retry_give_up] connect: %s: %s\n", edgemodule_error_name(rc), th_last_error());
    TH_RC(EDGEMODULE_E_CONNECTION, rc);
    TH_CHECK(edgemodule_error_is_transient(rc) == 1);
    wait_retry_expired(client);
    TH_CHECK(th_counter_wait(&g_changes, 2, 10000));
    th_sleep_ms(200);
    pthread_mutex_lock(&g_lock);
    long n = th_counter_get(&g_changes);
    TH_CHECK(g_states[0] == EDGEMODULE_STATE_DISCONNECTED_RETRYING && g_reasons[0] == EDGEMODULE_REASON_NO_NETWORK);
    TH_CHECK(g_states[n - 1] == EDGEMODULE_STATE_DISCONNECTED && g_reasons[n - 1] == EDGEMODULE_REASON_RETRY_EXPIRED);
    TH_CHECK(g_states[n - 2] == EDGEMODULE_STATE_DISCONNECTED_RETRYING);
    pthread_mutex_unlock(&g_lock);
    edgemodule_client_free(client);

    /* 2. Connected, then the hub goes away: operations waiting for the connection fail once. */
    th_hub_start_again(&hub);
    client = th_client_with(&hub, "sender", give_up_fast);
    TH_OK(edgemodule_client_connect(client));
    th_hub_stop(&hub);
    int32_t state = EDGEMODULE_STATE_CONNECTED, reason = -1;
    for (int waited = 0; state == EDGEMODULE_STATE_CONNECTED && waited < th_scaled_ms(15000); waited += 20) {
        th_sleep_ms(20);
        TH_OK(edgemodule_client_get_status(client, &state, &reason));
    }
    TH_CHECK(state != EDGEMODULE_STATE_CONNECTED);
    for (intptr_t i = 0; i < PENDING; i++) send_up(client, i);
    TH_CHECK(th_counter_wait(&g_done, PENDING, 20000));
    th_sleep_ms(300);
    for (int i = 0; i < PENDING; i++) {
        TH_CHECK(atomic_load(&g_done_calls[i]) == 1);
        TH_RC(EDGEMODULE_E_CONNECTION, atomic_load(&g_results[i]));
    }
    wait_retry_expired(client);
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)"later", 5, &m));
    TH_RC(EDGEMODULE_E_CONNECTION, edgemodule_client_send_output(client, "up", 2, m));
    edgemodule_message_free(m);
    edgemodule_client_free(client);
    return th_end();
}
