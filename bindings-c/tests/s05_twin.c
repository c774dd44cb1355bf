/* S05: get the twin (desired from the manifest), patch reported properties, versions move;
 * blocking and async. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static th_counter g_twin_done;
static char g_twin_json[4096];
static int32_t g_twin_result = -1;
static th_counter g_patch_done;
static int32_t g_patch_result = -1;

static void on_twin(void *ctx, int32_t result, const char *json, size_t len) {
    (void)ctx;
    g_twin_result = result;
    if (json && len < sizeof g_twin_json) {
        memcpy(g_twin_json, json, len);
        g_twin_json[len] = 0;
        TH_CHECK(json[len] == 0); /* also NUL-terminated */
    }
    th_counter_add(&g_twin_done, 1);
}

static void on_patched(void *ctx, int32_t result) {
    (void)ctx;
    g_patch_result = result;
    th_counter_add(&g_patch_done, 1);
}

int main(void) {
    th_begin("s05_twin", 120);
    th_counter_init(&g_twin_done);
    th_counter_init(&g_patch_done);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *client = th_client(&hub, "receiver");

    char *twin = NULL;
    size_t len = 0;
    TH_OK(edgemodule_client_get_twin(client, &twin, &len));
    TH_CHECK(twin && strlen(twin) == len);
    long long threshold = 0, desired_version = 0, reported_version = -1, unit_found = 0;
    TH_CHECK(th_json_int(twin, "desired", "threshold", &threshold) && threshold == 30);
    TH_CHECK(th_json_int(twin, "desired", "$version", &desired_version) && desired_version >= 1);
    TH_CHECK(th_json_int(twin, "reported", "$version", &reported_version));
    unit_found = strstr(twin, "\"unit\":\"C\"") != NULL;
    TH_CHECK(unit_found);
    edgemodule_string_free(twin);

    const char *patch = "{\"status\":\"running\",\"count\":1,\"nested\":{\"ok\":true}}";
    TH_OK(edgemodule_client_patch_reported(client, patch, EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_client_get_twin(client, &twin, NULL));
    long long count = 0, version_after = 0;
    TH_CHECK(th_json_int(twin, "reported", "count", &count) && count == 1);
    TH_CHECK(th_json_int(twin, "reported", "$version", &version_after) && version_after > reported_version);
    TH_CHECK(strstr(twin, "\"status\":\"running\"") != NULL);
    edgemodule_string_free(twin);

    /* Async: patch, then read. */
    TH_OK(edgemodule_client_patch_reported_async(client, "{\"count\":2,\"status\":null}", EDGEMODULE_NUL_TERMINATED, on_patched, NULL, NULL));
    TH_CHECK(th_counter_wait(&g_patch_done, 1, 15000));
    TH_CHECK(g_patch_result == EDGEMODULE_OK);
    TH_OK(edgemodule_client_get_twin_async(client, on_twin, NULL, NULL));
    TH_CHECK(th_counter_wait(&g_twin_done, 1, 15000));
    TH_CHECK(g_twin_result == EDGEMODULE_OK);
    long long version_async = 0;
    TH_CHECK(th_json_int(g_twin_json, "reported", "count", &count) && count == 2);
    TH_CHECK(th_json_int(g_twin_json, "reported", "$version", &version_async) && version_async > version_after);
    TH_CHECK(strstr(g_twin_json, "\"status\"") == NULL); /* null removed it */

    /* Invalid patches are refused before anything is sent. */
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_patch_reported(client, "[1,2]", 5));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_patch_reported(client, "{nope", 5));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_get_twin(client, NULL, NULL));

    edgemodule_client_free(client);
    return th_end();
}
