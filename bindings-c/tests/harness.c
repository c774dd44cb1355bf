/* Test harness for the edgemodule C tests (see harness.h). */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- bookkeeping of running hubs, so a failure never leaves one behind --------------- */

#define MAX_HUBS 8
static th_hub *g_hubs[MAX_HUBS];
static const char *g_test = "test";

static void remember(th_hub *hub) {
    for (int i = 0; i < MAX_HUBS; i++)
        if (g_hubs[i] == hub) return;
    for (int i = 0; i < MAX_HUBS; i++)
        if (!g_hubs[i]) { g_hubs[i] = hub; return; }
}

static void kill_hubs(void) {
    for (int i = 0; i < MAX_HUBS; i++) {
        if (g_hubs[i] && g_hubs[i]->pid > 0) {
            kill(g_hubs[i]->pid, SIGKILL);
            waitpid(g_hubs[i]->pid, NULL, 0);
            g_hubs[i]->pid = 0;
        }
    }
}

static void remove_tree(const char *dir) {
    if (!dir[0]) return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "[%s] could not remove %s\n", g_test, dir);
}

static void print_hub_log(const th_hub *hub) {
    char path[400];
    snprintf(path, sizeof path, "%s/hub.log", hub->dir);
    size_t len = 0;
    char *log = th_read_file(path, &len);
    if (log && len) {
        const char *tail = len > 4000 ? log + len - 4000 : log;
        fprintf(stderr, "---- hub log (%s) ----\n%s\n---- end of hub log ----\n", path, tail);
    }
    free(log);
}

void th_fail(const char *file, int line, const char *what) {
    fprintf(stderr, "[%s] FAIL %s:%d: %s\n", g_test, file, line, what);
    for (int i = 0; i < MAX_HUBS; i++)
        if (g_hubs[i]) print_hub_log(g_hubs[i]);
    kill_hubs();
    fflush(stderr);
    _exit(1);
}

void th_fail_rc(const char *file, int line, const char *call, int32_t rc, int32_t expected) {
    char what[2048];
    snprintf(what, sizeof what, "%s returned %d (%s), expected %d (%s); last error: %s", call,
             rc, edgemodule_error_name(rc), expected, edgemodule_error_name(expected),
             th_last_error());
    th_fail(file, line, what);
}

const char *th_last_error(void) {
    static __thread char buf[1024];
    edgemodule_last_error_message(buf, sizeof buf);
    return buf;
}

static double g_scale = 1.0;

int th_scaled_ms(int ms) { return (int)(ms * g_scale); }

void th_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "FAIL: the test timed out\n";
    if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
    for (int i = 0; i < MAX_HUBS; i++)
        if (g_hubs[i] && g_hubs[i]->pid > 0) kill(g_hubs[i]->pid, SIGKILL);
    _exit(2);
}

void th_begin(const char *name, int timeout_s) {
    g_test = name;
    const char *scale = getenv("TH_TIMEOUT_SCALE");
    if (scale && atof(scale) >= 1.0) g_scale = atof(scale);
    signal(SIGALRM, on_alarm);
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)(timeout_s * g_scale));
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("[%s] start (edgemodule %s)\n", name, edgemodule_version());
}

/* Threads of this process (from /proc/self/task). */
static int thread_count(void) {
    DIR *dir = opendir("/proc/self/task");
    if (!dir) return -1;
    int n = 0;
    for (struct dirent *e = readdir(dir); e; e = readdir(dir))
        if (e->d_name[0] != '.') n++;
    closedir(dir);
    return n;
}

int th_end(void) {
    TH_OK(edgemodule_shutdown(10000));
    /* Every runtime and delivery thread was joined: only main is left. */
    int threads = thread_count();
    if (threads != 1) {
        char what[128];
        snprintf(what, sizeof what, "%d threads are still running after edgemodule_shutdown", threads);
        th_fail(__FILE__, __LINE__, what);
    }
    for (int i = 0; i < MAX_HUBS; i++) {
        if (g_hubs[i]) {
            th_hub_stop(g_hubs[i]);
            remove_tree(g_hubs[i]->dir);
            g_hubs[i] = NULL;
        }
    }
    printf("[%s] PASS\n", g_test);
    return 0;
}

