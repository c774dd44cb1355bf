/* S18: with a callback for input `first` only, a message for input `unhandled` is
 * acknowledged, dropped and reported on the background-error callback (NO_HANDLER, input,
 * `unhandled`), and does not stall later messages; PUBACKs in order. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "recorders.h"
#include "traffic.h"

static th_counter g_first;
static char g_ids[8][16];

static int32_t on_first(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)ctx, (void)call;
    const char *id = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_get_system_property(message, EDGEMODULE_PROPERTY_MESSAGE_ID, &id, &len));
    long i = th_counter_get(&g_first);
    if (i < 8) snprintf(g_ids[i], sizeof g_ids[i], "%.*s", (int)len, id);
    th_counter_add(&g_first, 1);
    return EDGEMODULE_OK;
}

int main(void) {
    th_begin("s18_unhandled_input", 120);
    th_counter_init(&g_first);
    th_hub hub;
    th_hub_start(&hub);
    static th_background_errors errors;
    th_background_errors_init(&errors);
    edgemodule_client_t *ordered = th_client(&hub, "ordered");
    th_background_errors_attach(&errors, ordered);
    TH_OK(edgemodule_client_set_input_callback(ordered, "first", 5, on_first, NULL, NULL));
    TH_OK(edgemodule_client_connect(ordered));
    edgemodule_client_t *sender = th_client(&hub, "sender");

    th_send_numbered(sender, "unhandled", "u", 2);
    th_send_numbered(sender, "first", "f", 3);
    TH_CHECK(th_counter_wait(&g_first, 3, 20000));
    for (int i = 0; i < 3; i++) {
        char expected[16];
        snprintf(expected, sizeof expected, "f%03d", i);
        TH_CHECK(strcmp(g_ids[i], expected) == 0);
    }
    for (int i = 0; i < 2; i++) {
        th_background_error e = th_background_error_at(&errors, i, 10000);
        TH_CHECK(e.kind == EDGEMODULE_BACKGROUND_NO_HANDLER);
        TH_CHECK(e.family == EDGEMODULE_FAMILY_INPUT);
        TH_CHECK(strcmp(e.name, "unhandled") == 0);
        TH_CHECK(e.message[0] != 0);
    }
    TH_CHECK(strcmp(edgemodule_background_kind_name(EDGEMODULE_BACKGROUND_NO_HANDLER), "NO_HANDLER") == 0);
    TH_CHECK(strcmp(edgemodule_handler_family_name(EDGEMODULE_FAMILY_INPUT), "input") == 0);

    static char seen[8192];
    TH_CHECK(th_inspect_wait(&hub, "ordered", NULL, 5, 15000, seen, sizeof seen));
    th_check_acks_in_order(seen);
    TH_CHECK(th_inspect_counter(seen, "redelivered") == 0); /* acknowledged, not left to time out */
    th_sleep_ms(200);
    TH_CHECK(th_counter_get(&errors.count) == 2);

    edgemodule_client_free(sender);
    edgemodule_client_free(ordered);
    return th_end();
}
