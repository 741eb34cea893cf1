/*
 * server.c - Unix-socket server: accept, read frames, write responses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "exchange_wire.h"
#include "log.h"
#include "server.h"

typedef struct conn
{
	int fd; /* -1: free */
	uint32_t gen;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	int want_out; /* EPOLLOUT registered */
	int dirty;    /* queued while corked, in server.dirty */
} conn;

struct server
{
	int listen_fd;
	int epfd;
	char path[108];
	uint32_t max_conns;
	uint32_t active;
	conn *conns;
	int corked;      /* server_send only queues (server_cork) */
	uint32_t *dirty; /* slots queued to while corked */
	uint32_t ndirty;
};

server *
server_create(const char *path, uint32_t max_conns, int epfd, char *msg, size_t size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SERVER_TAG_LISTENER};
	server *s;

	if (strlen(path) >= sizeof(addr.sun_path))
		return snprintf(msg, size, "socket path too long (max %zu bytes): %s",
		                sizeof(addr.sun_path) - 1, path),
		       NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->conns = calloc(max_conns, sizeof(conn))) == NULL ||
	    (s->dirty = calloc(max_conns, sizeof(uint32_t))) == NULL)
	{
		if (s)
			free(s->conns);
		return free(s), snprintf(msg, size, "out of memory"), NULL;
	}
	for (uint32_t i = 0; i < max_conns; i++)
		s->conns[i].fd = -1;
	s->max_conns = max_conns;
	s->epfd = epfd;
	snprintf(s->path, sizeof(s->path), "%s", path);
	strcpy(addr.sun_path, path);

	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		goto fail;
	unlink(path); /* a socket left by a crash; a live matchd is fenced by the epoch */
	{
		mode_t old = umask(0077); /* only the server's own user may connect */

		if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		{
			umask(old);
			goto fail;
		}
		umask(old);
	}
	if (listen(s->listen_fd, 512) != 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) != 0)
		goto fail;
	return s;
fail:
	snprintf(msg, size, "cannot listen on %s: %s", path, strerror(errno));
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s->conns);
	free(s->dirty);
	free(s);
	return NULL;
}

void
server_close_listener(server *s)
{
	if (s->listen_fd < 0)
		return;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->listen_fd, NULL);
	close(s->listen_fd);
	s->listen_fd = -1;
	unlink(s->path);
}

static void
drop(server *s, uint32_t slot, const char *why)
{
	conn *c = &s->conns[slot];

	if (c->fd < 0)
		return;
	mlog(LOG_DEBUG, "connection %u closed: %s", slot, why);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->gen++;
	c->in_len = 0;
	c->out_len = c->out_off = 0;
	c->want_out = 0;
	s->active--;
}

void
server_destroy(server *s)
{
	server_close_listener(s);
	for (uint32_t i = 0; i < s->max_conns; i++)
	{
		drop(s, i, "shutdown");
		free(s->conns[i].in);
		free(s->conns[i].out);
	}
	free(s->conns);
	free(s->dirty);
	free(s);
}

uint32_t
server_connections(const server *s)
{
	return s->active;
}

void
server_accept(server *s)
{
	for (;;)
	{
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		uint32_t slot;
		struct epoll_event ev = {.events = EPOLLIN};

		if (fd < 0)
		{
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				mlog(LOG_WARN, "accept: %s", strerror(errno));
			return;
		}
		for (slot = 0; slot < s->max_conns && s->conns[slot].fd >= 0; slot++)
			;
		if (slot == s->max_conns)
		{
			mlog(LOG_WARN,
			     "refusing a connection: all %u slots in use (--max-connections)",
			     s->max_conns);
			close(fd);
			continue;
		}
		ev.data.u64 = slot;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		{
			close(fd);
			continue;
		}
		s->conns[slot].fd = fd;
		s->active++;
		if (log_level >= LOG_DEBUG)
		{
			struct ucred peer = {0};
			socklen_t len = sizeof(peer);

			(void)getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len);
			mlog(LOG_DEBUG, "connection %u opened (peer pid %ld)", slot, (long)peer.pid);
		}
	}
}

