/* S02: connect from EdgeHubConnectionString + EdgeModuleCACertificateFile (environment),
 * from a connection string + PEM, and from an options struct. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void connect_and_send(edgemodule_client_t *client) {
    TH_OK(edgemodule_client_connect(client));
    int32_t state = -1, reason = -1;
    TH_OK(edgemodule_client_get_status(client, &state, &reason));
    TH_CHECK(state == EDGEMODULE_STATE_CONNECTED);
    edgemodule_message_t *message = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)"{}", 2, &message));
    TH_OK(edgemodule_client_send_output(client, "up", 2, message));
    edgemodule_message_free(message);
}

int main(void) {
    th_begin("s02_connection_string", 120);
    th_hub hub;
    th_hub_start(&hub);
    th_env env;
    th_hub_env(&hub, "sender", "connection-string", &env);
    const char *cs = th_env_get(&env, "EdgeHubConnectionString");
    const char *ca = th_env_get(&env, "EdgeModuleCACertificateFile");
    TH_CHECK(cs && ca && strstr(cs, "ModuleId=sender") && strstr(cs, "SharedAccessKey="));
    TH_CHECK(th_env_get(&env, "IOTEDGE_WORKLOADURI") == NULL);

    /* 1. The environment form without IOTEDGE_*. */
    th_env_clear_module_vars();
    th_env_apply(&env);
    edgemodule_client_t *client = NULL;
    TH_OK(edgemodule_client_new_from_environment(&client));
    connect_and_send(client);
    edgemodule_client_free(client);

    /* 2. Connection string + PEM (ports from EDGEMODULE_MQTT_PORT / _HTTPS_PORT). */
    size_t pem_len = 0;
    char *pem = th_read_file(ca, &pem_len);
    TH_CHECK(pem && strstr(pem, "BEGIN CERTIFICATE"));
    client = NULL;
    TH_OK(edgemodule_client_new_from_connection_string(cs, strlen(cs), pem, pem_len, &client));
    connect_and_send(client);
    edgemodule_client_free(client);

    /* 3. Options, with explicit ports and the environment cleared. */
    th_env_clear_module_vars();
    edgemodule_options_t options;
    edgemodule_options_init(&options);
    options.connection_string = cs;
    options.connection_string_len = EDGEMODULE_NUL_TERMINATED;
    options.trust_bundle_pem = pem;
    options.trust_bundle_pem_len = pem_len;
    options.mqtt_port = (uint16_t)hub.mqtt_port;
    options.https_port = (uint16_t)hub.https_port;
    options.product_info = "c-tests/1.0";
    options.product_info_len = EDGEMODULE_NUL_TERMINATED;
    client = NULL;
    TH_OK(edgemodule_client_new(&options, &client));
    connect_and_send(client);
    edgemodule_client_free(client);

    /* Without the CA the gateway's certificate cannot be trusted. */
    TH_RC(EDGEMODULE_E_CONFIG, edgemodule_client_new_from_connection_string(cs, EDGEMODULE_NUL_TERMINATED, NULL, 0, &client));

    free(pem);
    th_env_free(&env);
    return th_end();
}
