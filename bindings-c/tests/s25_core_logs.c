/* S25: the core's log records reach the C log callback (edgemodule_set_log_callback) on a
 * forced reconnect (hub restart): at the chosen level only, with structured fields, on the
 * edgemodule-log thread only; the level can be changed without replacing the callback. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "recorders.h"

static void send_up(edgemodule_client_t *client, const char *text) {
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)text, strlen(text), &m));
    TH_OK(edgemodule_client_send_output(client, "up", 2, m));
    edgemodule_message_free(m);
}

int main(void) {
    th_begin("s25_core_logs", 180);
    static th_log_records log;
    th_log_records_init(&log);
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_set_log_callback(9, NULL, NULL, NULL));
    th_log_records_attach(&log, EDGEMODULE_LOG_WARN);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *client = th_client(&hub, "sender");
    TH_OK(edgemodule_client_connect(client));

    th_hub_stop(&hub);
    th_hub_start_again(&hub);
    long lost = th_log_wait(&log, 30000, "connection lost", "module=sender", "reason=");
    if (lost < 0) th_log_dump(&log);
    TH_CHECK(lost >= 0);
    TH_CHECK(log.records[lost].level == EDGEMODULE_LOG_WARN);
    TH_CHECK(strcmp(log.records[lost].area, "connection") == 0);
    TH_CHECK(strncmp(log.records[lost].target, "edgemodule", 10) == 0);
    send_up(client, "after the first restart");
    long n = th_counter_get(&log.count);
    for (long i = 0; i < n && i < TH_RECORDS_MAX; i++) TH_CHECK(log.records[i].level <= EDGEMODULE_LOG_WARN);

    /* More verbose without replacing the callback: the reconnect itself shows. */
    TH_OK(edgemodule_set_log_level(EDGEMODULE_LOG_INFO));
    th_hub_stop(&hub);
    th_hub_start_again(&hub);
    long connected = th_log_wait(&log, 30000, "connected", "module=sender", "reconnect=true");
    if (connected < 0) th_log_dump(&log);
    TH_CHECK(connected >= 0);
    TH_CHECK(log.records[connected].level == EDGEMODULE_LOG_INFO);
    send_up(client, "after the second restart");
    n = th_counter_get(&log.count);
    for (long i = 0; i < n && i < TH_RECORDS_MAX; i++) {
        if (strcmp(log.records[i].thread, "edgemodule-log") != 0) {
            th_log_dump(&log);
            TH_CHECK(!"records arrive on the edgemodule-log thread only");
        }
        TH_CHECK(log.records[i].level >= EDGEMODULE_LOG_ERROR && log.records[i].level <= EDGEMODULE_LOG_INFO);
    }
    printf("[s25_core_logs] %ld records, e.g. '%s' %s\n", n, log.records[connected].message,
           log.records[connected].fields);

    /* Off: the callback is released exactly once. */
    edgemodule_client_free(client);
    TH_OK(edgemodule_set_log_callback(EDGEMODULE_LOG_OFF, NULL, NULL, NULL));
    TH_CHECK(th_counter_wait(&log.freed, 1, 5000));
    th_sleep_ms(100);
    TH_CHECK(th_counter_get(&log.freed) == 1);
    return th_end();
}
