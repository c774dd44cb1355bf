/* S10: bad credentials fail with UNAUTHORIZED, quickly, and the status says why. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static char g_cs[2048];

static void wrong_key(edgemodule_options_t *options) {
    /* Same module, another (valid base64) key. */
    const char *key = strstr(options->connection_string, "SharedAccessKey=");
    TH_CHECK(key != NULL);
    size_t prefix = (size_t)(key - options->connection_string) + strlen("SharedAccessKey=");
    memcpy(g_cs, options->connection_string, prefix);
    strcpy(g_cs + prefix, "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=");
    options->connection_string = g_cs;
    options->connection_string_len = strlen(g_cs);
    options->operation_timeout_ms = (uint32_t)th_scaled_ms(3000); /* slower under valgrind */
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void) {
    th_begin("s10_bad_credentials", 120);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *client = th_client_with(&hub, "sender", wrong_key);
    double start = now_s();
    TH_RC(EDGEMODULE_E_UNAUTHORIZED, edgemodule_client_connect(client));
    TH_CHECK(now_s() - start < th_scaled_ms(10000) / 1000.0); /* no hang until the timeout */
    int32_t state = -1, reason = -1;
    TH_OK(edgemodule_client_get_status(client, &state, &reason));
    TH_CHECK(state == EDGEMODULE_STATE_DISCONNECTED && reason == EDGEMODULE_REASON_BAD_CREDENTIAL);
    /* Operations fail too, and promptly. */
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)"x", 1, &m));
    int32_t rc = edgemodule_client_send_output(client, "output1", 7, m);
    TH_CHECK(rc == EDGEMODULE_E_UNAUTHORIZED || rc == EDGEMODULE_E_CONNECTION || rc == EDGEMODULE_E_TIMEOUT);
    edgemodule_message_free(m);
    edgemodule_client_free(client);

    /* The right key still works. */
    client = th_client(&hub, "sender");
    TH_OK(edgemodule_client_connect(client));
    edgemodule_client_free(client);
    return th_end();
}