/* ---- counters ------------------------------------------------------------------------ */

void th_counter_init(th_counter *c) {
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    c->value = 0;
}

void th_counter_add(th_counter *c, long n) {
    pthread_mutex_lock(&c->lock);
    c->value += n;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

long th_counter_get(th_counter *c) {
    pthread_mutex_lock(&c->lock);
    long v = c->value;
    pthread_mutex_unlock(&c->lock);
    return v;
}

int th_counter_wait(th_counter *c, long target, int timeout_ms) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    long long ns = deadline.tv_nsec + (long long)th_scaled_ms(timeout_ms) * 1000000LL;
    deadline.tv_sec += (time_t)(ns / 1000000000LL);
    deadline.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    while (c->value < target && rc == 0) rc = pthread_cond_timedwait(&c->changed, &c->lock, &deadline);
    int reached = c->value >= target;
    pthread_mutex_unlock(&c->lock);
    return reached;
}

/* ---- processes ----------------------------------------------------------------------- */

static const char *hub_binary(void) {
    const char *bin = getenv("EDGEMODULE_HUB");
    return bin && bin[0] ? bin : "../target/debug/edgemodule-hub";
}

/* The process environment with NAME=value set (replacing an inherited NAME), for a child;
 * free with free_environment. Built per call: setenv() is not safe while other threads
 * (the library's) read the environment. */
static char **environment_with(const char *name, const char *value) {
    size_t count = 0, name_len = strlen(name);
    while (environ[count]) count++;
    char **envp = calloc(count + 2, sizeof *envp);
    if (!envp) th_fail(__FILE__, __LINE__, "calloc");
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (!(strncmp(environ[i], name, name_len) == 0 && environ[i][name_len] == '=')) envp[n++] = environ[i];
    size_t len = name_len + strlen(value) + 2;
    char *entry = malloc(len);
    if (!entry) th_fail(__FILE__, __LINE__, "malloc");
    snprintf(entry, len, "%s=%s", name, value);
    envp[n++] = entry;
    envp[n] = NULL;
    return envp;
}

/* Frees an environment from environment_with (only the entry it added is its own). */
static void free_environment(char **envp) {
    size_t n = 0;
    while (envp[n]) n++;
    if (n) free(envp[n - 1]);
    free(envp);
}

/* Spawns argv with stdout into a pipe (returned in *out_fd) and stderr to `log` (or
 * inherited when NULL), with the environment `envp` (NULL: this process's). */
static pid_t spawn(char *const argv[], int *out_fd, const char *log, char *const envp[]) {
    int fds[2];
    if (pipe(fds) != 0) th_fail(__FILE__, __LINE__, "pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    if (log) posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0], &actions, NULL, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        char what[512];
        snprintf(what, sizeof what, "cannot run %s: %s", argv[0], strerror(rc));
        th_fail(__FILE__, __LINE__, what);
    }
    *out_fd = fds[0];
    return pid;
}

/* Reads from fd until EOF (or timeout_ms), into out. */
static void read_all(int fd, char *out, size_t out_len, int timeout_ms) {
    size_t used = 0;
    out[0] = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, timeout_ms);
        if (ready <= 0) break;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        size_t take = (size_t)n;
        if (used + take >= out_len) take = out_len - 1 - used;
        memcpy(out + used, buf, take);
        used += take;
        out[used] = 0;
    }
}

#define TH_READY "edgemodule-hub ready:"

/* The value of `key` in a ready line ("edgemodule-hub ready: k=v k=v ..."), copied into
 * out; unknown keys are skipped. Returns 1 when found. */
