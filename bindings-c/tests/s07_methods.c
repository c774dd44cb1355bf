/* S07: direct method round trip (status + JSON payload) — answered from the callback, and
 * answered later from another thread through the response handle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_counter g_calls;
static edgemodule_method_response_t *g_deferred;
static th_counter g_deferred_ready;
static char g_default_name[64];

static void on_echo(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                    edgemodule_method_response_t *response) {
    (void)ctx;
    TH_CHECK(name_len == 4 && memcmp(name, "echo", 4) == 0);
    th_counter_add(&g_calls, 1);
    /* Answer with the request's payload wrapped in an object. */
    char answer[1024];
    int n = snprintf(answer, sizeof answer, "{\"echo\":%.*s}", (int)payload_len, payload);
    TH_OK(edgemodule_method_respond(response, 200, answer, (size_t)n));
}

static void on_other(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                     edgemodule_method_response_t *response) {
    (void)ctx;
    (void)payload;
    (void)payload_len;
    if (name_len < sizeof g_default_name) {
        memcpy(g_default_name, name, name_len);
        g_default_name[name_len] = 0;
    }
    g_deferred = response; /* answered later, from another thread */
    th_counter_add(&g_deferred_ready, 1);
}

static void *answer_later(void *arg) {
    (void)arg;
    TH_CHECK(th_counter_wait(&g_deferred_ready, 1, 20000));
    th_sleep_ms(200);
    TH_OK(edgemodule_method_respond(g_deferred, 201, "{\"deferred\":true}", EDGEMODULE_NUL_TERMINATED));
    return NULL;
}

int main(void) {
    th_begin("s07_methods", 120);
    th_counter_init(&g_calls);
    th_counter_init(&g_deferred_ready);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *client = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_method_callback(client, "echo", EDGEMODULE_NUL_TERMINATED, on_echo, NULL, NULL));
    TH_OK(edgemodule_client_set_default_method_callback(client, on_other, NULL, NULL));
    TH_OK(edgemodule_client_connect(client));

    static char out[8192];
    TH_CHECK(th_cli(&hub, out, sizeof out, "invoke", "receiver", "echo", "{\"x\":1,\"s\":\"hi\"}", "--timeout", "20", NULL) == 0);
    long long status = 0, x = 0;
    TH_CHECK(th_json_int(out, NULL, "status", &status) && status == 200);
    TH_CHECK(strstr(out, "\"echo\"") && strstr(out, "\"hi\""));
    TH_CHECK(th_json_int(out, "payload", "echo", &x) == 0); /* echo is an object */
    TH_CHECK(th_counter_get(&g_calls) == 1);

    pthread_t later;
    pthread_create(&later, NULL, answer_later, NULL);
    TH_CHECK(th_cli(&hub, out, sizeof out, "invoke", "receiver", "calibrate", "null", "--timeout", "20", NULL) == 0);
    pthread_join(later, NULL);
    TH_CHECK(th_json_int(out, NULL, "status", &status) && status == 201);
    TH_CHECK(strstr(out, "\"deferred\": true") || strstr(out, "\"deferred\":true"));
    TH_CHECK(strcmp(g_default_name, "calibrate") == 0);

    edgemodule_client_free(client);
    return th_end();
}
