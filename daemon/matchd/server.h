/*
 * server.h - matchd's Unix-socket server: connections and frames.
 *
 * Connections live in a fixed table; a (slot, generation) pair names one, so
 * an acknowledgement that waits for a commit can find out that its
 * connection went away and was replaced meanwhile.  The server only frames
 * bytes (exchange_wire.h); what a request means is the caller's business.
 */
#ifndef MJ_SERVER_H
#define MJ_SERVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct server server;

typedef struct conn_ref
{
	uint32_t slot;
	uint32_t gen;
} conn_ref;

/* Called for each complete frame read from a connection. */
typedef void (*frame_fn)(void *ctx, conn_ref who, uint16_t type, uint64_t request_id,
                         const uint8_t *body, size_t len);

/* Epoll tags at and above this value are not connections. */
#define SERVER_TAG_LISTENER 0xFFFFFF00u

/* Listens on path (a stale socket file is replaced), registering with epfd. */
server *server_create(const char *path, uint32_t max_conns, int epfd, char *msg,
                      size_t size);
/* Stops accepting and removes the socket file. */
void server_close_listener(server *s);
void server_destroy(server *s);
void server_accept(server *s);
/*
 * The framing of what a connection sent, pure (server_read's loop; fuzz/):
 * looks at the bytes buf[0..avail) not yet consumed.  1: a whole frame of
 * *length bytes (header included) is there, with *type and *id; 0: more
 * bytes are needed; -1: the header is malformed (impossible length, flags
 * set, or a type only matchd sends): the connection must be dropped.
 */
int server_next_frame(const uint8_t *buf, size_t avail, uint32_t *length, uint16_t *type,
                      uint64_t *id);
/* Reads what is there and calls fn for each complete frame; drops the
 * connection on EOF, error or a malformed frame. */
void server_read(server *s, uint32_t slot, frame_fn fn, void *ctx);
/* Queues bytes for the connection; -1 if it is gone. */
int server_send(server *s, conn_ref who, const uint8_t *buf, size_t len);
/*
 * Between server_cork and server_uncork server_send only queues; uncork
 * writes each connection's queue with one write (a commit's acknowledgements
 * and events: a write per answer cost a system call each).
 */
void server_cork(server *s);
void server_uncork(server *s);
/* Writes queued bytes (on EPOLLOUT). */
void server_flush(server *s, uint32_t slot);
uint32_t server_connections(const server *s);
/* Calls fn for every open connection. */
void server_each(server *s, void (*fn)(void *ctx, conn_ref who), void *ctx);
/* Whether the connection has queued bytes not yet written. */
int server_pending_out(const server *s, uint32_t slot);

#endif
