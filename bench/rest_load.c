/*
 * rest_load.c - the REST API under load, with the SQL path measured by the same
 * code in the same run (bench/rest.sh).
 *
 *   rest_load orders --mode http|sql --connections N --duration S --warmup S
 *       closed loop: each connection (a kept-alive HTTP connection to
 *       pgx-httpd with Basic credentials, or a libpq connection as the broker
 *       calling exchange.submit_order) sends its next order once the last one
 *       is answered.  Prints BENCH <name>_p50_us, _p99_us and _orders_per_s.
 *   rest_load fanout --subscribers N --orders K
 *       N Server-Sent Events streams of one symbol (epoll, one thread), then K
 *       orders through libpq one after another: for each, the time from the
 *       answer of submit_order (its batch committed) to the moment the last
 *       of the N subscribers has its increment.  Prints the p50 and max.
 *
 * Environment: PG* for libpq (PGUSER the broker), REST_PORT, REST_USER,
 * REST_PASSWORD, REST_ACCOUNT (one per connection: ACCOUNT%03d), REST_SYMBOL.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libpq-fe.h>

static int64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

static int
connect_port(int port)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
	{
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
base64(const char *in, char *out)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n; i += 3)
	{
		uint32_t v = (uint32_t)(unsigned char)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/* ---- orders ----------------------------------------------------------------- */

typedef struct
{
	int id;
	bool http;
	int64_t start, warm_end, end;
	int64_t *lat;
	size_t nlat, cap;
	long errors;
} worker;

static int port;
static char auth_header[512];

