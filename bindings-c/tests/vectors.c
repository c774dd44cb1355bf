/* The shared data of tests/vectors against the C exports: every result code's name,
 * description and transience (errors.json), every state's and reason's name and every
 * reason's description (status.json) come from the core's one table, and the header's
 * EDGEMODULE_PROPERTY_* codes are the core's system-property codes (system_properties.json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

typedef const char *(*name_fn)(int32_t);

static char *load(const char *name) {
    const char *manifest = getenv("EDGEMODULE_MANIFEST"); /* tests/conformance/deployment.json */
    TH_CHECK(manifest != NULL);
    char path[1024];
    const char *slash = strstr(manifest, "tests/conformance/");
    TH_CHECK(slash != NULL);
    snprintf(path, sizeof path, "%.*stests/vectors/%s", (int)(slash - manifest), manifest, name);
    char *text = th_read_file(path, NULL);
    if (!text) fprintf(stderr, "cannot read %s\n", path);
    TH_CHECK(text != NULL);
    return text;
}

static int flag(const char *value) {
    while (*value == ' ' || *value == '\n') value++;
    if (strncmp(value, "true", 4) == 0) return 1;
    TH_CHECK(strncmp(value, "false", 5) == 0);
    return 0;
}

static void check_string(const char *object, const char *key, const char *actual, const char *case_name) {
    char expected[512];
    const char *value = th_json_member(object, key);
    TH_CHECK(value && th_json_string(value, expected, sizeof expected));
    if (!actual || strcmp(actual, expected) != 0) {
        fprintf(stderr, "%s: %s is '%s', the vector says '%s'\n", case_name, key, actual ? actual : "(NULL)", expected);
        TH_CHECK(!"the C export matches the vector");
    }
}

/* Calls `check` for every case of `vectors` whose op is `op`; returns how many. */
static int each_case(const char *vectors, const char *op,
                     void (*check)(const char *name, long long input, const char *expected)) {
    const char *p = th_json_member(vectors, "cases");
    TH_CHECK(p && *p == '[');
    int n = 0;
    for (p++;;) {
        while (*p == ' ' || *p == '\n' || *p == ',') p++;
        if (*p == ']') break;
        const char *end = th_json_skip(p);
        size_t len = (size_t)(end - p);
        char *item = malloc(len + 1);
        TH_CHECK(item != NULL);
        memcpy(item, p, len);
        item[len] = 0;
        char this_op[32], name[256];
        const char *input = th_json_member(item, "input");
        TH_CHECK(th_json_string(th_json_member(item, "op"), this_op, sizeof this_op));
        TH_CHECK(th_json_string(th_json_member(item, "name"), name, sizeof name));
        if (strcmp(this_op, op) == 0) {
            TH_CHECK(input != NULL);
            check(name, strtoll(input, NULL, 10), th_json_member(item, "expected"));
            n++;
        }
        free(item);
        p = end;
    }
    return n;
}

static int is_null(const char *value) { return strncmp(value, "null", 4) == 0; }

static void check_code(const char *name, long long code, const char *expected) {
    int32_t c = (int32_t)code;
    if (is_null(expected)) {
        TH_CHECK(strcmp(edgemodule_error_name(c), "UNKNOWN") == 0);
        TH_CHECK(edgemodule_error_description(c) == NULL);
        TH_CHECK(edgemodule_error_is_transient(c) == 0);
        return;
    }
    check_string(expected, "name", edgemodule_error_name(c), name);
    check_string(expected, "description", edgemodule_error_description(c), name);
    TH_CHECK(edgemodule_error_is_transient(c) == flag(th_json_member(expected, "transient")));
}

static void check_names(const char *name, long long unused, const char *expected, name_fn fn) {
    (void)unused;
    const char *p = expected;
    TH_CHECK(*p == '[');
    int32_t code = 0;
    for (p++;; code++) {
        while (*p == ' ' || *p == '\n' || *p == ',') p++;
        if (*p == ']') break;
        char want[64];
        TH_CHECK(th_json_string(p, want, sizeof want));
        if (!fn(code) || strcmp(fn(code), want) != 0) {
            fprintf(stderr, "%s: code %d is '%s', the vector says '%s'\n", name, code, fn(code) ? fn(code) : "(NULL)", want);
            TH_CHECK(!"names in code order");
        }
        p = th_json_skip(p);
    }
    TH_CHECK(fn(code) == NULL || strcmp(fn(code), "UNKNOWN") == 0); /* nothing after the last */
}

static const char *error_name(int32_t code) { return edgemodule_error_name(code); }
static void all_codes(const char *name, long long input, const char *expected) {
    check_names(name, input, expected, error_name);
}
static void all_states(const char *name, long long input, const char *expected) {
    check_names(name, input, expected, edgemodule_state_name);
}
static void all_reasons(const char *name, long long input, const char *expected) {
    check_names(name, input, expected, edgemodule_reason_name);
}