static int ready_value(const char *line, const char *key, char *out, size_t out_len) {
    size_t key_len = strlen(key);
    const char *p = strstr(line, TH_READY);
    if (!p) return 0;
    p += strlen(TH_READY);
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        const char *end = p;
        while (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') end++;
        if ((size_t)(end - p) > key_len && strncmp(p, key, key_len) == 0 && p[key_len] == '=') {
            size_t len = (size_t)(end - p) - key_len - 1;
            if (len >= out_len) return 0;
            memcpy(out, p + key_len + 1, len);
            out[len] = 0;
            return 1;
        }
        if (!*end || *end == '\n' || *end == '\r') return 0;
        p = end;
    }
    return 0;
}

/* The port of a ready-line address ("127.0.0.1:41234"), or -1. */
static int ready_port(const char *line, const char *key) {
    char address[300];
    if (!ready_value(line, key, address, sizeof address)) return -1;
    const char *colon = strrchr(address, ':');
    return colon ? atoi(colon + 1) : -1;
}

/* Starts the hub on the given ports (0: the hub picks one) and waits for its ready line,
 * which gives the real addresses. */
static void serve(th_hub *hub, int mqtt, int https, int admin) {
    char mqtt_s[16], https_s[16], admin_s[16], log[400];
    snprintf(mqtt_s, sizeof mqtt_s, "%d", mqtt);
    snprintf(https_s, sizeof https_s, "%d", https);
    snprintf(admin_s, sizeof admin_s, "%d", admin);
    snprintf(log, sizeof log, "%s/hub.log", hub->dir);
    char *argv[] = {(char *)hub_binary(), "serve", "--manifest", hub->manifest, "--state",
                    hub->state, "--bind-address", "127.0.0.1", "--mqtt-port", mqtt_s,
                    "--https-port", https_s, "--admin-port", admin_s, "--log-level", "warn",
                    NULL};
    int fd = -1;
    hub->pid = spawn(argv, &fd, log, NULL);
    remember(hub);
    /* Wait for the whole ready line. The hub ignores a closed stdout afterwards. */
    char line[2048];
    size_t used = 0;
    int waited = 0, limit = th_scaled_ms(30000);
    line[0] = 0;
    for (;;) {
        char *ready = strstr(line, TH_READY);
        if ((ready && strchr(ready, '\n')) || waited >= limit || used + 1 >= sizeof line) break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            ssize_t n = read(fd, line + used, sizeof line - 1 - used);
            if (n <= 0) break;
            used += (size_t)n;
            line[used] = 0;
        } else {
            waited += 100;
        }
    }
    close(fd);
    hub->mqtt_port = ready_port(line, "mqtt");
    hub->https_port = ready_port(line, "https");
    hub->admin_port = ready_port(line, "admin");
    if (!strstr(line, TH_READY) || hub->mqtt_port <= 0 || hub->https_port <= 0 || hub->admin_port <= 0 ||
        !ready_value(line, "admin", hub->admin, sizeof hub->admin))
        th_fail(__FILE__, __LINE__, "the hub did not start (no complete ready line)");
}

/* The shared test deployment: $EDGEMODULE_MANIFEST (set by ctest), else the path CMake
 * compiled in. */
static const char *manifest_path(void) {
    const char *path = getenv("EDGEMODULE_MANIFEST");
    if (path && path[0]) return path;
#ifdef TH_DEFAULT_MANIFEST
    return TH_DEFAULT_MANIFEST;
#else
    th_fail(__FILE__, __LINE__, "EDGEMODULE_MANIFEST is not set");
    return NULL;
#endif
}

