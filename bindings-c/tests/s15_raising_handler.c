/* S15: an input callback that keeps failing — by its return value, or through a kept call
 * completed as failed now or later from another thread — is called again by the core with
 * doubling waits (redelivery_delay_ms), handler_attempts times (default 4); then the message
 * is acknowledged, dropped and reported on the background-error callback (HANDLER_FAILED,
 * input, its name). PUBACKs stay in order and later messages are still processed. Then the
 * same with handler_attempts = 2 given by name in options_json. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "recorders.h"
#include "traffic.h"

#define BASE_MS 80
#define MAX_CALLS 16

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static long long g_poison_calls[MAX_CALLS];
static int g_poison, g_flaky;
static char g_done[8][16];
static th_counter g_processed;

/* A kept call completed as failed by another thread, a little later. */
static void *fail_later(void *p) {
    th_sleep_ms(20);
    TH_RC(EDGEMODULE_OK, edgemodule_handler_call_complete(p, EDGEMODULE_E_SERVICE, "kept, then failed", EDGEMODULE_NUL_TERMINATED));
    return NULL;
}

static int32_t on_first(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)ctx;
    const char *id = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_get_system_property(message, EDGEMODULE_PROPERTY_MESSAGE_ID, &id, &len));
    if (len == 6 && memcmp(id, "poison", 6) == 0) {
        pthread_mutex_lock(&g_lock);
        int attempt = ++g_poison;
        if (attempt <= MAX_CALLS) g_poison_calls[attempt - 1] = th_now_ms();
        pthread_mutex_unlock(&g_lock);
        switch (attempt) {
        case 1: return EDGEMODULE_E_SERVICE;
        case 2: {
            pthread_t t;
            TH_CHECK(pthread_create(&t, NULL, fail_later, call) == 0);
            TH_CHECK(pthread_detach(t) == 0);
            return EDGEMODULE_PENDING;
        }
        case 3: return 42; /* any value but OK and PENDING is a failure */
        default:
            TH_OK(edgemodule_handler_call_complete(call, EDGEMODULE_E_INTERNAL, "cannot process, attempt 4",
                                                   EDGEMODULE_NUL_TERMINATED));
            return EDGEMODULE_PENDING;
        }
    }
    if (len == 5 && memcmp(id, "flaky", 5) == 0) {
        pthread_mutex_lock(&g_lock);
        int attempt = ++g_flaky;
        pthread_mutex_unlock(&g_lock);
        if (attempt == 1) TH_CHECK(g_poison == 4); /* later messages wait for the failing one */
        if (attempt <= 2) return EDGEMODULE_E_TIMEOUT;
    }
    long i = th_counter_get(&g_processed);
    if (i < 8) snprintf(g_done[i], sizeof g_done[i], "%.*s", (int)len, id);
    th_counter_add(&g_processed, 1);
    return EDGEMODULE_OK;
}

static void on_ping(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                    edgemodule_method_response_t *response) {
    (void)ctx, (void)name, (void)name_len, (void)payload, (void)payload_len;
    TH_OK(edgemodule_method_respond(response, 200, NULL, 0));
}

static void send_id(edgemodule_client_t *sender, const char *output, const char *id) {
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)id, strlen(id), &m));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, id, EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_client_send_output(sender, output, EDGEMODULE_NUL_TERMINATED, m));
    edgemodule_message_free(m);
}

static void base_delay(edgemodule_options_t *o) { o->redelivery_delay_ms = BASE_MS; }

static void two_attempts(edgemodule_options_t *o) {
    static const char json[] = "{\"handler_attempts\": 2, \"redelivery_delay_ms\": 10}";
    o->options_json = json;
    o->options_json_len = sizeof json - 1;
}

static th_counter g_second_calls;
static int32_t always_fails(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)ctx, (void)message, (void)call;
    th_counter_add(&g_second_calls, 1);
    return EDGEMODULE_E_SERVICE;
}

