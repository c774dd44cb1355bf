/* S20: a method callback that fails — edgemodule_method_fail, or freeing its response handle
 * unanswered, now or later from another thread — gets the core's one failure reply, byte for
 * byte: status 500, {"error":"HANDLER_FAILED","message":"the method handler failed"}; the
 * callback's own message goes only to the background-error callback. A method nothing
 * handles on a subscribed module is answered 501. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "recorders.h"

static const char FAILURE[] = "{\"error\":\"HANDLER_FAILED\",\"message\":\"the method handler failed\"}";

static void *free_later(void *p) {
    th_sleep_ms(50);
    edgemodule_method_response_free(p);
    return NULL;
}

static void on_method(void *ctx, const char *name, size_t name_len, const char *payload, size_t payload_len,
                      edgemodule_method_response_t *response) {
    (void)ctx, (void)payload, (void)payload_len;
    if (name_len == 5 && memcmp(name, "fails", 5) == 0) {
        TH_OK(edgemodule_method_fail(response, "secret internal detail", EDGEMODULE_NUL_TERMINATED));
    } else if (name_len == 7 && memcmp(name, "dropped", 7) == 0) {
        edgemodule_method_response_free(response);
    } else if (name_len == 5 && memcmp(name, "later", 5) == 0) {
        pthread_t t;
        TH_CHECK(pthread_create(&t, NULL, free_later, response) == 0);
        TH_CHECK(pthread_detach(t) == 0);
    } else {
        char answer[128];
        snprintf(answer, sizeof answer, "{\"default\":\"%.*s\"}", (int)name_len, name);
        TH_OK(edgemodule_method_respond(response, 200, answer, EDGEMODULE_NUL_TERMINATED));
    }
}

static void invoke(edgemodule_client_t *caller, const char *method, int32_t *status, char *payload, size_t cap) {
    const char *device = NULL;
    size_t device_len = 0;
    TH_OK(edgemodule_client_device_id(caller, &device, &device_len));
    char *json = NULL;
    size_t len = 0;
    TH_OK(edgemodule_client_invoke_method(caller, device, device_len, "receiver", 8, method, EDGEMODULE_NUL_TERMINATED,
                                          NULL, 0, 15000, 0, status, &json, &len));
    TH_CHECK(json != NULL && len < cap && json[len] == 0);
    memcpy(payload, json, len + 1);
    edgemodule_string_free(json);
}

int main(void) {
    th_begin("s20_method_failure_reply", 120);
    th_hub hub;
    th_hub_start(&hub);
    static th_background_errors errors;
    th_background_errors_init(&errors);
    edgemodule_client_t *receiver = th_client(&hub, "receiver");
    th_background_errors_attach(&errors, receiver);
    TH_OK(edgemodule_client_set_method_callback(receiver, "fails", 5, on_method, NULL, NULL));
    TH_OK(edgemodule_client_set_method_callback(receiver, "dropped", 7, on_method, NULL, NULL));
    TH_OK(edgemodule_client_set_method_callback(receiver, "later", 5, on_method, NULL, NULL));
    TH_OK(edgemodule_client_set_default_method_callback(receiver, on_method, NULL, NULL));
    TH_OK(edgemodule_client_connect(receiver));
    edgemodule_client_t *caller = th_client(&hub, "caller");

    const char *failing[] = {"fails", "dropped", "later"};
    for (int i = 0; i < 3; i++) {
        int32_t status = -1;
        char payload[512];
        invoke(caller, failing[i], &status, payload, sizeof payload);
        printf("[s20_method_failure_reply] %s: %d %s\n", failing[i], status, payload);
        TH_CHECK(status == 500);
        TH_CHECK(strcmp(payload, FAILURE) == 0); /* the bytes, not just the meaning */
        th_background_error e = th_background_error_at(&errors, i, 10000);
        TH_CHECK(e.kind == EDGEMODULE_BACKGROUND_HANDLER_FAILED);
        TH_CHECK(e.family == EDGEMODULE_FAMILY_METHOD);
        TH_CHECK(strcmp(e.name, failing[i]) == 0);
        if (i == 0) TH_CHECK(strstr(e.message, "secret internal detail") != NULL);
    }

    int32_t status = -1;
    char payload[512];
    invoke(caller, "other", &status, payload, sizeof payload);
    TH_CHECK(status == 200 && strcmp(payload, "{\"default\":\"other\"}") == 0);

    /* Subscribed to methods, but nothing handles this one any more. */
    TH_OK(edgemodule_client_set_default_method_callback(receiver, NULL, NULL, NULL));
    invoke(caller, "other", &status, payload, sizeof payload);
    printf("[s20_method_failure_reply] unhandled: %d %s\n", status, payload);
    TH_CHECK(status == 501);
    th_background_error e = th_background_error_at(&errors, 3, 10000);
    TH_CHECK(e.kind == EDGEMODULE_BACKGROUND_NO_HANDLER && e.family == EDGEMODULE_FAMILY_METHOD);

    edgemodule_client_free(caller);
    edgemodule_client_free(receiver);
    return th_end();
}