/* one HTTP exchange on fd; false when the answer is not 200 */
static bool
http_order(int fd, const char *body, char *buf, size_t size)
{
	char req[1024];
	int n = snprintf(req, sizeof(req),
	                 "POST /v1/order HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                 auth_header, strlen(body), body);
	size_t got = 0;
	char *hdr_end = NULL;
	long clen = -1;

	if (write(fd, req, (size_t)n) != n)
		return perror("write"), exit(1), false;
	for (;;)
	{
		ssize_t r = read(fd, buf + got, size - got - 1);

		if (r <= 0)
			return fprintf(stderr, "rest_load: connection closed\n"), exit(1), false;
		got += (size_t)r;
		buf[got] = '\0';
		if (hdr_end == NULL && (hdr_end = strstr(buf, "\r\n\r\n")) != NULL)
		{
			char *cl = strcasestr(buf, "Content-Length:");

			clen = cl && cl < hdr_end ? strtol(cl + 15, NULL, 10) : 0;
		}
		if (hdr_end && (long)(got - (size_t)(hdr_end + 4 - buf)) >= clen)
			break;
	}
	return strncmp(buf, "HTTP/1.1 200", 12) == 0;
}

static void *
order_worker(void *arg)
{
	worker *w = arg;
	char account[64], body[512], buf[8192], price[16], qty[16];
	const char *symbol = env("REST_SYMBOL", "RLD");
	int fd = -1;
	PGconn *c = NULL;
	unsigned seed = (unsigned)w->id * 7919u + 1;

	snprintf(account, sizeof(account), "%s%03d", env("REST_ACCOUNT", "RL"), w->id);
	if (w->http)
		fd = connect_port(port);
	else if (PQstatus(c = PQconnectdb("")) != CONNECTION_OK)
		return fprintf(stderr, "rest_load: %s", PQerrorMessage(c)), exit(1), NULL;
	for (uint64_t i = 0;; i++)
	{
		int64_t t0 = now_ns(), t1;
		bool ok;
		/* resting orders on both sides, none crossing: 99.00..99.49 and 100.51..101.00 */
		bool buy = (rand_r(&seed) & 1) != 0;
		int tick = (int)(rand_r(&seed) % 50);

		if (t0 >= w->end)
			break;
		snprintf(price, sizeof(price), buy ? "99.%02d" : "100.%02d",
		         buy ? tick : 51 + tick % 49);
		snprintf(qty, sizeof(qty), "%d", 1 + (int)(rand_r(&seed) % 10));
		if (w->http)
		{
			snprintf(
			    body, sizeof(body),
			    "{\"account\":\"%s\",\"symbol\":\"%s\",\"side\":\"%s\",\"quantity\":%s,"
			    "\"price\":\"%s\"}",
			    account, symbol, buy ? "buy" : "sell", qty, price);
			ok = http_order(fd, body, buf, sizeof(buf));
		}
		else
		{
			const char *p[5] = {account, symbol, buy ? "buy" : "sell", qty, price};
			PGresult *r = PQexecParams(
			    c,
			    "SELECT id, creation_time, filled_quantity, remaining_quantity, status "
			    "FROM exchange.submit_order($1, $2, $3::exchange.side, $4::bigint, "
			    "$5::numeric)",
			    5, NULL, p, NULL, NULL, 0);

			ok = PQresultStatus(r) == PGRES_TUPLES_OK;
			if (!ok && w->errors < 3)
				fprintf(stderr, "rest_load: %s", PQresultErrorMessage(r));
			PQclear(r);
		}
		t1 = now_ns();
		if (!ok)
		{
			if (w->errors++ < 3 && w->http)
				fprintf(stderr, "rest_load: %.300s\n", buf);
			continue;
		}
		if (t0 >= w->warm_end)
		{
			if (w->nlat == w->cap)
			{
				w->cap = w->cap ? w->cap * 2 : 65536;
				w->lat = realloc(w->lat, w->cap * sizeof(int64_t));
			}
			w->lat[w->nlat++] = t1 - t0;
		}
	}
	if (fd >= 0)
		close(fd);
	PQfinish(c);
	return NULL;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
run_orders(const char *mode, int conns, double duration, double warmup, const char *name)
{
	worker *w = calloc((size_t)conns, sizeof(worker));
	pthread_t *t = calloc((size_t)conns, sizeof(pthread_t));
	int64_t start = now_ns(), warm_end = start + (int64_t)(warmup * 1e9),
	        end = warm_end + (int64_t)(duration * 1e9);
	size_t n = 0, k = 0;
	int64_t *all;
	long errors = 0;

	for (int i = 0; i < conns; i++)
	{
		w[i] = (worker){.id = i,
		                .http = strcmp(mode, "http") == 0,
		                .start = start,
		                .warm_end = warm_end,
		                .end = end};
		pthread_create(&t[i], NULL, order_worker, &w[i]);
	}
	for (int i = 0; i < conns; i++)
	{
		pthread_join(t[i], NULL);
		n += w[i].nlat;
		errors += w[i].errors;
	}
	if (n == 0)
		return fprintf(stderr, "rest_load: no order answered\n"), 1;
	all = malloc(n * sizeof(int64_t));
	for (int i = 0; i < conns; i++)
	{
		memcpy(all + k, w[i].lat, w[i].nlat * sizeof(int64_t));
		k += w[i].nlat;
		free(w[i].lat);
	}
	qsort(all, n, sizeof(int64_t), cmp64);
	printf("# %s: %d connections, %zu orders in %.1f s, %ld errors\n", name, conns, n,
	       duration, errors);
	printf("BENCH %s_p50_us %.0f us\n", name, all[n / 2] / 1e3);
	printf("BENCH %s_p99_us %.0f us\n", name, all[(size_t)(n * 0.99)] / 1e3);
	printf("BENCH %s_orders_per_s %.0f orders/s\n", name, n / duration);
	free(all);
	free(w);
	free(t);
	return errors > 0;
}

/* ---- fan-out --------------------------------------------------------------------- */

typedef struct
{
	int fd;
	char tail[64]; /* the end of what was read: a pattern may straddle reads */
	int64_t seen_version;
} subscriber;

static int
run_fanout(int nsubs, int norders)
{
	const char *symbol = env("REST_SYMBOL", "RLD");
	subscriber *s = calloc((size_t)nsubs, sizeof(subscriber));
	int ep = epoll_create1(0), ready = 0;
	char req[256], buf[65536];
	PGconn *c = PQconnectdb("");
	int64_t *delay = calloc((size_t)norders, sizeof(int64_t));
	int64_t deadline;

	if (PQstatus(c) != CONNECTION_OK)
		return fprintf(stderr, "rest_load: %s", PQerrorMessage(c)), 1;
	snprintf(req, sizeof(req),
	         "GET /v1/stream/marketdata?symbol=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	         symbol);
	for (int i = 0; i < nsubs; i++)
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};

		s[i].fd = connect_port(port);
		if (write(s[i].fd, req, strlen(req)) != (ssize_t)strlen(req))
			return perror("write"), 1;
		epoll_ctl(ep, EPOLL_CTL_ADD, s[i].fd, &ev);
	}
	/* every stream's snapshot ("event: book") is in: all are subscribed */
	deadline = now_ns() + 60 * (int64_t)1000000000;
	while (ready < nsubs && now_ns() < deadline)
	{
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 1000);

		for (int e = 0; e < n; e++)
		{
			subscriber *x = &s[evs[e].data.u32];
			ssize_t r = read(x->fd, buf, sizeof(buf) - 1);

			if (r <= 0)
				return fprintf(stderr, "rest_load: a stream closed\n"), 1;
			buf[r] = '\0';
			if (x->seen_version == 0 && strstr(buf, "event: book"))
				x->seen_version = -1, ready++;
		}
	}
	if (ready < nsubs)
		return fprintf(stderr, "rest_load: %d of %d streams opened\n", ready, nsubs), 1;
	for (int k = 0; k < norders; k++)
	{
		const char *p[2] = {symbol, k % 2 ? "99.10" : "99.20"};
		PGresult *r = PQexecParams(
		    c,
		    "SELECT (SELECT book_version FROM exchange.symbols WHERE symbol = $1), "
		    "o.id FROM exchange.submit_order(current_setting('rest.account'), $1, "
		    "'buy', 1, $2::numeric) o",
		    2, NULL, p, NULL, NULL, 0);
		int64_t acked = now_ns(), version;
		char pat[48];
		int got = 0;

		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			return fprintf(stderr, "rest_load: %s", PQresultErrorMessage(r)), 1;
		/* the version before the order's batch (read in the same statement,
		 * before it committed: this order's batch is the next one) */
		version = strtoll(PQgetvalue(r, 0, 0), NULL, 10) + 1;
		PQclear(r);
		snprintf(pat, sizeof(pat), "\"version\":%" PRId64 ",", version);
		for (int i = 0; i < nsubs; i++)
			s[i].tail[0] = '\0';
		deadline = acked + 30 * (int64_t)1000000000;
		while (got < nsubs && now_ns() < deadline)
		{
			struct epoll_event evs[256];
			int n = epoll_wait(ep, evs, 256, 1000);

			for (int e = 0; e < n; e++)
			{
				subscriber *x = &s[evs[e].data.u32];
				size_t tl = strlen(x->tail);
				ssize_t r2;

				memcpy(buf, x->tail, tl);
				r2 = read(x->fd, buf + tl, sizeof(buf) - tl - 1);
				if (r2 <= 0)
					return fprintf(stderr, "rest_load: a stream closed\n"), 1;
				buf[tl + (size_t)r2] = '\0';
				if (x->seen_version < version && strstr(buf, pat))
				{
					x->seen_version = version;
					if (++got == nsubs)
						delay[k] = now_ns() - acked;
				}
				tl += (size_t)r2;
				snprintf(x->tail, sizeof(x->tail), "%s", buf + (tl > 40 ? tl - 40 : 0));
			}
		}
		if (got < nsubs)
			return fprintf(stderr, "rest_load: order %d reached %d of %d\n", k, got,
			               nsubs),
			       1;
		usleep(50000);
	}
	qsort(delay, (size_t)norders, sizeof(int64_t), cmp64);
	printf("# fan-out: %d subscribers, %d orders, one at a time\n", nsubs, norders);
	printf("BENCH rest_sse_fanout_%d_p50_ms %.2f ms\n", nsubs, delay[norders / 2] / 1e6);
	printf("BENCH rest_sse_fanout_%d_max_ms %.2f ms\n", nsubs, delay[norders - 1] / 1e6);
	for (int i = 0; i < nsubs; i++)
		close(s[i].fd);
	PQfinish(c);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "", *mode = "http", *name = "rest_order";
	int conns = 1, subs = 1000, orders = 20;
	double duration = 5, warmup = 1;
	char cred[256];

	for (int i = 2; i + 1 < argc; i += 2)
	{
		if (strcmp(argv[i], "--mode") == 0)
			mode = argv[i + 1];
		else if (strcmp(argv[i], "--connections") == 0)
			conns = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--duration") == 0)
			duration = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--warmup") == 0)
			warmup = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--subscribers") == 0)
			subs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--orders") == 0)
			orders = atoi(argv[i + 1]);
		else
			return fprintf(stderr, "rest_load: unknown option %s\n", argv[i]), 2;
	}
	port = atoi(env("REST_PORT", "8080"));
	snprintf(cred, sizeof(cred), "%s:%s", env("REST_USER", ""), env("REST_PASSWORD", ""));
	{
		char b64[400];

		base64(cred, b64);
		snprintf(auth_header, sizeof(auth_header), "Authorization: Basic %s\r\n", b64);
	}
	if (strcmp(what, "orders") == 0)
		return run_orders(mode, conns, duration, warmup, name);
	if (strcmp(what, "fanout") == 0)
		return run_fanout(subs, orders);
	fprintf(stderr, "usage: rest_load orders|fanout [options] (see the comment of "
	                "bench/rest_load.c)\n");
	return 2;
}
