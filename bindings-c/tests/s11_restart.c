/* S11: the hub restarts mid-stream: the clients reconnect by themselves, no QoS 1 message
 * is lost, and a desired change made while the module was offline arrives as a catch-up
 * patch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TOTAL 60

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char g_seen[TOTAL];
static th_counter g_unique;
static th_counter g_sent;
static int32_t g_results[TOTAL];

static int32_t on_input(void *ctx, const edgemodule_message_t *message, edgemodule_handler_call_t *call) {
    (void)call;
    (void)ctx;
    const char *id = NULL;
    size_t len = 0;
    if (edgemodule_message_get_system_property(message, EDGEMODULE_PROPERTY_MESSAGE_ID, &id, &len) == EDGEMODULE_OK &&
        len == 4 && id[0] == 'm') {
        int i = (id[1] - '0') * 100 + (id[2] - '0') * 10 + (id[3] - '0');
        pthread_mutex_lock(&g_lock);
        int fresh = i >= 0 && i < TOTAL && !g_seen[i];
        if (fresh) g_seen[i] = 1;
        pthread_mutex_unlock(&g_lock);
        if (fresh) th_counter_add(&g_unique, 1);
    }
    return EDGEMODULE_OK;
}

static void on_sent(void *ctx, int32_t result) {
    g_results[(intptr_t)ctx] = result;
    th_counter_add(&g_sent, 1);
}

/* Status history of the sender. */
static pthread_mutex_t g_status_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_saw_retrying, g_last_state = -1;
static th_counter g_reconnected;
static void on_status(void *ctx, int32_t state, int32_t reason) {
    (void)ctx;
    (void)reason;
    pthread_mutex_lock(&g_status_lock);
    if (state == EDGEMODULE_STATE_DISCONNECTED_RETRYING) g_saw_retrying = 1;
    if (state == EDGEMODULE_STATE_CONNECTED && g_saw_retrying) th_counter_add(&g_reconnected, 1);
    g_last_state = state;
    pthread_mutex_unlock(&g_status_lock);
}

/* Receiver: status and desired patches. */
static th_counter g_receiver_retrying, g_receiver_connected;
static void on_receiver_status(void *ctx, int32_t state, int32_t reason) {
    (void)ctx;
    (void)reason;
    if (state == EDGEMODULE_STATE_DISCONNECTED_RETRYING) th_counter_add(&g_receiver_retrying, 1);
    if (state == EDGEMODULE_STATE_CONNECTED) th_counter_add(&g_receiver_connected, 1);
}
static th_counter g_patches;
static char g_patch[4096];
static long long g_patch_version;
static int32_t on_desired(void *ctx, const char *json, size_t len, int64_t version, int32_t full,
                          edgemodule_handler_call_t *call) {
    (void)full;
    (void)call;
    (void)ctx;
    if (len < sizeof g_patch) {
        memcpy(g_patch, json, len);
        g_patch[len] = 0;
    }
    g_patch_version = version;
    th_counter_add(&g_patches, 1);
    return EDGEMODULE_OK;
}

static edgemodule_message_t *numbered(int i) {
    char id[8];
    snprintf(id, sizeof id, "m%03d", i);
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)id, 4, &m));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, id, 4));
    return m;
}

static edgemodule_client_t *g_sender;
static th_counter g_third;
static void *produce(void *arg) {
    (void)arg;
    for (int i = 0; i < TOTAL; i++) {
        edgemodule_message_t *m = numbered(i);
        if (i < TOTAL / 3) {
            g_results[i] = edgemodule_client_send_output(g_sender, "output1", 7, m);
            th_counter_add(&g_sent, 1);
        } else {
            if (i == TOTAL / 3) th_counter_add(&g_third, 1);
            TH_OK(edgemodule_client_send_output_async(g_sender, "output1", 7, m, on_sent, (void *)(intptr_t)i, NULL));
            th_sleep_ms(20);
        }
        edgemodule_message_free(m);
    }
    return NULL;
}

int main(void) {
    th_begin("s11_restart", 300);
    th_counter_init(&g_unique);
    th_counter_init(&g_sent);
    th_counter_init(&g_reconnected);
    th_counter_init(&g_third);
    th_counter_init(&g_receiver_retrying);
    th_counter_init(&g_receiver_connected);
    th_counter_init(&g_patches);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_input_callback(receiver, "input1", 6, on_input, NULL, NULL));
    TH_OK(edgemodule_client_set_status_callback(receiver, on_receiver_status, NULL, NULL));
    TH_OK(edgemodule_client_set_desired_callback(receiver, on_desired, NULL, NULL));
    TH_OK(edgemodule_client_connect(receiver));
    g_sender = th_client(&hub, "sender");
    TH_OK(edgemodule_client_set_status_callback(g_sender, on_status, NULL, NULL));
    TH_OK(edgemodule_client_connect(g_sender));

    /* 1. Restart while messages flow. */
    pthread_t producer;
    pthread_create(&producer, NULL, produce, NULL);
    TH_CHECK(th_counter_wait(&g_third, 1, 30000));
    th_hub_stop(&hub);
    th_sleep_ms(300);
    th_hub_start_again(&hub);
    pthread_join(producer, NULL);
    TH_CHECK(th_counter_wait(&g_sent, TOTAL, 60000));
    for (int i = 0; i < TOTAL; i++) {
        if (g_results[i] != EDGEMODULE_OK) fprintf(stderr, "send %d: %s\n", i, edgemodule_error_name(g_results[i]));
        TH_CHECK(g_results[i] == EDGEMODULE_OK);
    }
    TH_CHECK(th_counter_wait(&g_unique, TOTAL, 60000));
    TH_CHECK(th_counter_wait(&g_reconnected, 1, 20000));
    pthread_mutex_lock(&g_status_lock);
    TH_CHECK(g_saw_retrying && g_last_state == EDGEMODULE_STATE_CONNECTED);
    pthread_mutex_unlock(&g_status_lock);

    /* 2. Desired change while the receiver is offline: the same hub state served on other
     * ports, so the module keeps failing to reach its gateway meanwhile. */
    long retrying_before = th_counter_get(&g_receiver_retrying);
    long connected_before = th_counter_get(&g_receiver_connected);
    th_hub_stop(&hub);
    TH_CHECK(th_counter_wait(&g_receiver_retrying, retrying_before + 1, 15000));
    th_hub elsewhere;
    th_hub_start_elsewhere(&hub, &elsewhere);
    static char out[8192];
    TH_CHECK(th_cli(&elsewhere, out, sizeof out, "twin", "receiver", "--desired", "{\"threshold\":55}", NULL) == 0);
    th_hub_stop(&elsewhere);
    th_hub_start_again(&hub);
    TH_CHECK(th_counter_wait(&g_receiver_connected, connected_before + 1, 30000));
    TH_CHECK(th_counter_wait(&g_patches, 1, 20000));
    long long threshold = 0, version = 0;
    TH_CHECK(th_json_int(g_patch, NULL, "threshold", &threshold) && threshold == 55);
    TH_CHECK(th_json_int(g_patch, NULL, "$version", &version) && version == g_patch_version);
    TH_CHECK(strstr(g_patch, "\"unit\":\"C\"") != NULL); /* the whole desired section */
    char *twin = NULL;
    TH_OK(edgemodule_client_get_twin(receiver, &twin, NULL));
    long long now = 0;
    TH_CHECK(th_json_int(twin, "desired", "$version", &now) && now == g_patch_version);
    edgemodule_string_free(twin);

    edgemodule_client_free(g_sender);
    edgemodule_client_free(receiver);
    return th_end();
}
