/* The TCP proxy of proxy.h: an accept thread, and per connection one pump thread per
 * direction. */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNECTIONS 16

typedef struct {
    th_proxy *proxy;
    int from, to;
    int downstream; /* hub -> client */
} pump_arg;

struct th_proxy {
    int listener, port, target_port;
    atomic_int hold, stopping, connections;
    pthread_t acceptor;
    pthread_mutex_t lock;
    int client_fd, hub_fd; /* the current connection (-1: none) */
    pthread_t pumps[2 * MAX_CONNECTIONS];
    pump_arg args[2 * MAX_CONNECTIONS];
    int pump_count;
};

static void *pump(void *p) {
    pump_arg *a = p;
    char buf[16384];
    for (;;) {
        if (atomic_load(&a->proxy->stopping)) break;
        if (a->downstream && atomic_load(&a->proxy->hold)) {
            th_sleep_ms(5);
            continue;
        }
        struct pollfd pfd = {a->from, POLLIN, 0};
        int ready = poll(&pfd, 1, 20);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        if (a->downstream && atomic_load(&a->proxy->hold)) continue;
        ssize_t n = read(a->from, buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(a->to, buf + off, (size_t)(n - off));
            if (w <= 0) goto done;
            off += w;
        }
    }
done:
    /* Either side ending ends the connection (the other pump sees it at once). */
    shutdown(a->from, SHUT_RDWR);
    shutdown(a->to, SHUT_RDWR);
    return NULL;
}

static int connect_hub(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
    if (fd >= 0) close(fd);
    return -1;
}

static void *acceptor(void *p) {
    th_proxy *proxy = p;
    while (!atomic_load(&proxy->stopping)) {
        struct pollfd pfd = {proxy->listener, POLLIN, 0};
        if (poll(&pfd, 1, 20) <= 0) continue;
        int client = accept(proxy->listener, NULL, NULL);
        if (client < 0) continue;
        int hub = connect_hub(proxy->target_port);
        pthread_mutex_lock(&proxy->lock);
        if (hub < 0 || proxy->pump_count + 2 > 2 * MAX_CONNECTIONS) {
            pthread_mutex_unlock(&proxy->lock);
            close(client);
            if (hub >= 0) close(hub);
            continue;
        }
        proxy->client_fd = client;
        proxy->hub_fd = hub;
        pump_arg *up = &proxy->args[proxy->pump_count], *down = &proxy->args[proxy->pump_count + 1];
        *up = (pump_arg){proxy, client, hub, 0};
        *down = (pump_arg){proxy, hub, client, 1};
        pthread_create(&proxy->pumps[proxy->pump_count], NULL, pump, up);
        pthread_create(&proxy->pumps[proxy->pump_count + 1], NULL, pump, down);
        proxy->pump_count += 2;
        atomic_fetch_add(&proxy->connections, 1);
        pthread_mutex_unlock(&proxy->lock);
    }
    return NULL;
}

th_proxy *th_proxy_start(int target_port) {
    th_proxy *proxy = calloc(1, sizeof *proxy);
    TH_CHECK(proxy != NULL);
    proxy->target_port = target_port;
    proxy->client_fd = proxy->hub_fd = -1;
    pthread_mutex_init(&proxy->lock, NULL);
    proxy->listener = socket(AF_INET, SOCK_STREAM, 0);
    TH_CHECK(proxy->listener >= 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    TH_CHECK(bind(proxy->listener, (struct sockaddr *)&addr, sizeof addr) == 0);
    TH_CHECK(listen(proxy->listener, 8) == 0);
    socklen_t len = sizeof addr;
    TH_CHECK(getsockname(proxy->listener, (struct sockaddr *)&addr, &len) == 0);
    proxy->port = ntohs(addr.sin_port);
    TH_CHECK(pthread_create(&proxy->acceptor, NULL, acceptor, proxy) == 0);
    return proxy;
}

int th_proxy_port(const th_proxy *proxy) { return proxy->port; }

void th_proxy_hold_downstream(th_proxy *proxy, int hold) { atomic_store(&proxy->hold, hold); }

void th_proxy_cut(th_proxy *proxy) {
    pthread_mutex_lock(&proxy->lock);
    if (proxy->client_fd >= 0) shutdown(proxy->client_fd, SHUT_RDWR);
    if (proxy->hub_fd >= 0) shutdown(proxy->hub_fd, SHUT_RDWR);
    pthread_mutex_unlock(&proxy->lock);
}

int th_proxy_connections(th_proxy *proxy) { return atomic_load(&proxy->connections); }

void th_proxy_stop(th_proxy *proxy) {
    atomic_store(&proxy->stopping, 1);
    pthread_join(proxy->acceptor, NULL);
    for (int i = 0; i < proxy->pump_count; i++) pthread_join(proxy->pumps[i], NULL);
    for (int i = 0; i < proxy->pump_count; i += 2) {
        close(proxy->args[i].from);
        close(proxy->args[i].to);
    }
    close(proxy->listener);
    free(proxy);
}
