/* S17: a module that never registered a method callback is not subscribed to methods:
 * invoking one of its methods answers 404 (EDGEMODULE_E_NOT_FOUND) in under 1 s, although it
 * is connected. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "traffic.h"

int main(void) {
    th_begin("s17_no_method_handler", 120);
    th_hub hub;
    th_hub_start(&hub);
    edgemodule_client_t *nomethods = th_client(&hub, "nomethods");
    TH_OK(edgemodule_client_connect(nomethods));
    static char seen[8192];
    th_inspect(&hub, "nomethods", seen, sizeof seen);
    TH_CHECK(strstr(seen, "\"connected\":true") || strstr(seen, "\"connected\": true"));
    TH_CHECK(strstr(seen, "methods/POST") == NULL); /* no method subscription */

    edgemodule_client_t *caller = th_client(&hub, "caller");
    const char *device = NULL;
    size_t device_len = 0;
    TH_OK(edgemodule_client_device_id(caller, &device, &device_len));
    for (int i = 0; i < 3; i++) {
        int32_t status = -1;
        long long started = th_now_ms();
        int32_t rc = edgemodule_client_invoke_method(caller, device, device_len, "nomethods", 9, "anything", 8, NULL,
                                                     0, 20000, 0, &status, NULL, NULL);
        long long took = th_now_ms() - started;
        printf("[s17_no_method_handler] answered %s after %lld ms\n", edgemodule_error_name(rc), took);
        TH_RC(EDGEMODULE_E_NOT_FOUND, rc);
        TH_CHECK(strstr(th_last_error(), "404") != NULL);
        TH_CHECK(took < th_scaled_ms(1000)); /* at once (scaled only under valgrind) */
    }
    TH_CHECK(th_invoke(&hub, "nomethods", "anything", 20, NULL, 0) != 200);

    edgemodule_client_free(caller);
    edgemodule_client_free(nomethods);
    return th_end();
}
