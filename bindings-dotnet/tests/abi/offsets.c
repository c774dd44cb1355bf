/* Prints sizeof and every field offset of edgemodule_options_t, for the C# mirror's test. */
#include <stddef.h>
#include <stdio.h>

#include "edgemodule.h"

#define FIELD(name) printf(#name " %zu\n", offsetof(edgemodule_options_t, name))

int main(void) {
    printf("sizeof %zu\n", sizeof(edgemodule_options_t));
    FIELD(struct_size);
    FIELD(connection_string);
    FIELD(connection_string_len);
    FIELD(trust_bundle_pem);
    FIELD(trust_bundle_pem_len);
    FIELD(product_info);
    FIELD(product_info_len);
    FIELD(model_id);
    FIELD(model_id_len);
    FIELD(mqtt_port);
    FIELD(https_port);
    FIELD(max_inflight);
    FIELD(operation_timeout_ms);
    FIELD(keep_alive_s);
    FIELD(sas_ttl_s);
    FIELD(redelivery_delay_ms);
    FIELD(retry_initial_delay_ms);
    FIELD(retry_max_delay_ms);
    FIELD(retry_give_up_after_ms);
    FIELD(options_json);
    FIELD(options_json_len);
    return 0;
}