static int
reserve(uint8_t **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	uint8_t *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if ((p = realloc(*buf, n)) == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

int
server_next_frame(const uint8_t *buf, size_t avail, uint32_t *length, uint16_t *type,
                  uint64_t *id)
{
	if (avail < PGX_FRAME_HEADER)
		return 0;
	/* replies only ever travel from matchd to the extension */
	if (!pgx_decode_frame_header(buf, length, type, id) || *type == PGX_MSG_MD_REPLY ||
	    *type == PGX_MSG_EVENTS)
		return -1;
	return avail >= *length ? 1 : 0;
}

void
server_read(server *s, uint32_t slot, frame_fn fn, void *ctx)
{
	conn *c = &s->conns[slot];

	for (;;)
	{
		ssize_t n;
		size_t off = 0, want;

		if (c->fd < 0)
			return;
		if (reserve(&c->in, &c->in_cap, c->in_len + 65536) != 0)
			return drop(s, slot, "out of memory");
		want = c->in_cap - c->in_len;
		n = read(c->fd, c->in + c->in_len, want);
		if (n == 0)
			return drop(s, slot, "end of file");
		if (n < 0)
		{
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			return drop(s, slot, strerror(errno));
		}
		c->in_len += (size_t)n;
		for (;;)
		{
			uint32_t length;
			uint16_t type;
			uint64_t id;
			conn_ref who = {slot, c->gen};
			int rc = server_next_frame(c->in + off, c->in_len - off, &length, &type, &id);

			if (rc < 0)
				return drop(s, slot, "malformed frame");
			if (rc == 0)
				break;
			fn(ctx, who, type, id, c->in + off + PGX_FRAME_HEADER,
			   length - PGX_FRAME_HEADER);
			if (c->fd < 0 || c->gen != who.gen)
				return;
			off += length;
		}
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
		/* a short read emptied the socket (epoll is level-triggered) */
		if ((size_t)n < want)
			return;
	}
}

void
server_flush(server *s, uint32_t slot)
{
	conn *c = &s->conns[slot];

	while (c->fd >= 0 && c->out_off < c->out_len)
	{
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return drop(s, slot, strerror(errno));
			if (!c->want_out)
			{
				struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = slot};

				epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
				c->want_out = 1;
			}
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->fd >= 0)
	{
		c->out_off = c->out_len = 0;
		if (c->want_out)
		{
			struct epoll_event ev = {.events = EPOLLIN, .data.u64 = slot};

			epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
			c->want_out = 0;
		}
	}
}

int
server_send(server *s, conn_ref who, const uint8_t *buf, size_t len)
{
	conn *c;

	if (who.slot >= s->max_conns)
		return -1;
	c = &s->conns[who.slot];
	if (c->fd < 0 || c->gen != who.gen)
		return -1;
	if (reserve(&c->out, &c->out_cap, c->out_len + len) != 0)
		return drop(s, who.slot, "out of memory"), -1;
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	if (s->corked)
	{
		if (!c->dirty)
		{
			c->dirty = 1;
			s->dirty[s->ndirty++] = who.slot;
		}
	}
	else if (!c->want_out)
		server_flush(s, who.slot);
	return 0;
}

void
server_cork(server *s)
{
	s->corked = 1;
}

void
server_uncork(server *s)
{
	s->corked = 0;
	for (uint32_t i = 0; i < s->ndirty; i++)
	{
		conn *c = &s->conns[s->dirty[i]];

		c->dirty = 0;
		if (c->fd >= 0 && !c->want_out)
			server_flush(s, s->dirty[i]);
	}
	s->ndirty = 0;
}

void
server_each(server *s, void (*fn)(void *ctx, conn_ref who), void *ctx)
{
	for (uint32_t i = 0; i < s->max_conns; i++)
		if (s->conns[i].fd >= 0)
			fn(ctx, (conn_ref){.slot = i, .gen = s->conns[i].gen});
}

int
server_pending_out(const server *s, uint32_t slot)
{
	return slot < s->max_conns && s->conns[slot].fd >= 0 &&
	       s->conns[slot].out_len > s->conns[slot].out_off;
}