static void check_state(const char *name, long long code, const char *expected) {
    if (is_null(expected)) {
        TH_CHECK(edgemodule_state_name((int32_t)code) == NULL);
        return;
    }
    check_string(expected, "name", edgemodule_state_name((int32_t)code), name);
}

static void check_reason(const char *name, long long code, const char *expected) {
    if (is_null(expected)) {
        TH_CHECK(edgemodule_reason_name((int32_t)code) == NULL);
        TH_CHECK(edgemodule_reason_description((int32_t)code) == NULL);
        return;
    }
    check_string(expected, "name", edgemodule_reason_name((int32_t)code), name);
    check_string(expected, "description", edgemodule_reason_description((int32_t)code), name);
}

/* The header's constants by the core's API name (what this test checks, not a table used by
 * the library). */
static const struct {
    const char *name;
    int32_t code;
} PROPERTIES[] = {
    {"message_id", EDGEMODULE_PROPERTY_MESSAGE_ID},
    {"correlation_id", EDGEMODULE_PROPERTY_CORRELATION_ID},
    {"user_id", EDGEMODULE_PROPERTY_USER_ID},
    {"content_type", EDGEMODULE_PROPERTY_CONTENT_TYPE},
    {"content_encoding", EDGEMODULE_PROPERTY_CONTENT_ENCODING},
    {"creation_time", EDGEMODULE_PROPERTY_CREATION_TIME},
    {"expiry_time", EDGEMODULE_PROPERTY_EXPIRY_TIME},
    {"message_schema", EDGEMODULE_PROPERTY_MESSAGE_SCHEMA},
    {"component_name", EDGEMODULE_PROPERTY_COMPONENT_NAME},
    {"interface_id", EDGEMODULE_PROPERTY_INTERFACE_ID},
    {"to", EDGEMODULE_PROPERTY_TO},
    {"ack", EDGEMODULE_PROPERTY_ACK},
    {"operation", EDGEMODULE_PROPERTY_OPERATION},
    {"input_name", EDGEMODULE_PROPERTY_INPUT_NAME},
    {"output_name", EDGEMODULE_PROPERTY_OUTPUT_NAME},
    {"connection_device_id", EDGEMODULE_PROPERTY_CONNECTION_DEVICE_ID},
    {"connection_module_id", EDGEMODULE_PROPERTY_CONNECTION_MODULE_ID},
};
#define PROPERTY_COUNT (int)(sizeof PROPERTIES / sizeof PROPERTIES[0])

static int g_properties;
static void all_properties(const char *name, long long unused, const char *expected) {
    (void)unused;
    const char *p = expected;
    TH_CHECK(*p == '[');
    for (p++;; g_properties++) {
        while (*p == ' ' || *p == '\n' || *p == ',') p++;
        if (*p == ']') break;
        char want[64];
        TH_CHECK(th_json_string(p, want, sizeof want));
        int found = 0;
        for (int i = 0; i < PROPERTY_COUNT; i++)
            if (strcmp(PROPERTIES[i].name, want) == 0) found = PROPERTIES[i].code == g_properties;
        if (!found) {
            fprintf(stderr, "%s: code %d is '%s' in the vector, not so in edgemodule.h\n", name, g_properties, want);
            TH_CHECK(!"EDGEMODULE_PROPERTY_* are the core's codes");
        }
        p = th_json_skip(p);
    }
}

int main(void) {
    th_begin("vectors", 60);
    char *errors = load("errors.json");
    TH_CHECK(each_case(errors, "all_codes", all_codes) == 1);
    int codes = each_case(errors, "code", check_code);
    TH_CHECK(codes >= 14);
    free(errors);
    char *status = load("status.json");
    TH_CHECK(each_case(status, "all_states", all_states) == 1);
    TH_CHECK(each_case(status, "all_reasons", all_reasons) == 1);
    int states = each_case(status, "state", check_state);
    int reasons = each_case(status, "reason", check_reason);
    TH_CHECK(states >= 4 && reasons >= 7);
    free(status);
    char *properties = load("system_properties.json");
    TH_CHECK(each_case(properties, "all", all_properties) == 1);
    TH_CHECK(g_properties == PROPERTY_COUNT);
    free(properties);
    /* Out of the table: refused. */
    edgemodule_message_t *m = NULL;
    TH_OK(edgemodule_message_new(NULL, 0, &m));
    TH_RC(EDGEMODULE_E_INVALID_ARGUMENT, edgemodule_message_set_system_property(m, PROPERTY_COUNT, "x", 1));
    edgemodule_message_free(m);
    printf("[vectors] %d error codes, %d states, %d reasons, %d system properties match\n", codes, states, reasons,
           g_properties);
    return th_end();
}