void th_hub_start(th_hub *hub) {
    memset(hub, 0, sizeof *hub);
    const char *tmp = getenv("TMPDIR");
    snprintf(hub->dir, sizeof hub->dir, "%s/edgemodule-c-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(hub->dir)) th_fail(__FILE__, __LINE__, "mkdtemp");
    if (snprintf(hub->manifest, sizeof hub->manifest, "%s", manifest_path()) >= (int)sizeof hub->manifest)
        th_fail(__FILE__, __LINE__, "the manifest path is too long");
    snprintf(hub->state, sizeof hub->state, "%s/state", hub->dir);
    serve(hub, 0, 0, 0);
}

void th_hub_stop(th_hub *hub) {
    if (hub->pid <= 0) return;
    kill(hub->pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        if (waitpid(hub->pid, NULL, WNOHANG) == hub->pid) {
            hub->pid = 0;
            return;
        }
        th_sleep_ms(50);
    }
    kill(hub->pid, SIGKILL);
    waitpid(hub->pid, NULL, 0);
    hub->pid = 0;
}

void th_hub_start_again(th_hub *hub) {
    serve(hub, hub->mqtt_port, hub->https_port, hub->admin_port);
}

void th_hub_start_elsewhere(th_hub *hub, th_hub *elsewhere) {
    *elsewhere = *hub;
    elsewhere->pid = 0;
    serve(elsewhere, 0, 0, 0);
}

int th_cli(const th_hub *hub, char *out, size_t out_len, ...) {
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)hub_binary();
    va_list args;
    va_start(args, out_len);
    for (const char *a = va_arg(args, const char *); a && n < 28; a = va_arg(args, const char *))
        argv[n++] = (char *)a;
    va_end(args);
    argv[n++] = "--admin";
    argv[n++] = (char *)hub->admin;
    argv[n] = NULL;
    /* The admin API needs the token in the hub's state directory. */
    setenv("EDGEMODULE_HUB_STATE", hub->state, 1);
    int fd = -1;
    char **envp = environment_with("EDGEMODULE_HUB_STATE", hub->state);
    pid_t pid = spawn(argv, &fd, NULL, envp);
    free_environment(envp);
    read_all(fd, out, out_len, th_scaled_ms(60000));
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* ---- environments -------------------------------------------------------------------- */

static char *unquote(const char *v) {
    size_t len = strlen(v);
    char *out = malloc(len + 1);
    if (!out) th_fail(__FILE__, __LINE__, "malloc");
    if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
        size_t j = 0;
        for (size_t i = 1; i + 1 < len; i++) {
            if (v[i] == '\\' && i + 2 < len) i++;
            out[j++] = v[i];
        }
        out[j] = 0;
    } else {
        memcpy(out, v, len + 1);
    }
    return out;
}

void th_hub_env(const th_hub *hub, const char *module, const char *form, th_env *env) {
    static char out[16384];
    memset(env, 0, sizeof *env);
    int rc = th_cli(hub, out, sizeof out, "env", module, "--format", "dotenv", "--form", form, NULL);
    if (rc != 0) th_fail(__FILE__, __LINE__, "edgemodule-hub env failed");
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !strchr(line, '=') || env->count >= TH_ENV_MAX) continue;
        char *eq = strchr(line, '=');
        *eq = 0;
        env->names[env->count] = strdup(line);
        env->values[env->count] = unquote(eq + 1);
        env->count++;
    }
    if (env->count == 0) th_fail(__FILE__, __LINE__, "edgemodule-hub env printed nothing");
}

const char *th_env_get(const th_env *env, const char *name) {
    for (int i = 0; i < env->count; i++)
        if (strcmp(env->names[i], name) == 0) return env->values[i];
    return NULL;
}

void th_env_apply(const th_env *env) {
    for (int i = 0; i < env->count; i++) setenv(env->names[i], env->values[i], 1);
}

void th_env_free(th_env *env) {
    for (int i = 0; i < env->count; i++) {
        free(env->names[i]);
        free(env->values[i]);
    }
    env->count = 0;
}

void th_env_clear_module_vars(void) {
    static const char *vars[] = {"IOTEDGE_WORKLOADURI", "IOTEDGE_IOTHUBHOSTNAME",
                                 "IOTEDGE_GATEWAYHOSTNAME", "IOTEDGE_DEVICEID",
                                 "IOTEDGE_MODULEID", "IOTEDGE_MODULEGENERATIONID",
                                 "IOTEDGE_AUTHSCHEME", "IOTEDGE_APIVERSION",
                                 "EdgeHubConnectionString", "EdgeModuleCACertificateFile",
                                 "EDGEMODULE_MQTT_PORT", "EDGEMODULE_HTTPS_PORT", NULL};
    for (int i = 0; vars[i]; i++) unsetenv(vars[i]);
}

