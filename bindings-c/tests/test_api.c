/* API tests that need no hub: version, result codes and last error, messages, options,
 * argument checking, the ctx_free contract of failing calls, and calls after shutdown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static int g_freed;
static void count_free(void *ctx) { (void)ctx; g_freed++; }
static void never_done(void *ctx, int32_t result) { (void)ctx; (void)result; TH_CHECK(!"done_cb must not run"); }

static void version_and_codes(void) {
    TH_CHECK(strcmp(edgemodule_version(), EDGEMODULE_VERSION_STRING) == 0);
    TH_CHECK(EDGEMODULE_ABI_VERSION == 2);
    static const char *names[] = {"OK", "INVALID_ARGUMENT", "CONFIG", "UNAUTHORIZED",
                                  "CONNECTION", "TIMEOUT", "CLOSED", "MESSAGE_TOO_LARGE",
                                  "PROTOCOL", "SERVICE", "CANCELLED", "NOT_FOUND",
                                  "THROTTLED", "INTERNAL"};
    for (int code = 0; code <= 13; code++) TH_CHECK(strcmp(edgemodule_error_name(code), names[code]) == 0);
    TH_CHECK(strcmp(edgemodule_error_name(EDGEMODULE_E_INTERNAL), "INTERNAL") == 0);
    TH_CHECK(strcmp(edgemodule_error_name(14), "UNKNOWN") == 0);
    TH_CHECK(strcmp(edgemodule_error_name(-1), "UNKNOWN") == 0);
}

static void last_error(void) {
    edgemodule_message_t *m = NULL;
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_message_new(NULL, 3, &m));
    TH_CHECK(m == NULL);
    TH_CHECK(edgemodule_last_error_code() == EDGEMODULE_E_INVALID_ARGUMENT);
    size_t full = edgemodule_last_error_message(NULL, 0);
    TH_CHECK(full > 10);
    char small[8];
    size_t n = edgemodule_last_error_message(small, sizeof small);
    TH_CHECK(n == full && strlen(small) == sizeof small - 1);
    char big[512];
    edgemodule_last_error_message(big, sizeof big);
    TH_CHECK(strstr(big, "INVALID_ARGUMENT") && strstr(big, "body"));
    /* A success clears it. */
    TH_OK(edgemodule_message_new((const uint8_t *)"x", 1, &m));
    TH_CHECK(edgemodule_last_error_code() == EDGEMODULE_OK);
    TH_CHECK(edgemodule_last_error_message(NULL, 0) == 0);
    edgemodule_message_free(m);
}

static void message_accessors(void) {
    static const uint8_t body[] = {0x00, 0xff, 'h', 'i'};
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new(body, sizeof body, &m));
    const uint8_t *data = NULL;
    size_t len = 0;
    TH_OK(edgemodule_message_body(m, &data, &len));
    TH_CHECK(len == sizeof body && memcmp(data, body, len) == 0);

    const char *v = NULL;
    size_t vlen = 0;
    TH_RC(EDGEMODULE_E_NOT_FOUND, edgemodule_message_get_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, &v, &vlen));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, "id-1", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_CONTENT_TYPE, "application/json", 16));
    TH_OK(edgemodule_message_get_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, &v, &vlen));
    TH_CHECK(vlen == 4 && memcmp(v, "id-1", 4) == 0);
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_message_set_system_property(m, 99, "x", 1));
    TH_OK(edgemodule_message_set_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, NULL, 0));
    TH_RC(EDGEMODULE_E_NOT_FOUND, edgemodule_message_get_system_property(m, EDGEMODULE_PROPERTY_MESSAGE_ID, &v, &vlen));

    TH_OK(edgemodule_message_set_property(m, "zeta", EDGEMODULE_NUL_TERMINATED, "1", 1));
    TH_OK(edgemodule_message_set_property(m, "alpha", 5, "a b&c=d", EDGEMODULE_NUL_TERMINATED));
    TH_OK(edgemodule_message_set_property(m, "zeta", 4, "2", 1));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_message_set_property(m, "", 0, "x", 1));
    TH_CHECK(edgemodule_message_property_count(m) == 2);
    const char *k = NULL;
    size_t klen = 0;
    TH_OK(edgemodule_message_property_at(m, 0, &k, &klen, &v, &vlen));
    TH_CHECK(klen == 5 && memcmp(k, "alpha", 5) == 0 && vlen == 7 && memcmp(v, "a b&c=d", 7) == 0);
    TH_OK(edgemodule_message_property_at(m, 1, &k, &klen, &v, &vlen));
    TH_CHECK(klen == 4 && memcmp(k, "zeta", 4) == 0 && vlen == 1 && v[0] == '2');
    TH_RC(EDGEMODULE_E_NOT_FOUND, edgemodule_message_property_at(m, 2, &k, &klen, &v, &vlen));
    TH_OK(edgemodule_message_get_property(m, "alpha", EDGEMODULE_NUL_TERMINATED, &v, &vlen));
    TH_RC(EDGEMODULE_E_NOT_FOUND, edgemodule_message_get_property(m, "beta", 4, &v, &vlen));

    edgemodule_message_t *copy = NULL;
    TH_OK(edgemodule_message_clone(m, &copy));
    TH_OK(edgemodule_message_remove_property(m, "zeta", 4));
    TH_RC(EDGEMODULE_E_NOT_FOUND, edgemodule_message_remove_property(m, "zeta", 4));
    TH_CHECK(edgemodule_message_property_count(m) == 1);
    TH_CHECK(edgemodule_message_property_count(copy) == 2);
    TH_OK(edgemodule_message_set_body(copy, NULL, 0));
    TH_OK(edgemodule_message_body(copy, &data, &len));
    TH_CHECK(len == 0);
    TH_CHECK(edgemodule_message_property_count(NULL) == 0);
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_message_body(NULL, &data, &len));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_message_set_property(m, "k", 1, NULL, 0));
    static const char bad_utf8[] = {(char)0xc3, 0};
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_message_set_property(m, bad_utf8, 1, "v", 1));
    edgemodule_message_free(copy);
    edgemodule_message_free(m);
}

