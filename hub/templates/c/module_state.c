#include "module_state.h"

#include <stdio.h>
#include <string.h>

void module_state_init(module_state_t *state) {
    state->enabled = 1;
    state->forwarded = 0;
}

int module_state_should_forward(const module_state_t *state) { return state->enabled; }

void module_state_count_forwarded(module_state_t *state) { state->forwarded++; }

/* The value after the last "Enabled": at top level or in "desired" (a small scan, enough
 * for the twin JSON the hub sends; a real module would use a JSON library). */
static int find_enabled(const char *json, size_t len, int *value) {
    const char key[] = "\"Enabled\"";
    const char *end = json + len;
    int found = 0;
    for (const char *p = json; p + sizeof key - 1 <= end; p++) {
        if (memcmp(p, key, sizeof key - 1) != 0) continue;
        const char *v = p + sizeof key - 1;
        while (v < end && (*v == ' ' || *v == ':' || *v == '\t' || *v == '\n' || *v == '\r')) v++;
        if (end - v >= 4 && memcmp(v, "true", 4) == 0) {
            *value = 1;
            found = 1;
        } else if (end - v >= 5 && memcmp(v, "false", 5) == 0) {
            *value = 0;
            found = 1;
        }
    }
    return found;
}

int module_state_apply_desired(module_state_t *state, const char *json, size_t len, char *reported,
                               size_t reported_size) {
    /* A whole twin has "reported" too: look at the "desired" part only. */
    const char *desired = strstr(json, "\"desired\"");
    const char *reported_part = strstr(json, "\"reported\"");
    if (desired && reported_part && reported_part > desired) len = (size_t)(reported_part - json);
    int value = 0;
    if (!find_enabled(json, len, &value)) return 0;
    state->enabled = value;
    snprintf(reported, reported_size, "{\"Enabled\":%s}", value ? "true" : "false");
    return 1;
}

void module_state_status(const module_state_t *state, char *out, size_t out_size) {
    snprintf(out, out_size, "{\"enabled\":%s,\"forwarded\":%lu}", state->enabled ? "true" : "false",
             state->forwarded);
}
