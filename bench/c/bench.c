/* C module-client benchmark (libedgemodule). One measurement per run, one JSON line:
 *
 *   bench send   --size B --window W [--batch N] --warmup S --round S --rounds N
 *   bench memory --idle S --messages N --size B --window W
 *   bench reconnect   (`ready`, then `ack|fail <epoch ms>` per send, until killed)
 *
 * The identity is the IoT Edge environment in $BENCH_ENV_DIR/sender.env. `window` sends
 * are in flight at all times: each completion (on the client's delivery thread) starts
 * the next one (with --batch N, each is a batch send of N messages: window × N in flight). */
#define _POSIX_C_SOURCE 200809L
#include <edgemodule.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static edgemodule_client_t *client;
static edgemodule_message_t *message;
static atomic_long acked, issued, outstanding, failed;
static atomic_int stopping;
static long limit; /* 0: until stopping */
static long batch = 1; /* messages per send; > 1: edgemodule_client_send_output_batch_async */
static const edgemodule_message_t **batch_messages; /* `batch` times the same message */

/* CPU seconds of the whole process (every thread), user + system. */
static double cpu_s(void) {
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0) return 0.0;
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static double arg(int argc, char **argv, const char *name, double dflt) {
    for (int i = 2; i + 1 < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, name) == 0) return atof(argv[i + 1]);
    return dflt;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {}
}

static long status_kib(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, strlen(field)) == 0) v = atol(line + strlen(field));
    if (f) fclose(f);
    return v;
}

static void fail(const char *what) {
    char why[512];
    edgemodule_last_error_message(why, sizeof why);
    fprintf(stderr, "bench: %s: %s\n", what, why);
    exit(1);
}

/* Puts NAME=value lines of the module's environment file into the process environment. */
static void use_module(const char *module) {
    char path[4096], line[8192];
    const char *dir = getenv("BENCH_ENV_DIR");
    snprintf(path, sizeof path, "%s/%s.env", dir ? dir : ".", module);
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(1); }
    while (fgets(line, sizeof line, f)) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq) continue;
        char *value = eq + 1;
        *eq = 0;
        value[strcspn(value, "\n")] = 0;
        setenv(line, value, 1);
    }
    fclose(f);
}

static void send_next(void);

static void on_done(void *ctx, int32_t result) {
    (void)ctx;
    if (result == EDGEMODULE_OK) atomic_fetch_add(&acked, batch);
    else atomic_fetch_add(&failed, 1);
    atomic_fetch_sub(&outstanding, 1);
    send_next();
}

static void send_next(void) {
    if (atomic_load(&stopping) || atomic_load(&failed)) return;
    if (limit && atomic_fetch_add(&issued, batch) >= limit) return;
    atomic_fetch_add(&outstanding, 1);
    int32_t rc = batch > 1
        ? edgemodule_client_send_output_batch_async(client, "upstream", EDGEMODULE_NUL_TERMINATED,
                                                    batch_messages, (size_t)batch, on_done, NULL, NULL)
        : edgemodule_client_send_output_async(client, "upstream", EDGEMODULE_NUL_TERMINATED, message, on_done,
                                              NULL, NULL);
    if (rc != EDGEMODULE_OK) {
        atomic_fetch_sub(&outstanding, 1);
        atomic_fetch_add(&failed, 1);
    }
}

static void start(int argc, char **argv, long max_messages) {
    int window = (int)arg(argc, argv, "window", 100);
    size_t size = (size_t)arg(argc, argv, "size", 256);
    uint8_t *body = malloc(size);
    memset(body, 'x', size);
    if (edgemodule_message_new(body, size, &message) != EDGEMODULE_OK) fail("message");
    free(body);
    batch_messages = malloc(sizeof *batch_messages * (size_t)batch);
    if (!batch_messages) fail("batch");
    for (long i = 0; i < batch; i++) batch_messages[i] = message;
    limit = max_messages;
    for (int i = 0; i < window; i++) send_next();
}

