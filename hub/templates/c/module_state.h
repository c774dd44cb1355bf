/* The decisions of {{name}}, kept apart from the client so they can be tested alone. */
#ifndef MODULE_STATE_H
#define MODULE_STATE_H

#include <stddef.h>

typedef struct {
    int enabled;
    unsigned long forwarded;
} module_state_t;

void module_state_init(module_state_t *state);
int module_state_should_forward(const module_state_t *state);
void module_state_count_forwarded(module_state_t *state);
/* Takes "Enabled" (true/false) from desired JSON (a patch, or a twin's "desired"
 * section); writes the reported patch into `reported` and returns 1 when it was set. */
int module_state_apply_desired(module_state_t *state, const char *json, size_t len, char *reported,
                               size_t reported_size);
/* {"enabled":…,"forwarded":…} */
void module_state_status(const module_state_t *state, char *out, size_t out_size);

#endif
