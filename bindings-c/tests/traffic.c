/* Numbered sends, CLI method calls and the hub's delivery inspection (see traffic.h). */
#include "traffic.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void th_send_numbered(edgemodule_client_t *sender, const char *output, const char *prefix, int count) {
    for (int i = 0; i < count; i++) {
        char id[64];
        snprintf(id, sizeof id, "%s%03d", prefix, i);
        edgemodule_message_t *m = NULL;
        TH_OK(edgemodule_message_new((const uint8_t *)id, strlen(id), &m));
        TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, id, EDGEMODULE_NUL_TERMINATED));
        TH_OK(edgemodule_client_send_output(sender, output, EDGEMODULE_NUL_TERMINATED, m));
        edgemodule_message_free(m);
    }
}

int th_invoke(const th_hub *hub, const char *module, const char *method, int timeout_s, char *out,
              size_t out_len) {
    static char local[8192];
    if (!out) {
        out = local;
        out_len = sizeof local;
    }
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", timeout_s);
    if (th_cli(hub, out, out_len, "invoke", module, method, "null", "--timeout", timeout, NULL) != 0) return -1;
    long long status = -1;
    return th_json_int(out, NULL, "status", &status) ? (int)status : -1;
}

void th_inspect(const th_hub *hub, const char *module, char *out, size_t out_len) {
    if (th_cli(hub, out, out_len, "inspect", module, NULL) != 0) {
        fprintf(stderr, "inspect printed: %s\n", out);
        th_fail(__FILE__, __LINE__, "edgemodule-hub inspect failed");
    }
}

long long th_inspect_counter(const char *inspection, const char *key) {
    long long v = -1;
    return th_json_int(inspection, NULL, key, &v) ? v : -1;
}

long long th_inspect_acks(const char *inspection) {
    return th_inspect_counter(inspection, "acks_in_order") + th_inspect_counter(inspection, "acks_out_of_order");
}

int th_inspect_wait(const th_hub *hub, const char *module, const char *key, long long at_least, int timeout_ms,
                    char *out, size_t out_len) {
    long long deadline = th_now_ms() + th_scaled_ms(timeout_ms);
    for (;;) {
        th_inspect(hub, module, out, out_len);
        long long v = key ? th_inspect_counter(out, key) : th_inspect_acks(out);
        if (v >= at_least) return 1;
        if (th_now_ms() > deadline) {
            fprintf(stderr, "last inspection of %s: %s\n", module, out);
            return 0;
        }
        th_sleep_ms(20);
    }
}

void th_check_acks_in_order(const char *inspection) {
    long long out_of_order = th_inspect_counter(inspection, "acks_out_of_order");
    long long unexpected = th_inspect_counter(inspection, "acks_unexpected");
    if (out_of_order != 0 || unexpected > 0) {
        fprintf(stderr, "inspection: %s\n", inspection);
        th_fail(__FILE__, __LINE__, "PUBACKs out of order (acks_out_of_order != 0)");
    }
}

long long th_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