/* Waits until every send started has completed. */
static void drain(void) {
    while (atomic_load(&outstanding) > 0) sleep_s(0.001);
    if (atomic_load(&failed)) fail("send");
}

int main(int argc, char **argv) {
    long bare = status_kib("VmRSS:");
    if (argc < 2) { fprintf(stderr, "usage: bench send|memory [--name value]...\n"); return 2; }
    use_module("sender");
    edgemodule_options_t options;
    edgemodule_options_init(&options);
    if (strcmp(argv[1], "send") == 0 && arg(argc, argv, "batch", 1) > 1) batch = (long)arg(argc, argv, "batch", 1);
    double in_flight = arg(argc, argv, "window", 100) * (double)batch;
    options.max_inflight = (uint32_t)(in_flight < 65535 ? in_flight : 65535);
    if (edgemodule_client_new(&options, &client) != EDGEMODULE_OK) fail("create");
    if (edgemodule_client_connect(client) != EDGEMODULE_OK) fail("connect");

    if (strcmp(argv[1], "send") == 0) {
        int rounds = (int)arg(argc, argv, "rounds", 5);
        double round = arg(argc, argv, "round", 1.0);
        start(argc, argv, 0);
        sleep_s(arg(argc, argv, "warmup", 1.0));
        printf("{\"rounds\": [");
        long first = atomic_load(&acked);
        double cpu0 = cpu_s();
        for (int r = 0; r < rounds; r++) {
            long n0 = atomic_load(&acked);
            double t0 = now_s();
            sleep_s(round);
            printf("%s%.1f", r ? ", " : "", (double)(atomic_load(&acked) - n0) / (now_s() - t0));
        }
        printf("], \"cpu_s\": %.3f, \"acked\": %ld}\n", cpu_s() - cpu0, atomic_load(&acked) - first);
        atomic_store(&stopping, 1);
        drain();
    } else if (strcmp(argv[1], "memory") == 0) {
        long messages = (long)arg(argc, argv, "messages", 100000);
        sleep_s(arg(argc, argv, "idle", 2.0));
        long idle = status_kib("VmRSS:");
        double t0 = now_s();
        start(argc, argv, messages);
        while (atomic_load(&acked) + atomic_load(&failed) < messages) sleep_s(0.001);
        drain();
        printf("{\"bare_rss_kib\": %ld, \"idle_rss_kib\": %ld, \"after_rss_kib\": %ld, \"peak_rss_kib\": %ld, "
               "\"messages\": %ld, \"seconds\": %.3f}\n",
               bare, idle, status_kib("VmRSS:"), status_kib("VmHWM:"), atomic_load(&acked), now_s() - t0);
    } else if (strcmp(argv[1], "reconnect") == 0) {
        /* One send at a time, 10 ms apart; the driver restarts the hub meanwhile. */
        uint8_t body[256];
        memset(body, 'x', sizeof body);
        if (edgemodule_message_new(body, sizeof body, &message) != EDGEMODULE_OK) fail("message");
        printf("ready\n");
        fflush(stdout);
        for (;;) {
            int32_t rc = edgemodule_client_send_output(client, "upstream", EDGEMODULE_NUL_TERMINATED, message);
            struct timespec wall;
            clock_gettime(CLOCK_REALTIME, &wall);
            printf("%s %.1f\n", rc == EDGEMODULE_OK ? "ack" : "fail",
                   (double)wall.tv_sec * 1000.0 + (double)wall.tv_nsec / 1e6);
            fflush(stdout);
            sleep_s(0.01);
        }
    } else {
        fprintf(stderr, "bench: unknown mode %s\n", argv[1]);
        return 2;
    }
    fflush(stdout);
    edgemodule_message_free(message);
    free(batch_messages);
    edgemodule_client_free(client);
    edgemodule_shutdown(5000);
    return 0;
}
