/*
 * A TCP proxy between a client and the hub's MQTT port (TLS passes through untouched), for
 * S19: it can hold back what the hub sends (so the client never sees its PUBACKs) and cut
 * the connection. One connection at a time; two threads per connection, joined by
 * th_proxy_stop (th_end checks that only the main thread is left).
 */
#ifndef EDGEMODULE_TEST_PROXY_H
#define EDGEMODULE_TEST_PROXY_H

#include "harness.h"

typedef struct th_proxy th_proxy;

/* Listens on 127.0.0.1 (a port the system picks) and forwards to 127.0.0.1:`target_port`. */
th_proxy *th_proxy_start(int target_port);
int th_proxy_port(const th_proxy *proxy);
/* While held, bytes from the hub are not read (nor forwarded). */
void th_proxy_hold_downstream(th_proxy *proxy, int hold);
/* Closes the current connection (both sides); the next one is forwarded as usual. */
void th_proxy_cut(th_proxy *proxy);
/* Connections accepted so far. */
int th_proxy_connections(th_proxy *proxy);
void th_proxy_stop(th_proxy *proxy);

#endif
