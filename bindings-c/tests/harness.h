/*
 * Test harness for the edgemodule C tests: runs edgemodule-hub as a child process with the
 * shared test deployment, following the launcher contract of tests/conformance/README.md
 * (127.0.0.1, ports 0 read back from the ready line, restarts on the same addresses,
 * EDGEMODULE_HUB_STATE for the CLI), reads module environments from it, runs its CLI
 * (twin, invoke), and offers small assertion and synchronisation helpers.
 *
 * The hub binary is $EDGEMODULE_HUB and the manifest $EDGEMODULE_MANIFEST (set by ctest). Every test also arms an alarm so a
 * hang fails instead of blocking the suite ($TH_TIMEOUT_SCALE stretches it, e.g. under
 * valgrind).
 */
#ifndef EDGEMODULE_TEST_HARNESS_H
#define EDGEMODULE_TEST_HARNESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "edgemodule.h"

/* ---- assertions ------------------------------------------------------------------- */

void th_fail(const char *file, int line, const char *what);
void th_fail_rc(const char *file, int line, const char *call, int32_t rc, int32_t expected);

#define TH_CHECK(cond)                                    \
    do {                                                  \
        if (!(cond)) th_fail(__FILE__, __LINE__, #cond);  \
    } while (0)

/* `call` must return `expected` (an EDGEMODULE_* code). */
#define TH_RC(expected, call)                                              \
    do {                                                                   \
        int32_t th_rc_ = (call);                                           \
        if (th_rc_ != (expected))                                          \
            th_fail_rc(__FILE__, __LINE__, #call, th_rc_, (expected));     \
    } while (0)

#define TH_OK(call) TH_RC(EDGEMODULE_OK, call)

/* Starts a test: arms the alarm (seconds, scaled) and prints its name. */
void th_begin(const char *name, int timeout_s);
/* Ends a test: shuts edgemodule down (checked), stops every hub, prints PASS. */
int th_end(void);
/* Milliseconds scaled by $TH_TIMEOUT_SCALE. */
int th_scaled_ms(int ms);
void th_sleep_ms(int ms);
/* The last error message of this thread (static buffer). */
const char *th_last_error(void);

/* ---- counters: a value plus a condition variable ------------------------------------ */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    long value;
} th_counter;

void th_counter_init(th_counter *c);
void th_counter_add(th_counter *c, long n);
long th_counter_get(th_counter *c);
/* Waits until the value is >= target; returns 1 when reached, 0 after timeout_ms (scaled). */
int th_counter_wait(th_counter *c, long target, int timeout_ms);

/* ---- the hub ------------------------------------------------------------------------ */

typedef struct {
    pid_t pid;
    char dir[256];      /* temporary directory (manifest, state, logs) */
    char manifest[320];
    char state[320];
    int mqtt_port, https_port, admin_port;
    char admin[64];     /* 127.0.0.1:admin_port */
} th_hub;

/* Starts a hub with the shared test deployment (tests/conformance/deployment.json, path in
 * $EDGEMODULE_MANIFEST) in a fresh directory, on ports it picks (read from its ready line);
 * fails the test on error. */
void th_hub_start(th_hub *hub);
/* Stops it (SIGTERM, then SIGKILL after a while) and waits for the process. */
void th_hub_stop(th_hub *hub);
/* Starts it again on the addresses of its first start and its state. */
void th_hub_start_again(th_hub *hub);
/* Starts it on other ports (picked by the hub), same state. */
void th_hub_start_elsewhere(th_hub *hub, th_hub *elsewhere);

/* Runs `edgemodule-hub <args...> --admin <hub admin>` (args NULL-terminated) with
 * EDGEMODULE_HUB_STATE=<hub state>, captures stdout into out (NUL-terminated) and returns the
 * exit status. */
int th_cli(const th_hub *hub, char *out, size_t out_len, ...);

/* ---- module environments ------------------------------------------------------------ */

#define TH_ENV_MAX 32
typedef struct {
    int count;
    char *names[TH_ENV_MAX];
    char *values[TH_ENV_MAX];
} th_env;

/* `edgemodule-hub env <module> --format dotenv --form <form>` parsed. form: "workload",
 * "connection-string" or "both". */
void th_hub_env(const th_hub *hub, const char *module, const char *form, th_env *env);
const char *th_env_get(const th_env *env, const char *name);
/* setenv() every variable. */
void th_env_apply(const th_env *env);
void th_env_free(th_env *env);
/* Unsets every variable a module client reads from the environment. */
void th_env_clear_module_vars(void);

/* Reads a whole file (NUL-terminated, malloc'ed). */
char *th_read_file(const char *path, size_t *len);

/* A client for `module` from its connection string + CA (options struct): fast retries,
 * operation timeout 20 s, redelivery after 200 ms. */
edgemodule_client_t *th_client(const th_hub *hub, const char *module);
/* Same, letting the caller adjust the options first (may be NULL). */
edgemodule_client_t *th_client_with(const th_hub *hub, const char *module,
                                    void (*adjust)(edgemodule_options_t *));

/* ---- tiny JSON helpers (enough for the tests) --------------------------------------- */

/* Finds the integer member `key` inside object member `section` (NULL: top level) of
 * `json`; returns 1 and stores it when found. */
int th_json_int(const char *json, const char *section, const char *key, long long *out);
/* The value of member `key` of the object at `object` (whitespace allowed before it), or
 * NULL. */
const char *th_json_member(const char *object, const char *key);
/* The end of the JSON value at `value`. */
const char *th_json_skip(const char *value);
/* The JSON string at `value` unescaped into `out` (no unicode escapes); 1 on success. */
int th_json_string(const char *value, char *out, size_t cap);
/* True when `needle` occurs in the first `len` bytes of `text`. */
int th_contains(const char *text, size_t len, const char *needle);

#endif
