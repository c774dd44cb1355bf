/*
 * Traffic and inspection helpers for the delivery scenarios (S14–S25): numbered sends,
 * method calls through the hub's CLI, and the hub's delivery inspection (contract 5 of
 * tests/conformance/README.md: `edgemodule-hub inspect MODULE`).
 */
#ifndef EDGEMODULE_TEST_TRAFFIC_H
#define EDGEMODULE_TEST_TRAFFIC_H

#include "harness.h"

/* Sends `count` messages to `output`, one after another, each with body and message id
 * `<prefix><i>` (three digits). */
void th_send_numbered(edgemodule_client_t *sender, const char *output, const char *prefix, int count);

/* Calls `method` on `module` through `edgemodule-hub invoke` (payload null, hub timeout
 * `timeout_s`); returns the status, or -1 when the CLI failed. `out` (may be NULL) receives
 * the CLI's JSON answer. */
int th_invoke(const th_hub *hub, const char *module, const char *method, int timeout_s, char *out,
              size_t out_len);

/* `edgemodule-hub inspect MODULE` into `out`; fails the test when the CLI fails. */
void th_inspect(const th_hub *hub, const char *module, char *out, size_t out_len);
/* A counter of an inspection (-1 when absent). */
long long th_inspect_counter(const char *inspection, const char *key);
/* PUBACKs the hub received from the module (in order or not). */
long long th_inspect_acks(const char *inspection);
/* Inspects until counter `key` is >= `at_least` (`key` NULL: acks in total); the last
 * inspection stays in `out`. Returns 1 when reached, 0 after `timeout_ms` (scaled). */
int th_inspect_wait(const th_hub *hub, const char *module, const char *key, long long at_least, int timeout_ms,
                    char *out, size_t out_len);
/* Fails the test unless every PUBACK matched the hub's oldest outstanding PUBLISH. */
void th_check_acks_in_order(const char *inspection);

/* Milliseconds of a monotonic clock. */
long long th_now_ms(void);

#endif
