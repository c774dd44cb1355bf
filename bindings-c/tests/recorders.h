/*
 * Recorders for the callbacks the delivery scenarios observe: the background-error
 * callback (edgemodule_client_set_background_error_callback) and the log callback
 * (edgemodule_set_log_callback). Each keeps every call, thread-safe, with a counter to wait on.
 */
#ifndef EDGEMODULE_TEST_RECORDERS_H
#define EDGEMODULE_TEST_RECORDERS_H

#include "harness.h"

#define TH_RECORDS_MAX 256

typedef struct {
    int32_t kind, family;
    char name[128];
    char message[512];
} th_background_error;

typedef struct {
    th_counter count;
    th_counter freed;
    pthread_mutex_t lock;
    th_background_error errors[TH_RECORDS_MAX];
} th_background_errors;

void th_background_errors_init(th_background_errors *r);
/* Registers the recorder as `client`'s background-error callback (ctx_free counted). */
void th_background_errors_attach(th_background_errors *r, edgemodule_client_t *client);
/* A copy of error `i` (0-based); fails the test unless it arrived within `timeout_ms`. */
th_background_error th_background_error_at(th_background_errors *r, long i, int timeout_ms);

typedef struct {
    int32_t level;
    char target[128];
    char area[64];
    char message[256];
    char fields[512];
    char thread[32];
} th_log_record;

typedef struct {
    th_counter count;
    th_counter freed;
    pthread_mutex_t lock;
    long dropped; /* records past TH_RECORDS_MAX */
    th_log_record records[TH_RECORDS_MAX];
} th_log_records;

void th_log_records_init(th_log_records *r);
/* edgemodule_set_log_callback(max_level, <recorder>, r, <counts r->freed>). */
void th_log_records_attach(th_log_records *r, int32_t max_level);
/* Index of the first record from `from` on whose message equals `message` and whose fields
 * contain every one of the (NULL-terminated) `field` strings; -1 when none. */
long th_log_find(th_log_records *r, long from, const char *message, ...);
/* Waits until th_log_find(r, 0, message, f1, f2) finds one (f1, f2 may be NULL); its index
 * or -1 after `timeout_ms` (scaled). */
long th_log_wait(th_log_records *r, int timeout_ms, const char *message, const char *f1, const char *f2);
/* Prints every record (for a failure's diagnosis). */
void th_log_dump(th_log_records *r);

#endif
