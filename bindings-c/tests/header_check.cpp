// Compiled as C++11 with -Wall -Wextra -Werror -pedantic: the header must be clean and
// declare everything with C linkage.
#include "edgemodule.h"

namespace {
int32_t on_input(void *, const edgemodule_message_t *, edgemodule_handler_call_t *call) {
    // Kept, then completed: the callback owns the call once it returns EDGEMODULE_PENDING.
    edgemodule_handler_call_complete(call, EDGEMODULE_OK, nullptr, 0);
    return EDGEMODULE_PENDING;
}
void on_background(void *, int32_t, int32_t, const char *, size_t, const char *, size_t) {}
void on_method(void *, const char *, size_t, const char *, size_t, edgemodule_method_response_t *response) {
    edgemodule_method_response_free(response);
}
}  // namespace

int edgemodule_header_check_cpp();
int edgemodule_header_check_cpp() {
    edgemodule_options_t options;
    edgemodule_options_init(&options);
    edgemodule_input_cb input = on_input;
    edgemodule_method_cb method = on_method;
    (void)input;
    edgemodule_background_error_cb background = on_background;
    (void)method;
    (void)background;
    return options.struct_size == sizeof options && edgemodule_version() != nullptr;
}
