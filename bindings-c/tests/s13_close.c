/* S13: closing with work in flight: every async operation completes exactly once (OK or
 * CLOSED), its ctx_free runs exactly once, no callback runs after free returns — also
 * when the client is freed from inside its own callback — and the process exits. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define OPS 40

static atomic_int g_done_calls[OPS];
static atomic_int g_done_frees[OPS];
static atomic_int g_results[OPS];

static void on_done(void *ctx, int32_t result) {
    intptr_t i = (intptr_t)ctx;
    atomic_store(&g_results[i], result);
    TH_CHECK(atomic_load(&g_done_frees[i]) == 0); /* ctx_free comes after */
    atomic_fetch_add(&g_done_calls[i], 1);
}

static void on_done_free(void *ctx) { atomic_fetch_add(&g_done_frees[(intptr_t)ctx], 1); }

/* A slow input callback on the receiver, and a flag set once free() returned. */
static atomic_int g_freed;
static atomic_int g_late_calls;
static th_counter g_inputs;
static int32_t slow_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)call;
    (void)ctx;
    (void)message;
    if (atomic_load(&g_freed)) atomic_fetch_add(&g_late_calls, 1);
    th_counter_add(&g_inputs, 1);
    th_sleep_ms(50);
    return EDGEMODULE_OK;
}
static th_counter g_input_ctx_freed;
static void on_input_ctx_free(void *ctx) {
    (void)ctx;
    th_counter_add(&g_input_ctx_freed, 1);
}

/* A client that frees itself from inside its own callback. */
static edgemodule_client_t *g_self;
static th_counter g_self_freed_in_callback;
static th_counter g_self_ctx_freed;
static void free_myself(void *ctx, int32_t state, int32_t reason) {
    (void)ctx;
    (void)reason;
    if (state != EDGEMODULE_STATE_CONNECTED || !g_self) return;
    edgemodule_client_t *self = g_self;
    g_self = NULL;
    edgemodule_client_free(self); /* returns at once: we are its delivery thread */
    th_counter_add(&g_self_freed_in_callback, 1);
}
static void on_self_ctx_free(void *ctx) {
    (void)ctx;
    th_counter_add(&g_self_ctx_freed, 1);
}

int main(void) {
    th_begin("s13_close", 180);
    th_counter_init(&g_inputs);
    th_counter_init(&g_input_ctx_freed);
    th_counter_init(&g_self_freed_in_callback);
    th_counter_init(&g_self_ctx_freed);
    th_hub hub;
    th_hub_start(&hub);

    /* 1. Async sends in flight when the sender is freed. */
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", 6, slow_input, NULL, on_input_ctx_free));
    TH_OK(edgemodule_client_connect(receiver));
    edgemodule_client_t *sender = th_client(&hub, "sender");
    TH_OK(edgemodule_client_connect(sender));
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)"payload", 7, &m));
    /* Some acknowledged first, so the receiver has a backlog for its slow callback. */
    for (int i = 0; i < 10; i++) TH_OK(edgemodule_client_send_output(sender, "output1", 7, m));
    for (intptr_t i = 0; i < OPS; i++)
        TH_OK(edgemodule_client_send_output_async(sender, "output1", 7, m, on_done, (void *)i, on_done_free));
    edgemodule_message_free(m);
    edgemodule_client_free(sender);
    int ok = 0, closed = 0;
    for (int i = 0; i < OPS; i++) {
        TH_CHECK(atomic_load(&g_done_calls[i]) == 1);
        TH_CHECK(atomic_load(&g_done_frees[i]) == 1);
        int32_t r = atomic_load(&g_results[i]);
        TH_CHECK(r == EDGEMODULE_OK || r == EDGEMODULE_E_CLOSED);
        ok += r == EDGEMODULE_OK;
        closed += r == EDGEMODULE_E_CLOSED;
    }
    printf("[s13_close] %d sends acknowledged, %d closed\n", ok, closed);

    /* 2. The receiver is freed while messages are queued for its slow callback: no call
     * after free returns, ctx_free exactly once. */
    TH_CHECK(th_counter_wait(&g_inputs, 2, 20000));
    edgemodule_client_free(receiver);
    atomic_store(&g_freed, 1);
    TH_CHECK(th_counter_get(&g_input_ctx_freed) == 1);
    th_sleep_ms(300);
    TH_CHECK(atomic_load(&g_late_calls) == 0);
    TH_CHECK(th_counter_get(&g_input_ctx_freed) == 1);

    /* 3. A client freed from inside its own callback. */
    g_self = th_client(&hub, "caller");
    TH_OK(edgemodule_client_set_status_callback(g_self, free_myself, NULL, on_self_ctx_free));
    edgemodule_client_t *self = g_self;
    TH_OK(edgemodule_client_connect_async(self, NULL, NULL, NULL));
    TH_CHECK(th_counter_wait(&g_self_freed_in_callback, 1, 20000));
    TH_CHECK(th_counter_wait(&g_self_ctx_freed, 1, 20000));

    /* 4. Operations on a closed client fail with CLOSED; close is idempotent. */
    edgemodule_client_t *closing = th_client(&hub, "sender");
    TH_OK(edgemodule_client_close(closing));
    TH_OK(edgemodule_client_close(closing));
    TH_RC(EDGEMODULE_E_CLOSED, edgemodule_client_connect(closing));
    TH_RC(EDGEMODULE_E_CLOSED, edgemodule_client_set_default_input_callback(closing, slow_input, NULL, NULL));
    TH_RC(EDGEMODULE_E_CLOSED, edgemodule_client_get_twin_async(closing, NULL, NULL, NULL));
    edgemodule_client_free(closing);

    /* 5. Shutdown with a client still open closes it (its ctx_free runs); freeing the
     * handle afterwards is still fine, anything else fails with CLOSED. */
    edgemodule_client_t *leftover = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_input_callback(leftover, "input1", 6, slow_input, NULL, on_input_ctx_free));
    TH_OK(edgemodule_client_connect(leftover));
    TH_OK(edgemodule_shutdown(10000));
    TH_CHECK(th_counter_get(&g_input_ctx_freed) == 2);
    TH_RC(EDGEMODULE_E_CLOSED, edgemodule_client_connect(leftover));
    edgemodule_client_free(leftover);
    TH_CHECK(th_counter_get(&g_input_ctx_freed) == 2);

    return th_end(); /* edgemodule_shutdown joins every thread; the process then exits */
}
