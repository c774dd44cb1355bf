/* S06: a desired patch pushed by the operator reaches the callback with its $version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_counter g_patches;
static char g_patch[2048];
static long long g_version = -1;

static int32_t on_desired(void *ctx, const char *json, size_t len, int64_t version, int32_t full,
                          edgemodule_handler_call_t *call) {
    (void)ctx;
    (void)call;
    TH_CHECK(full == 0);
    if (len < sizeof g_patch) {
        memcpy(g_patch, json, len);
        g_patch[len] = 0;
    }
    g_version = version;
    th_counter_add(&g_patches, 1);
    return EDGEMODULE_OK;
}

int main(void) {
    th_begin("s06_desired", 120);
    th_counter_init(&g_patches);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *client = th_client(&hub, "receiver");
    TH_OK(edgemodule_client_set_desired_callback(client, on_desired, NULL, NULL));
    TH_OK(edgemodule_client_connect(client));
    char *twin = NULL;
    TH_OK(edgemodule_client_get_twin(client, &twin, NULL));
    long long before = 0;
    TH_CHECK(th_json_int(twin, "desired", "$version", &before));
    edgemodule_string_free(twin);

    static char out[8192];
    TH_CHECK(th_cli(&hub, out, sizeof out, "twin", "receiver", "--desired", "{\"threshold\":42,\"mode\":\"fast\"}", NULL) == 0);
    TH_CHECK(strstr(out, "42") != NULL); /* the CLI prints the changed twin */

    TH_CHECK(th_counter_wait(&g_patches, 1, 15000));
    long long threshold = 0, patch_version = 0;
    TH_CHECK(th_json_int(g_patch, NULL, "threshold", &threshold) && threshold == 42);
    TH_CHECK(th_json_int(g_patch, NULL, "$version", &patch_version));
    TH_CHECK(patch_version == g_version && g_version > before);
    TH_CHECK(strstr(g_patch, "\"mode\":\"fast\"") != NULL);

    /* The twin read afterwards agrees. */
    TH_OK(edgemodule_client_get_twin(client, &twin, NULL));
    long long now = 0;
    TH_CHECK(th_json_int(twin, "desired", "$version", &now) && now == g_version);
    TH_CHECK(th_json_int(twin, "desired", "threshold", &threshold) && threshold == 42);
    edgemodule_string_free(twin);

    edgemodule_client_free(client);
    return th_end();
}
