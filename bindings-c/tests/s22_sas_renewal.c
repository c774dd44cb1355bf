/* S22: with a SAS token lifetime of 2 s the client renews several times while sending;
 * nothing is lost, the status callback shows no failure (a renewal is a quiet reconnect with
 * a fresh token) and the log says so ("renewing the SAS token: reconnecting"). */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "recorders.h"
#include "traffic.h"

#define TOTAL 40

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_seen[TOTAL];
static th_counter g_received;
static int g_states[64], g_state_count;

static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)ctx, (void)call;
    const char *id = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_get_system_property(message, EDGEMODULE_PROPERTY_MESSAGE_ID, &id, &len));
    char text[8] = {0};
    int n = -1;
    TH_CHECK(len == 4);
    memcpy(text, id, len); /* borrowed strings are not NUL-terminated */
    TH_CHECK(sscanf(text, "r%3d", &n) == 1 && n >= 0 && n < TOTAL);
    pthread_mutex_lock(&g_lock);
    int fresh = g_seen[n]++ == 0;
    pthread_mutex_unlock(&g_lock);
    if (fresh) th_counter_add(&g_received, 1);
    return EDGEMODULE_OK;
}

static void on_status(void *ctx, int32_t state, int32_t reason) {
    (void)ctx;
    printf("[s22_sas_renewal] status %s (%s)\n", edgemodule_state_name(state), edgemodule_reason_name(reason));
    pthread_mutex_lock(&g_lock);
    if (g_state_count < 64) g_states[g_state_count++] = state;
    pthread_mutex_unlock(&g_lock);
}

static void short_tokens(edgemodule_options_t *o) { o->sas_ttl_s = 2; }

static long count_renewals(th_log_records *log) {
    long n = 0;
    for (long i = th_log_find(log, 0, "renewing the SAS token: reconnecting", "module=sender", NULL); i >= 0;
         i = th_log_find(log, i + 1, "renewing the SAS token: reconnecting", "module=sender", NULL))
        n++;
    return n;
}

int main(void) {
    th_begin("s22_sas_renewal", 180);
    th_counter_init(&g_received);
    static th_log_records log;
    th_log_records_init(&log);
    th_log_records_attach(&log, EDGEMODULE_LOG_INFO);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", 6, on_input, NULL, NULL));
    TH_OK(edgemodule_client_connect(receiver));
    edgemodule_client_t *sender = th_client_with(&hub, "sender", short_tokens);
    TH_OK(edgemodule_client_set_status_callback(sender, on_status, NULL, NULL));
    TH_OK(edgemodule_client_connect(sender));

    /* A renewal (a reconnect with a fresh token) every 1.6 s; sending takes about 5 s. */
    for (int i = 0; i < TOTAL; i++) {
        char id[8];
        snprintf(id, sizeof id, "r%03d", i);
        edgemodule_message_t *m = NULL;
        TH_OK(edgemodule_message_new((const uint8_t *)id, 4, &m));
        TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, id, 4));
        TH_OK(edgemodule_client_send_output(sender, "output1", 7, m));
        edgemodule_message_free(m);
        th_sleep_ms(125);
    }
    TH_CHECK(th_counter_wait(&g_received, TOTAL, 30000));
    long renewals = 0;
    for (int waited = 0; waited < th_scaled_ms(10000) && (renewals = count_renewals(&log)) < 2; waited += 50)
        th_sleep_ms(50);
    printf("[s22_sas_renewal] %ld renewals logged\n", renewals);
    if (renewals < 2) th_log_dump(&log);
    TH_CHECK(renewals >= 2);
    pthread_mutex_lock(&g_lock);
    for (int i = 0; i < g_state_count; i++) TH_CHECK(g_states[i] == EDGEMODULE_STATE_CONNECTED);
    pthread_mutex_unlock(&g_lock);
    int32_t state = -1, reason = -1;
    TH_OK(edgemodule_client_get_status(sender, &state, &reason));
    TH_CHECK(state == EDGEMODULE_STATE_CONNECTED);

    edgemodule_client_free(sender);
    edgemodule_client_free(receiver);
    TH_OK(edgemodule_set_log_callback(EDGEMODULE_LOG_OFF, NULL, NULL, NULL));
    TH_CHECK(th_counter_wait(&log.freed, 1, 5000));
    return th_end();
}
