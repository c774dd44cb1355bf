/* Background-error and log recorders (see recorders.h). */
#define _GNU_SOURCE
#include "recorders.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy(char *out, size_t cap, const char *text, size_t len) {
    if (len >= cap) len = cap - 1;
    memcpy(out, text, len);
    out[len] = 0;
}

static void on_background(void *ctx, int32_t kind, int32_t family, const char *name, size_t name_len,
                          const char *message, size_t message_len) {
    th_background_errors *r = ctx;
    pthread_mutex_lock(&r->lock);
    long i = th_counter_get(&r->count);
    if (i < TH_RECORDS_MAX) {
        r->errors[i].kind = kind;
        r->errors[i].family = family;
        copy(r->errors[i].name, sizeof r->errors[i].name, name, name_len);
        copy(r->errors[i].message, sizeof r->errors[i].message, message, message_len);
        /* Both strings are NUL-terminated too, as documented. */
        TH_CHECK(name[name_len] == 0 && message[message_len] == 0);
    }
    pthread_mutex_unlock(&r->lock);
    printf("[background] %s %s '%.*s': %.*s\n", edgemodule_background_kind_name(kind),
           edgemodule_handler_family_name(family), (int)name_len, name, (int)message_len, message);
    th_counter_add(&r->count, 1);
}

static void on_background_free(void *ctx) { th_counter_add(&((th_background_errors *)ctx)->freed, 1); }

void th_background_errors_init(th_background_errors *r) {
    memset(r, 0, sizeof *r);
    th_counter_init(&r->count);
    th_counter_init(&r->freed);
    pthread_mutex_init(&r->lock, NULL);
}

void th_background_errors_attach(th_background_errors *r, edgemodule_client_t *client) {
    TH_OK(edgemodule_client_set_background_error_callback(client, on_background, r, on_background_free));
}

th_background_error th_background_error_at(th_background_errors *r, long i, int timeout_ms) {
    if (!th_counter_wait(&r->count, i + 1, timeout_ms) || i >= TH_RECORDS_MAX)
        th_fail(__FILE__, __LINE__, "the expected background error did not arrive");
    pthread_mutex_lock(&r->lock);
    th_background_error e = r->errors[i];
    pthread_mutex_unlock(&r->lock);
    return e;
}

static void on_log(void *ctx, int32_t level, const char *target, size_t target_len, const char *area,
                   size_t area_len, const char *message, size_t message_len, const char *fields, size_t fields_len) {
    th_log_records *r = ctx;
    pthread_mutex_lock(&r->lock);
    long i = th_counter_get(&r->count);
    if (i < TH_RECORDS_MAX) {
        th_log_record *rec = &r->records[i];
        rec->level = level;
        copy(rec->target, sizeof rec->target, target, target_len);
        copy(rec->area, sizeof rec->area, area, area_len);
        copy(rec->message, sizeof rec->message, message, message_len);
        copy(rec->fields, sizeof rec->fields, fields, fields_len);
        if (pthread_getname_np(pthread_self(), rec->thread, sizeof rec->thread) != 0) rec->thread[0] = 0;
        pthread_mutex_unlock(&r->lock);
        th_counter_add(&r->count, 1);
    } else {
        r->dropped++;
        pthread_mutex_unlock(&r->lock);
    }
}

static void on_log_free(void *ctx) { th_counter_add(&((th_log_records *)ctx)->freed, 1); }

void th_log_records_init(th_log_records *r) {
    memset(r, 0, sizeof *r);
    th_counter_init(&r->count);
    th_counter_init(&r->freed);
    pthread_mutex_init(&r->lock, NULL);
}

void th_log_records_attach(th_log_records *r, int32_t max_level) {
    TH_OK(edgemodule_set_log_callback(max_level, on_log, r, on_log_free));
}

static int matches(const th_log_record *rec, const char *message, const char *const *fields, int n) {
    if (strcmp(rec->message, message) != 0) return 0;
    for (int i = 0; i < n; i++)
        if (!strstr(rec->fields, fields[i])) return 0;
    return 1;
}

long th_log_find(th_log_records *r, long from, const char *message, ...) {
    const char *fields[4];
    int n = 0;
    va_list args;
    va_start(args, message);
    for (const char *f = va_arg(args, const char *); f && n < 4; f = va_arg(args, const char *)) fields[n++] = f;
    va_end(args);
    long found = -1;
    pthread_mutex_lock(&r->lock);
    long count = th_counter_get(&r->count);
    for (long i = from; i < count && i < TH_RECORDS_MAX && found < 0; i++)
        if (matches(&r->records[i], message, fields, n)) found = i;
    pthread_mutex_unlock(&r->lock);
    return found;
}

long th_log_wait(th_log_records *r, int timeout_ms, const char *message, const char *f1, const char *f2) {
    int waited = 0, total = th_scaled_ms(timeout_ms);
    for (;;) {
        long i = th_log_find(r, 0, message, f1, f2, NULL);
        if (i >= 0 || waited >= total) return i;
        th_sleep_ms(20);
        waited += 20;
    }
}

void th_log_dump(th_log_records *r) {
    pthread_mutex_lock(&r->lock);
    long count = th_counter_get(&r->count);
    for (long i = 0; i < count && i < TH_RECORDS_MAX; i++) {
        const th_log_record *rec = &r->records[i];
        fprintf(stderr, "  log %d [%s] %s (%s): %s %s\n", rec->level, rec->thread, rec->target, rec->area,
                rec->message, rec->fields);
    }
    pthread_mutex_unlock(&r->lock);
}
