/*
 * fix_load.c - open-loop load generator for the FIX gateway (gatewayd).
 *
 *   fix_load --port P --sessions N --sender-prefix S --broker-prefix B
 *            --account-prefix A --password PW --symbols X,Y --rate R
 *            --warmup W --duration D [--name NAME]
 *
 * N FIX sessions (SenderCompID S01.., Username B01.., account A01..), one
 * thread over epoll.  Orders are scheduled open loop: session i sends its
 * k-th NewOrderSingle at its intended time t0 + k * N / R (spread across
 * sessions), whatever came back, and an order's latency is its first
 * ExecutionReport (New or Rejected) minus that intended time - so a stall
 * shows as latency, never as a lower offered rate (no coordinated
 * omission).  Limit day orders on the symbols, price 100.00 +- 2 ticks, side
 * random: about half cross.  Prints "BENCH <name>_... <value> <unit>".
 * Built with the gateway's own FIX codec (daemon/gateway/fixmsg.c) for
 * framing only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixmsg.h"

#define MAX_SESSIONS 256
#define IN_CAP       (1 << 20)

typedef struct sess
{
	int fd;
	char sender[40], user[64], account[64];
	int64_t seq;
	bool logged_on;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	int64_t sent;      /* orders sent */
	int64_t *intended; /* ns, by order number */
	int64_t *answered; /* 0 until the first ExecutionReport */
	int64_t *queued;   /* ns: when it was handed to send() */
	uint64_t rng;
} sess;

static struct
{
	int port, nsess;
	const char *sender_prefix, *broker_prefix, *account_prefix, *password, *name;
	char symbols[16][16];
	int nsymbols;
	double rate, warmup, duration;
	sess s[MAX_SESSIONS];
	int epfd;
	int64_t cap; /* orders per session at most */
} g = {
    .port = 9878, .nsess = 16, .rate = 43000, .warmup = 2, .duration = 8, .name = "fix"};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t
