/* Unit test of {{name}}'s decisions: `make test` (no hub needed). */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "module_state.h"

int main(void) {
    module_state_t state;
    char reported[64], status[96];
    module_state_init(&state);
    assert(module_state_should_forward(&state));
    module_state_count_forwarded(&state);

    const char *patch = "{\"Enabled\": false, \"$version\": 2}";
    assert(module_state_apply_desired(&state, patch, strlen(patch), reported, sizeof reported));
    assert(strcmp(reported, "{\"Enabled\":false}") == 0);
    assert(!module_state_should_forward(&state));

    const char *other = "{\"Threshold\": 3}";
    assert(!module_state_apply_desired(&state, other, strlen(other), reported, sizeof reported));

    const char *twin = "{\"desired\":{\"Enabled\":true},\"reported\":{\"Enabled\":false}}";
    assert(module_state_apply_desired(&state, twin, strlen(twin), reported, sizeof reported));
    assert(module_state_should_forward(&state));

    module_state_status(&state, status, sizeof status);
    assert(strcmp(status, "{\"enabled\":true,\"forwarded\":1}") == 0);
    printf("test_state: ok\n");
    return 0;
}