static void null_handles_and_free(void) {
    edgemodule_client_free(NULL);
    edgemodule_message_free(NULL);
    edgemodule_subscription_free(NULL);
    edgemodule_method_response_free(NULL);
    edgemodule_string_free(NULL);
    edgemodule_options_init(NULL);
    int32_t state = -1, reason = -1;
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_get_status(NULL, &state, &reason));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_connect(NULL));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_method_respond(NULL, 200, NULL, 0));
    /* A failing call still releases the context exactly once, and never calls back. */
    g_freed = 0;
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new(NULL, 0, &m));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_send_event_async(NULL, m, never_done, NULL, count_free));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_set_default_input_callback(NULL, NULL, NULL, count_free));
    TH_CHECK(g_freed == 2);
    edgemodule_message_free(m);
}

static void options_and_creation_errors(void) {
    edgemodule_options_t options;
    memset(&options, 0xab, sizeof options);
    edgemodule_options_init(&options);
    TH_CHECK(options.struct_size == sizeof options);
    TH_CHECK(options.connection_string == NULL && options.mqtt_port == 0);
    edgemodule_client_t *client = NULL;
    options.struct_size = 0;
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_new(&options, &client));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_client_new(NULL, &client));

    th_env_clear_module_vars();
    TH_RC(EDGEMODULE_E_CONFIG, edgemodule_client_new_from_environment(&client));
    TH_CHECK(strstr(th_last_error(), "IOTEDGE") != NULL);
    TH_CHECK(client == NULL);
    TH_RC(EDGEMODULE_E_CONFIG,
          edgemodule_client_new_from_connection_string("HostName=h;DeviceId=d", EDGEMODULE_NUL_TERMINATED, NULL, 0, &client));
    TH_RC(EDGEMODULE_E_CONFIG,
          edgemodule_client_new_from_connection_string(
              "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5", EDGEMODULE_NUL_TERMINATED, NULL, 0, &client));
    TH_CHECK(strstr(th_last_error(), "trust") != NULL);
    setenv("EDGEMODULE_MQTT_PORT", "not-a-port", 1);
    TH_RC(EDGEMODULE_E_CONFIG,
          edgemodule_client_new_from_connection_string(
              "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5", EDGEMODULE_NUL_TERMINATED, "pem", 3, &client));
    TH_CHECK(strstr(th_last_error(), "EDGEMODULE_MQTT_PORT") != NULL);
    unsetenv("EDGEMODULE_MQTT_PORT");
}

/* The runtime exists (a failed creation still started it); a fork()ed child must get a
 * clear CONFIG error instead of hanging on threads that do not exist there. */
static void fork_is_detected(void) {
    edgemodule_client_t *client = NULL;
    const char *cs = "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5";
    TH_RC(EDGEMODULE_E_CONFIG, edgemodule_client_new_from_connection_string(cs, EDGEMODULE_NUL_TERMINATED, "not a pem", 9, &client));
    /* The child reports through a pipe: under valgrind its exit status is valgrind's (the
     * child leaks the inherited runtime, by design). */
    int verdict[2];
    TH_CHECK(pipe(verdict) == 0);
    pid_t child = fork();
    TH_CHECK(child >= 0);
    if (child == 0) {
        int32_t rc = edgemodule_client_new_from_connection_string(cs, EDGEMODULE_NUL_TERMINATED, "x", 1, &client);
        char message[512];
        edgemodule_last_error_message(message, sizeof message);
        char ok = rc == EDGEMODULE_E_CONFIG && strstr(message, "fork") ? 'Y' : 'N';
        if (write(verdict[1], &ok, 1) != 1) _exit(2);
        _exit(0);
    }
    close(verdict[1]);
    char ok = 0;
    TH_CHECK(read(verdict[0], &ok, 1) == 1 && ok == 'Y');
    close(verdict[0]);
    TH_CHECK(waitpid(child, NULL, 0) == child);
}

static void after_shutdown(void) {
    TH_OK(edgemodule_shutdown(5000));
    TH_OK(edgemodule_shutdown(5000)); /* idempotent */
    edgemodule_client_t *client = NULL;
    TH_RC(EDGEMODULE_E_CLOSED,
          edgemodule_client_new_from_connection_string(
              "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5", EDGEMODULE_NUL_TERMINATED,
              "-----BEGIN CERTIFICATE-----", EDGEMODULE_NUL_TERMINATED, &client));
    /* Messages need no runtime. */
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new((const uint8_t *)"x", 1, &m));
    edgemodule_message_free(m);
}

int main(void) {
    th_begin("test_api", 60);
    version_and_codes();
    last_error();
    message_accessors();
    null_handles_and_free();
    options_and_creation_errors();
    fork_is_detected();
    after_shutdown();
    return th_end();
}