int main(void) {
    th_begin("s15_raising_handler", 240);
    th_counter_init(&g_processed);
    th_counter_init(&g_second_calls);
    th_hub hub;
    th_hub_start(&hub);
    static th_background_errors errors;
    th_background_errors_init(&errors);
    edgemodule_client_t *ordered = th_client_with(&hub, "ordered", base_delay);
    th_background_errors_attach(&errors, ordered);
    TH_OK(edgemodule_client_set_input_callback(ordered, "first", 5, on_first, NULL, NULL));
    TH_OK(edgemodule_client_set_method_callback(ordered, "ping", 4, on_ping, NULL, NULL));
    TH_OK(edgemodule_client_connect(ordered));
    edgemodule_client_t *sender = th_client(&hub, "sender");

    send_id(sender, "first", "poison");
    send_id(sender, "first", "flaky");
    th_send_numbered(sender, "first", "after", 3);
    for (int i = 0; i < 4; i++) TH_CHECK(th_invoke(&hub, "ordered", "ping", 10, NULL, 0) == 200);

    TH_CHECK(th_counter_wait(&g_processed, 4, 30000));
    const char *expected[] = {"flaky", "after000", "after001", "after002"};
    for (int i = 0; i < 4; i++) TH_CHECK(strcmp(g_done[i], expected[i]) == 0);

    th_background_error e = th_background_error_at(&errors, 0, 10000);
    TH_CHECK(e.kind == EDGEMODULE_BACKGROUND_HANDLER_FAILED);
    TH_CHECK(e.family == EDGEMODULE_FAMILY_INPUT);
    TH_CHECK(strcmp(e.name, "first") == 0);
    TH_CHECK(strstr(e.message, "cannot process, attempt 4") != NULL);
    TH_CHECK(th_counter_get(&errors.count) == 1); /* flaky succeeded on its third call */

    TH_CHECK(g_poison == 4); /* bounded: handler_attempts = 4 by default */
    for (int i = 1; i < 4; i++) {
        long long waited = g_poison_calls[i] - g_poison_calls[i - 1];
        printf("[s15_raising_handler] retry %d after %lld ms\n", i, waited);
        TH_CHECK(waited >= (BASE_MS << (i - 1)) - 2); /* doubling (clock granularity) */
    }
    TH_CHECK(g_flaky == 3);

    static char seen[8192];
    TH_CHECK(th_inspect_wait(&hub, "ordered", NULL, 5 + 4, 20000, seen, sizeof seen));
    th_check_acks_in_order(seen);
    TH_CHECK(th_inspect_counter(seen, "redelivered") == 0); /* the hub had no reason to resend */
    th_send_numbered(sender, "first", "last", 1);
    TH_CHECK(th_counter_wait(&g_processed, 5, 20000) && strcmp(g_done[4], "last000") == 0);
    edgemodule_client_free(ordered);
    TH_CHECK(th_counter_get(&errors.freed) == 1);

    /* handler_attempts is the core's option, here by name. */
    static th_background_errors second;
    th_background_errors_init(&second);
    ordered = th_client_with(&hub, "ordered", two_attempts);
    th_background_errors_attach(&second, ordered);
    TH_OK(edgemodule_client_set_input_callback(ordered, "second", 6, always_fails, NULL, NULL));
    TH_OK(edgemodule_client_connect(ordered));
    th_send_numbered(sender, "second", "once", 1);
    e = th_background_error_at(&second, 0, 20000);
    TH_CHECK(e.kind == EDGEMODULE_BACKGROUND_HANDLER_FAILED && strcmp(e.name, "second") == 0);
    TH_CHECK(strstr(e.message, "SERVICE") != NULL);
    TH_CHECK(th_counter_get(&g_second_calls) == 2);

    edgemodule_client_free(sender);
    edgemodule_client_free(ordered);
    return th_end();
}
