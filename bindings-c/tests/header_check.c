/* Compiled as strict C99 with -Wall -Wextra -Werror -pedantic: the header must be clean. */
#include "edgemodule.h"

/* Every declaration is usable: take the address of a few of each kind. */
typedef int32_t (*new_fn)(edgemodule_client_t **);
static const new_fn create = edgemodule_client_new_from_environment;

static int32_t on_input(void *ctx, const edgemodule_message_t *message) {
    (void)ctx;
    (void)message;
    return EDGEMODULE_DISPOSITION_ACCEPT;
}

int edgemodule_header_check_c(void);
int edgemodule_header_check_c(void) {
    edgemodule_options_t options;
    edgemodule_input_cb cb = on_input;
    edgemodule_options_init(&options);
    (void)cb;
    return create != 0 && options.struct_size == sizeof options &&
           EDGEMODULE_NUL_TERMINATED == (size_t)-1 && EDGEMODULE_E_INTERNAL == 13;
}
