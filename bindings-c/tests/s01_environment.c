/* S01: connect from the IoT Edge environment (IOTEDGE_* + workload API). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_counter g_connected;
static th_counter g_ctx_freed;

static void on_status(void *ctx, int32_t state, int32_t reason) {
    (void)ctx;
    if (state == EDGEMODULE_STATE_CONNECTED && reason == EDGEMODULE_REASON_OK) th_counter_add(&g_connected, 1);
}

static th_counter g_event_done;
static int32_t g_event_result = -1;
static void on_event_sent(void *ctx, int32_t result) {
    (void)ctx;
    g_event_result = result;
    th_counter_add(&g_event_done, 1);
}

static void on_ctx_free(void *ctx) {
    TH_CHECK(ctx == (void *)&g_connected);
    th_counter_add(&g_ctx_freed, 1);
}

int main(void) {
    th_begin("s01_environment", 120);
    th_counter_init(&g_connected);
    th_counter_init(&g_ctx_freed);
    th_counter_init(&g_event_done);
    th_hub hub;
    th_hub_start(&hub);

    th_env env;
    th_hub_env(&hub, "sender", "workload", &env);
    TH_CHECK(th_env_get(&env, "IOTEDGE_WORKLOADURI") != NULL);
    TH_CHECK(th_env_get(&env, "EdgeHubConnectionString") == NULL);
    th_env_clear_module_vars();
    th_env_apply(&env);

    edgemodule_client_t *client = NULL;
    TH_OK(edgemodule_client_new_from_environment(&client));
    int32_t state = -1, reason = -1;
    TH_OK(edgemodule_client_get_status(client, &state, &reason));
    TH_CHECK(state == EDGEMODULE_STATE_DISCONNECTED);
    TH_OK(edgemodule_client_set_status_callback(client, on_status, &g_connected, on_ctx_free));
    TH_OK(edgemodule_client_connect(client));
    TH_OK(edgemodule_client_get_status(client, &state, &reason));
    TH_CHECK(state == EDGEMODULE_STATE_CONNECTED && reason == EDGEMODULE_REASON_OK);
    TH_CHECK(th_counter_wait(&g_connected, 1, 10000));

    const char *id = NULL;
    size_t len = 0;
    TH_OK(edgemodule_client_module_id(client, &id, &len));
    TH_CHECK(len == 6 && memcmp(id, "sender", 6) == 0);
    TH_OK(edgemodule_client_device_id(client, &id, &len));
    const char *device = th_env_get(&env, "IOTEDGE_DEVICEID");
    TH_CHECK(device && len == strlen(device) && memcmp(id, device, len) == 0);

    /* The connection works: telemetry is acknowledged. */
    edgemodule_message_t *message = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)"hello", 5, &message));
    TH_OK(edgemodule_client_send_event(client, message));
    TH_OK(edgemodule_client_send_output(client, "up", EDGEMODULE_NUL_TERMINATED, message));
    TH_OK(edgemodule_client_send_event_async(client, message, on_event_sent, NULL, NULL));
    edgemodule_message_free(message);
    TH_CHECK(th_counter_wait(&g_event_done, 1, 15000) && g_event_result == EDGEMODULE_OK);

    edgemodule_client_free(client);
    TH_CHECK(th_counter_get(&g_ctx_freed) == 1);
    th_env_free(&env);
    return th_end();
}