char *th_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + used, 1, cap - used - 1, f)) > 0) {
        used += n;
        if (cap - used < 2) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) { free(buf); buf = NULL; break; }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[used] = 0;
    if (len) *len = used;
    return buf;
}

edgemodule_client_t *th_client_with(const th_hub *hub, const char *module,
                                    void (*adjust)(edgemodule_options_t *)) {
    th_env env;
    th_hub_env(hub, module, "connection-string", &env);
    const char *cs = th_env_get(&env, "EdgeHubConnectionString");
    const char *ca = th_env_get(&env, "EdgeModuleCACertificateFile");
    TH_CHECK(cs && ca);
    size_t pem_len = 0;
    char *pem = th_read_file(ca, &pem_len);
    TH_CHECK(pem != NULL);
    edgemodule_options_t options;
    edgemodule_options_init(&options);
    options.connection_string = cs;
    options.connection_string_len = strlen(cs);
    options.trust_bundle_pem = pem;
    options.trust_bundle_pem_len = pem_len;
    options.mqtt_port = (uint16_t)hub->mqtt_port;
    options.https_port = (uint16_t)hub->https_port;
    options.operation_timeout_ms = 20000;
    options.redelivery_delay_ms = 200;
    options.retry_initial_delay_ms = 50;
    options.retry_max_delay_ms = 500;
    if (adjust) adjust(&options);
    edgemodule_client_t *client = NULL;
    TH_OK(edgemodule_client_new(&options, &client));
    free(pem);
    th_env_free(&env);
    return client;
}

edgemodule_client_t *th_client(const th_hub *hub, const char *module) {
    return th_client_with(hub, module, NULL);
}

/* ---- JSON ------------------------------------------------------------------------------ */

/* The end of the JSON value starting at p (object, array, string or scalar). */
static const char *skip_value(const char *p) {
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1]) p++;
        return *p ? p + 1 : p;
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; *p; p++) {
            if (*p == '"') { p = skip_value(p) - 1; continue; }
            if (*p == '{' || *p == '[') depth++;
            if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
        }
        return p;
    }
    while (*p && *p != ',' && *p != '}' && *p != ']') p++;
    return p;
}

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    return p;
}

/* The value of member `key` of the object at p (p points at '{'), or NULL. */
static const char *member(const char *p, const char *key) {
    p = skip_ws(p);
    if (*p != '{') return NULL;
    p++;
    size_t klen = strlen(key);
    for (;;) {
        p = skip_ws(p);
        if (*p != '"') return NULL;
        const char *name = p + 1;
        const char *end = skip_value(p);
        int match = (size_t)(end - 1 - name) == klen && strncmp(name, key, klen) == 0;
        p = skip_ws(end);
        if (*p != ':') return NULL;
        p = skip_ws(p + 1);
        if (match) return p;
        p = skip_ws(skip_value(p));
        if (*p != ',') return NULL;
        p++;
    }
}

const char *th_json_member(const char *object, const char *key) { return member(object, key); }

const char *th_json_skip(const char *value) { return skip_value(skip_ws(value)); }

int th_json_string(const char *value, char *out, size_t cap) {
    const char *p = skip_ws(value);
    if (*p != '"' || cap == 0) return 0;
    size_t n = 0;
    for (p++; *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\') {
            p++;
            switch (*p) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case '"': case '\\': case '/': c = *p; break;
            default: return 0;
            }
        }
        if (n + 1 >= cap) return 0;
        out[n++] = c;
    }
    out[n] = 0;
    return *p == '"';
}

int th_json_int(const char *json, const char *section, const char *key, long long *out) {
    const char *p = skip_ws(json);
    if (section) {
        p = member(p, section);
        if (!p) return 0;
    }
    p = member(p, key);
    if (!p) return 0;
    char *end = NULL;
    long long v = strtoll(p, &end, 10);
    if (end == p) return 0;
    *out = v;
    return 1;
}

int th_contains(const char *text, size_t len, const char *needle) {
    size_t n = strlen(needle);
    if (!text || n > len) return 0;
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(text + i, needle, n) == 0) return 1;
    return 0;
}
