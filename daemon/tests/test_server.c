/*
 * test_server.c - matchd's socket server (server.c) over a real Unix socket:
 * frames are read whole however the bytes arrive, and what server_send
 * queues between server_cork and server_uncork leaves in one write (a
 * commit's acknowledgements: one system call per connection, not per
 * answer), while without the cork each send is written at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "exchange_wire.h"
#include "server.h"

typedef struct fixture
{
	char dir[64], path[108];
	int epfd, client;
	server *srv;
	conn_ref who;
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char msg[256];
	struct epoll_event ev;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_server.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s.sock", f->dir);
	f->epfd = epoll_create1(0);
	f->srv = server_create(f->path, 4, f->epfd, msg, sizeof(msg));
	assert_non_null(f->srv);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	f->client = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(f->client, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(f->client, F_SETFL, fcntl(f->client, F_GETFL) | O_NONBLOCK);
	assert_int_equal(epoll_wait(f->epfd, &ev, 1, 1000), 1);
	assert_true(ev.data.u64 == SERVER_TAG_LISTENER);
	server_accept(f->srv);
	assert_int_equal(server_connections(f->srv), 1);
	f->who = (conn_ref){.slot = 0, .gen = 0};
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;
	char cmd[128];

	close(f->client);
	server_destroy(f->srv);
	close(f->epfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	(void)!system(cmd);
	free(f);
	return 0;
}

/* What the client can read now, without waiting (-1: nothing). */
static ssize_t
client_read(fixture *f, uint8_t *buf, size_t cap)
{
	ssize_t n = recv(f->client, buf, cap, 0);

	if (n < 0)
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	return n;
}

static void
test_corked_sends_leave_in_one_write(void **state)
{
	fixture *f = *state;
	uint8_t buf[4096];
	uint8_t frame[3][40];

	for (int i = 0; i < 3; i++)
		memset(frame[i], 'a' + i, sizeof(frame[i]));
	server_cork(f->srv);
	for (int i = 0; i < 3; i++)
		assert_int_equal(server_send(f->srv, f->who, frame[i], sizeof(frame[i])), 0);
	/* corked: nothing written yet */
	assert_int_equal(client_read(f, buf, sizeof(buf)), -1);
	assert_true(server_pending_out(f->srv, 0));
	server_uncork(f->srv);
	assert_false(server_pending_out(f->srv, 0));
	/* all of it, in order, from one read */
	assert_int_equal(client_read(f, buf, sizeof(buf)), 3 * 40);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(buf + i * 40, frame[i], 40);
	assert_int_equal(client_read(f, buf, sizeof(buf)), -1);
}

static void
test_uncorked_send_is_written_at_once(void **state)
{
	fixture *f = *state;
	uint8_t buf[64], frame[16];

	memset(frame, 'z', sizeof(frame));
	assert_int_equal(server_send(f->srv, f->who, frame, sizeof(frame)), 0);
	assert_false(server_pending_out(f->srv, 0));
	assert_int_equal(client_read(f, buf, sizeof(buf)), 16);
	/* a connection gone while corked: the send refuses, uncork skips it */
	server_cork(f->srv);
	assert_int_equal(server_send(f->srv, (conn_ref){.slot = 0, .gen = 7}, frame, 16), -1);
	assert_int_equal(server_send(f->srv, (conn_ref){.slot = 3, .gen = 0}, frame, 16), -1);
	server_uncork(f->srv);
	assert_int_equal(client_read(f, buf, sizeof(buf)), -1);
}

typedef struct got
{
	int frames;
	uint64_t ids[8];
} got;

static void
on_frame(void *ctx, conn_ref who, uint16_t type, uint64_t request_id, const uint8_t *body,
         size_t len)
{
	got *g = ctx;

	(void)who;
	(void)body;
	assert_int_equal(type, PGX_MSG_REQUEST);
	assert_int_equal(len, 8);
	if (g->frames < 8)
		g->ids[g->frames] = request_id;
	g->frames++;
}

static void
test_frames_read_whole_across_reads(void **state)
{
	fixture *f = *state;
	uint8_t bytes[3 * (PGX_FRAME_HEADER + 8)];
	size_t fl = PGX_FRAME_HEADER + 8;
	got g = {0};

	memset(bytes, 0, sizeof(bytes));
	for (int i = 0; i < 3; i++)
		pgx_encode_frame_header(bytes + i * fl, (uint32_t)fl, PGX_MSG_REQUEST,
		                        (uint64_t)(100 + i));
	/* one and a half frames, then the rest */
	assert_int_equal(send(f->client, bytes, fl + fl / 2, 0), (ssize_t)(fl + fl / 2));
	server_read(f->srv, 0, on_frame, &g);
	assert_int_equal(g.frames, 1);
	assert_int_equal(send(f->client, bytes + fl + fl / 2, sizeof(bytes) - fl - fl / 2, 0),
	                 (ssize_t)(sizeof(bytes) - fl - fl / 2));
	server_read(f->srv, 0, on_frame, &g);
	assert_int_equal(g.frames, 3);
	assert_true(g.ids[0] == 100 && g.ids[1] == 101 && g.ids[2] == 102);
	/* the peer's end: the connection is dropped */
	shutdown(f->client, SHUT_WR);
	server_read(f->srv, 0, on_frame, &g);
	assert_int_equal(server_connections(f->srv), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_corked_sends_leave_in_one_write, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_uncorked_send_is_written_at_once, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_frames_read_whole_across_reads, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
