/* Compiled as strict C99 with -Wall -Wextra -Werror -pedantic: the header must be clean. */
#include "edgemodule.h"

/* Every declaration is usable: take the address of a few of each kind. */
typedef int32_t (*new_fn)(edgemodule_client_t **);
static const new_fn create = edgemodule_client_new_from_environment;

static int32_t on_input(void *ctx, const edgemodule_message_t *message,
                        edgemodule_handler_call_t *call) {
    (void)ctx;
    (void)message;
    (void)call;
    return EDGEMODULE_OK;
}

static void on_log(void *ctx, int32_t level, const char *target, size_t target_len,
                   const char *area, size_t area_len, const char *message, size_t message_len,
                   const char *fields, size_t fields_len) {
    (void)ctx; (void)level; (void)target; (void)target_len; (void)area; (void)area_len;
    (void)message; (void)message_len; (void)fields; (void)fields_len;
}

int edgemodule_header_check_c(void);
int edgemodule_header_check_c(void) {
    edgemodule_options_t options;
    edgemodule_input_cb cb = on_input;
    edgemodule_log_cb log = on_log;
    edgemodule_options_init(&options);
    (void)cb;
    (void)log;
    return create != 0 && options.struct_size == sizeof options &&
           EDGEMODULE_NUL_TERMINATED == (size_t)-1 && EDGEMODULE_E_INTERNAL == 13 &&
           EDGEMODULE_PENDING == -1;
}
