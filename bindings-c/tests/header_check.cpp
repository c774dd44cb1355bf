// Compiled as C++11 with -Wall -Wextra -Werror -pedantic: the header must be clean and
// declare everything with C linkage.
#include "edgemodule.h"

namespace {
int32_t on_input(void *, const edgemodule_message_t *) { return EDGEMODULE_DISPOSITION_ACCEPT; }
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
    (void)method;
    return options.struct_size == sizeof options && edgemodule_version() != nullptr;
}