rnd(sess *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static void
queue(sess *s, const char *buf, size_t len)
{
	if (s->out_len + len > s->out_cap)
	{
		size_t cap = s->out_cap ? s->out_cap * 2 : 1 << 16;

		while (cap < s->out_len + len)
			cap *= 2;
		s->out = realloc(s->out, cap);
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, buf, len);
	s->out_len += len;
}

static void
flush(sess *s)
{
	while (s->out_off < s->out_len)
	{
		ssize_t n =
		    send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		s->out_off += (size_t)n;
	}
	if (s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	else if (s->out_off > (1 << 20))
	{
		memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
		s->out_len -= s->out_off;
		s->out_off = 0;
	}
}

static void
send_msg(sess *s, const char *type, void (*body)(sess *, fix_builder *, void *),
         void *arg)
{
	char buf[1024];
	fix_builder b;
	size_t n;

	fix_build_begin(&b, buf, sizeof(buf), type);
	fix_build_header(&b, s->sender, "PGX", s->seq++, wall_us());
	body(s, &b, arg);
	if ((n = fix_build_end(&b)) == 0)
	{
		fprintf(stderr, "fix_load: a message did not encode\n");
		exit(1);
	}
	queue(s, buf, n);
}

static void
logon_body(sess *s, fix_builder *b, void *arg)
{
	(void)arg;
	fix_add_int(b, 98, 0);
	fix_add_int(b, 108, 30);
	fix_add_char(b, 141, 'Y');
	fix_add_str(b, 553, s->user);
	fix_add_str(b, 554, g.password);
}

static void
order_body(sess *s, fix_builder *b, void *arg)
{
	int64_t k = *(int64_t *)arg;
	char id[32];
	uint64_t r = rnd(s);
	int buy = (int)(r & 1);
	int64_t ticks = 10000 + (int64_t)((r >> 1) % 5) - 2;

	snprintf(id, sizeof(id), "%" PRId64, k);
	fix_add_str(b, 11, id);
	fix_add_str(b, 1, s->account);
	fix_add_str(b, 55, g.symbols[(r >> 8) % (uint64_t)g.nsymbols]);
	fix_add_char(b, 54, buy ? '1' : '2');
	fix_add_utc(b, 60, wall_us());
	fix_add_int(b, 38, 1 + (int64_t)((r >> 16) % 10));
	fix_add_char(b, 40, '2');
	fix_add_decimal(b, 44, ticks, 2);
	fix_add_char(b, 59, '0');
}

static void
hb_body(sess *s, fix_builder *b, void *arg)
{
	const fix_field *f = arg;

	(void)s;
	if (f)
		fix_add(b, 112, f->val, f->len);
}

static int64_t n_rejects, n_other;

static void
on_message(sess *s, const fix_msg *m)
{
	const fix_field *f;

	if (fix_is_type(m, "A"))
	{
		s->logged_on = true;
		return;
	}
	if (fix_is_type(m, "1"))
	{
		send_msg(s, "0", hb_body, (void *)fix_get(m, 112));
		return;
	}
	if (fix_is_type(m, "5"))
	{
		f = fix_get(m, 58);
		fprintf(stderr, "fix_load: %s logged out: %.*s\n", s->sender, f ? (int)f->len : 0,
		        f ? f->val : "");
		exit(1);
	}
	if (!fix_is_type(m, "8"))
	{
		n_other++;
		return;
	}
	f = fix_get(m, 150);
	if (f == NULL || f->len != 1 || (f->val[0] != '0' && f->val[0] != '8'))
		return; /* fills and cancels: not the answer */
	if (f->val[0] == '8' && n_rejects++ < 3)
	{
		const fix_field *t = fix_get(m, 58);

		fprintf(stderr, "# fix_load: a rejection: %.*s\n", t ? (int)t->len : 0,
		        t ? t->val : "");
	}
	f = fix_get(m, 11);
	if (f)
	{
		int64_t k = 0;

		for (uint32_t i = 0; i < f->len; i++)
			k = k * 10 + (f->val[i] - '0');
		if (k >= 0 && k < s->sent && s->answered[k] == 0)
			s->answered[k] = now_ns();
	}
}

static void
on_read(sess *s)
{
	for (;;)
	{
		size_t want = IN_CAP - s->in_len, off = 0;
		ssize_t n = recv(s->fd, s->in + s->in_len, want, 0);

		if (n == 0)
		{
			fprintf(stderr, "fix_load: %s: the gateway closed the connection\n",
			        s->sender);
			exit(1);
		}
		if (n < 0)
			return;
		s->in_len += (size_t)n;
		for (;;)
		{
			fix_msg m;
			size_t used;
			fix_parse_rc rc = fix_parse(s->in + off, s->in_len - off, &m, &used);

			if (rc == FIX_NEED_MORE)
				break;
			if (rc == FIX_OK)
				on_message(s, &m);
			off += used;
		}
		memmove(s->in, s->in + off, s->in_len - off);
		s->in_len -= off;
		if ((size_t)n < want)
			return; /* drained: epoll (level-triggered) tells when more comes */
	}
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
flush_all(void)
{
	for (int i = 0; i < g.nsess; i++)
		if (g.s[i].out_len > g.s[i].out_off)
			flush(&g.s[i]);
}

/* What is queued goes out first, then the wait (at most timeout_ns): an
 * order due now must not sit in its buffer for the wait. */
static void
poll_once(int64_t timeout_ns)
{
	struct epoll_event ev[64];
	struct timespec ts = {.tv_sec = timeout_ns / 1000000000,
	                      .tv_nsec = timeout_ns % 1000000000};
	int n;

	flush_all();
	n = epoll_pwait2(g.epfd, ev, 64, &ts, NULL);
	for (int i = 0; i < n; i++)
		on_read(&g.s[ev[i].data.u32]);
	flush_all();
}

int
main(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"sessions", required_argument, NULL, 'n'},
	    {"sender-prefix", required_argument, NULL, 's'},
	    {"broker-prefix", required_argument, NULL, 'b'},
	    {"account-prefix", required_argument, NULL, 'a'},
	    {"password", required_argument, NULL, 'w'},
	    {"symbols", required_argument, NULL, 'y'},
	    {"rate", required_argument, NULL, 'r'},
	    {"warmup", required_argument, NULL, 'W'},
	    {"duration", required_argument, NULL, 'd'},
	    {"name", required_argument, NULL, 'N'},
	    {NULL, 0, NULL, 0}};
	int opt;
	int64_t t0, t_measure, t_end, total_orders = 0;

	while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1)
	{
		switch (opt)
		{
			case 'p':
				g.port = atoi(optarg);
				break;
			case 'n':
				g.nsess = atoi(optarg);
				break;
			case 's':
				g.sender_prefix = optarg;
				break;
			case 'b':
				g.broker_prefix = optarg;
				break;
			case 'a':
				g.account_prefix = optarg;
				break;
			case 'w':
				g.password = optarg;
				break;
			case 'y':
			{
				char *tmp = strdup(optarg), *tok, *save;

				for (tok = strtok_r(tmp, ",", &save); tok && g.nsymbols < 16;
				     tok = strtok_r(NULL, ",", &save))
					snprintf(g.symbols[g.nsymbols++], 16, "%s", tok);
				free(tmp);
				break;
			}
			case 'r':
				g.rate = atof(optarg);
				break;
			case 'W':
				g.warmup = atof(optarg);
				break;
			case 'd':
				g.duration = atof(optarg);
				break;
			case 'N':
				g.name = optarg;
				break;
			default:
				fprintf(stderr,
				        "usage: see the comment at the top of bench/fix_load.c\n");
				return 2;
		}
	}
	if (!g.sender_prefix || !g.broker_prefix || !g.account_prefix || !g.password ||
	    g.nsymbols == 0 || g.nsess < 1 || g.nsess > MAX_SESSIONS || g.rate <= 0)
	{
		fprintf(stderr, "fix_load: --sender-prefix, --broker-prefix, --account-prefix, "
		                "--password and --symbols are required\n");
		return 2;
	}
	g.cap = (int64_t)((g.warmup + g.duration + 2) * g.rate / g.nsess) + 1000;
	g.epfd = epoll_create1(0);
	for (int i = 0; i < g.nsess; i++)
	{
		sess *s = &g.s[i];
		struct sockaddr_in sa = {.sin_family = AF_INET,
		                         .sin_port = htons((uint16_t)g.port)};
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		int one = 1;

		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		snprintf(s->sender, sizeof(s->sender), "%s%02d", g.sender_prefix, i + 1);
		snprintf(s->user, sizeof(s->user), "%s%02d", g.broker_prefix, i + 1);
		snprintf(s->account, sizeof(s->account), "%s%02d", g.account_prefix, i + 1);
		s->seq = 1;
		s->rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1);
		s->in = malloc(IN_CAP);
		s->intended = calloc((size_t)g.cap, sizeof(int64_t));
		s->answered = calloc((size_t)g.cap, sizeof(int64_t));
		s->queued = calloc((size_t)g.cap, sizeof(int64_t));
		s->fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		{
			fprintf(stderr, "fix_load: cannot connect to 127.0.0.1:%d: %s\n", g.port,
			        strerror(errno));
			return 1;
		}
		setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
		epoll_ctl(g.epfd, EPOLL_CTL_ADD, s->fd, &ev);
		send_msg(s, "A", logon_body, NULL);
		flush(s);
	}
	{
		int64_t deadline = now_ns() + 20000000000LL;
		int up = 0;

		while (up < g.nsess)
		{
			if (now_ns() > deadline)
				return fprintf(stderr, "fix_load: only %d of %d sessions logged on\n", up,
				               g.nsess),
				       1;
			poll_once(10000000);
			up = 0;
			for (int i = 0; i < g.nsess; i++)
				up += g.s[i].logged_on;
		}
	}

	/* open loop: order j (over all sessions) is due at t0 + j / rate */
	t0 = now_ns();
	t_measure = t0 + (int64_t)(g.warmup * 1e9);
	t_end = t_measure + (int64_t)(g.duration * 1e9);
	{
		double interval = 1e9 / g.rate;
		int64_t j = 0;

		for (;;)
		{
			int64_t t = now_ns();

			if (t >= t_end)
				break;
			while ((int64_t)(t0 + (double)j * interval) <= t)
			{
				sess *s = &g.s[j % g.nsess];
				int64_t k = s->sent;

				if (k < g.cap)
				{
					s->intended[k] = t0 + (int64_t)((double)j * interval);
					s->sent++;
					send_msg(s, "D", order_body, &k);
					s->queued[k] = now_ns();
				}
				j++;
			}
			/* sleep until the next order is due (latency counts from when it
			 * was due, so any lateness of the generator is measured) */
			{
				int64_t next = t0 + (int64_t)((double)j * interval) - now_ns();

				poll_once(next > 0 ? next : 0);
			}
		}
		total_orders = j;
	}
	/* drain: every order of the window answered, or 10 s */
	{
		int64_t deadline = now_ns() + 10000000000LL;

		for (;;)
		{
			int64_t missing = 0;

			for (int i = 0; i < g.nsess; i++)
				for (int64_t k = 0; k < g.s[i].sent; k++)
					missing += g.s[i].answered[k] == 0;
			if (missing == 0 || now_ns() > deadline)
				break;
			poll_once(10000000);
		}
	}
	{
		int64_t n = 0, unanswered = 0, answered_in_window = 0;
		int64_t *lat = malloc(sizeof(int64_t) * (size_t)(total_orders + 1));
		int64_t *lag = malloc(sizeof(int64_t) * (size_t)(total_orders + 1)), nlag = 0;

		for (int i = 0; i < g.nsess; i++)
			for (int64_t k = 0; k < g.s[i].sent; k++)
			{
				sess *s = &g.s[i];

				if (s->intended[k] < t_measure || s->intended[k] >= t_end)
					continue;
				lag[nlag++] = s->queued[k] - s->intended[k];
				if (s->answered[k] == 0)
				{
					unanswered++;
					continue;
				}
				lat[n++] = s->answered[k] - s->intended[k];
				if (s->answered[k] < t_end)
					answered_in_window++;
			}
		qsort(lat, (size_t)n, sizeof(int64_t), cmp64);
		printf(
		    "# %s: %d sessions, offered %.0f orders/s, %.1f s warmup, %.1f s measured; "
		    "%" PRId64 " orders in the window, %" PRId64 " unanswered, %" PRId64
		    " rejected (all phases)\n",
		    g.name, g.nsess, g.rate, g.warmup, g.duration, n + unanswered, unanswered,
		    n_rejects);
		printf("BENCH %s_offered_per_s %.0f orders/s\n", g.name, g.rate);
		printf("BENCH %s_acked_per_s %.0f orders/s\n", g.name,
		       (double)answered_in_window / g.duration);
		if (n > 0)
		{
			printf("BENCH %s_p50_ms %.3f ms\n", g.name, (double)lat[n / 2] / 1e6);
			printf("BENCH %s_p99_ms %.3f ms\n", g.name,
			       (double)lat[(n * 99) / 100] / 1e6);
			printf("BENCH %s_p999_ms %.3f ms\n", g.name,
			       (double)lat[(n * 999) / 1000] / 1e6);
			printf("BENCH %s_max_ms %.3f ms\n", g.name, (double)lat[n - 1] / 1e6);
		}
		if (nlag > 0)
		{
			/* the generator's own lateness: queued for send() after the due time */
			qsort(lag, (size_t)nlag, sizeof(int64_t), cmp64);
			printf("BENCH %s_send_lag_p50_ms %.3f ms\n", g.name,
			       (double)lag[nlag / 2] / 1e6);
			printf("BENCH %s_send_lag_p99_ms %.3f ms\n", g.name,
			       (double)lag[(nlag * 99) / 100] / 1e6);
		}
		printf("BENCH %s_unanswered %" PRId64 " orders\n", g.name, unanswered);
		{
			struct rusage ru;
			int64_t sent = 0;

			for (int i = 0; i < g.nsess; i++)
				sent += g.s[i].sent;
			getrusage(RUSAGE_SELF, &ru);
			printf("BENCH %s_sent %" PRId64 " orders\n", g.name, sent);
			printf("BENCH %s_cpu_s %.3f s\n", g.name,
			       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
		}
		free(lag);
		free(lat);
		return unanswered > 0 ? 1 : 0;
	}
}
