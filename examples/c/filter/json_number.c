/* A tiny JSON number lookup (see json_number.h). */
#include "json_number.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

/* Skips one JSON value (string, object, array or scalar). */
static void skip_value(cursor *c) {
    skip_ws(c);
    if (c->p >= c->end) return;
    if (*c->p == '"') {
        for (c->p++; c->p < c->end && *c->p != '"'; c->p++)
            if (*c->p == '\\') c->p++;
        if (c->p < c->end) c->p++;
        return;
    }
    if (*c->p == '{' || *c->p == '[') {
        int depth = 0;
        while (c->p < c->end) {
            if (*c->p == '"') {
                skip_value(c);
                continue;
            }
            if (*c->p == '{' || *c->p == '[') depth++;
            if (*c->p == '}' || *c->p == ']') {
                c->p++;
                if (--depth == 0) return;
                continue;
            }
            c->p++;
        }
        return;
    }
    while (c->p < c->end && *c->p != ',' && *c->p != '}' && *c->p != ']') c->p++;
}

/* Moves c to the value of member `key` of the object at c; 0 if absent. */
static int find_member(cursor *c, const char *key) {
    size_t klen = strlen(key);
    skip_ws(c);
    if (c->p >= c->end || *c->p != '{') return 0;
    c->p++;
    for (;;) {
        skip_ws(c);
        if (c->p >= c->end || *c->p != '"') return 0;
        const char *name = c->p + 1;
        skip_value(c);
        int match = (size_t)(c->p - 1 - name) == klen && memcmp(name, key, klen) == 0;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':') return 0;
        c->p++;
        skip_ws(c);
        if (match) return 1;
        skip_value(c);
        skip_ws(c);
        if (c->p >= c->end || *c->p != ',') return 0;
        c->p++;
    }
}

int json_number(const char *json, size_t len, const char *section, const char *key, double *out) {
    cursor c = {json, json + len};
    if (section && !find_member(&c, section)) return 0;
    if (!find_member(&c, key)) return 0;
    char number[64];
    size_t n = 0;
    while (c.p < c.end && n + 1 < sizeof number && strchr("+-0123456789.eE", *c.p)) number[n++] = *c.p++;
    number[n] = 0;
    if (n == 0) return 0;
    char *end = NULL;
    double value = strtod(number, &end);
    if (end != number + n) return 0;
    *out = value;
    return 1;
}
