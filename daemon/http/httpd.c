/*
 * httpd.c - pgx-httpd, the REST API of pgexchange (docs/rest.md): HTTP/1.1
 * on libmicrohttpd, one thread per connection (a slow client or a stream
 * holds only its own thread), JSON endpoints (api.c), Server-Sent Events
 * (stream.c), the OpenAPI document and the web page's static files.
 *
 * Limits (each a flag): request body size, header size (libmicrohttpd's
 * connection memory), connections in all and per address, an idle timeout,
 * and a deadline for receiving a whole request (a watchdog thread shuts down
 * a connection that trickles its request in: slowloris).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>

#include "api.h"
#include "auth.h"
#include "db.h"
#include "log.h"
#include "route.h"
#include "stream.h"

typedef struct
{
	int port;
	const char *listen;
	const char *conninfo, *auth_conninfo;
	const char *static_dir, *openapi, *pidfile;
	size_t max_body, max_header;
	unsigned max_conns, per_ip;
	unsigned idle_timeout, request_deadline;
	int auth_cache, max_auth_failures, pool, pool_max, stmt_timeout_ms, sse_keepalive,
	    sse_queue, sse_sndbuf;
} options;

static options opt = {
    .port = 8080,
    .listen = "127.0.0.1",
    .static_dir = "web",
    .openapi = "docs/openapi.json",
    .max_body = 16384,
    .max_header = 32768,
    .max_conns = 2000,
    .per_ip = 64,
    .idle_timeout = 30,
    .request_deadline = 10,
    .auth_cache = 10,
    .max_auth_failures = 20,
    .pool = 8,
    .pool_max = 32,
    .stmt_timeout_ms = 10000,
    .sse_keepalive = 10,
    .sse_queue = 1024,
    .sse_sndbuf = 65536,
};

static char *openapi_doc;
static size_t openapi_len;
static volatile int stop_flag;

/* ---- the request-deadline watchdog (slowloris) ----------------------------- */

typedef struct conn_track
{
	struct conn_track *prev, *next;
	int fd;
	struct timespec since; /* when the current request began to arrive */
	bool receiving;        /* false while handled or streamed */
	bool cut;
} conn_track;

static pthread_mutex_t track_mu = PTHREAD_MUTEX_INITIALIZER;
static conn_track *tracked;
static unsigned long cut_count;

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
              enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
	{
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		conn_track *t = calloc(1, sizeof(*t));

		if (t == NULL || ci == NULL)
			return free(t), (void)(*socket_context = NULL);
		t->fd = ci->connect_fd;
		clock_gettime(CLOCK_MONOTONIC, &t->since);
		t->receiving = true;
		pthread_mutex_lock(&track_mu);
		t->next = tracked;
		if (tracked)
			tracked->prev = t;
		tracked = t;
		pthread_mutex_unlock(&track_mu);
		*socket_context = t;
	}
	else if (*socket_context != NULL)
	{
		conn_track *t = *socket_context;

		pthread_mutex_lock(&track_mu);
		if (t->prev)
			t->prev->next = t->next;
		else
			tracked = t->next;
		if (t->next)
			t->next->prev = t->prev;
		pthread_mutex_unlock(&track_mu);
		free(t);
		*socket_context = NULL;
	}
}

static conn_track *
track_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? (conn_track *)ci->socket_context : NULL;
}

static void
track_set(struct MHD_Connection *c, bool receiving)
{
	conn_track *t = track_of(c);

	if (t == NULL)
		return;
	pthread_mutex_lock(&track_mu);
	t->receiving = receiving;
	if (receiving)
		clock_gettime(CLOCK_MONOTONIC, &t->since);
	pthread_mutex_unlock(&track_mu);
}

static void *
watchdog_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE))
	{
		struct timespec now, nap = {0, 250 * 1000 * 1000};

		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		pthread_mutex_lock(&track_mu);
		for (conn_track *t = tracked; t; t = t->next)
			if (t->receiving && !t->cut &&
			    now.tv_sec - t->since.tv_sec >= (time_t)opt.request_deadline)
			{
				/* the connection's thread sees the end of its socket and closes it */
				shutdown(t->fd, SHUT_RDWR);
				t->cut = true;
				cut_count++;
			}
		pthread_mutex_unlock(&track_mu);
	}
	return NULL;
}

/* ---- requests -------------------------------------------------------------- */

typedef struct
{
	route rt;
	char *body;
	size_t len;
	bool too_big;
	api_request rq;
} req_ctx;

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	api_request *rq = cls;

	(void)kind;
	if (rq->nargs >= API_ARGS_MAX)
		return rq->too_many_args = true, MHD_NO;
	rq->arg_name[rq->nargs] = key;
	rq->arg_value[rq->nargs] = value ? value : "";
	rq->nargs++;
	return MHD_YES;
}

static enum MHD_Result
send_answer(struct MHD_Connection *c, http_answer *a)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    a->body.len, a->body.data ? a->body.data : (char *)"", MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", a->content_type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (a->header_name)
		MHD_add_response_header(r, a->header_name, a->header_value);
	ok = MHD_queue_response(c, (unsigned)a->status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
send_error(struct MHD_Connection *c, int status, const char *sqlstate,
           const char *message)
{
	http_answer a;
	enum MHD_Result ok;

	answer_init(&a);
	answer_error(&a, status, sqlstate, message);
	ok = send_answer(c, &a);
	answer_free(&a);
	return ok;
}

static const char *
content_type_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	static const struct
	{
		const char *ext, *type;
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".mjs", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	};

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

static enum MHD_Result
serve_static(struct MHD_Connection *c, const char *url)
{
	char path[1024];
	struct stat st;
	int fd;
	struct MHD_Response *r;
	enum MHD_Result ok;
	const char *rel = url[0] == '/' ? url + 1 : url;

	if (rel[0] == '\0')
		rel = "index.html";
	/* no way out of the directory: no "..", no hidden files, plain names */
	for (const char *p = rel; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '/' || *p == '.' || *p == '-' ||
		      *p == '_'))
			return send_error(c, 404, NULL, "no such file");
	if (strstr(rel, "..") || strstr(rel, "/.") || rel[0] == '.' || rel[0] == '/')
		return send_error(c, 404, NULL, "no such file");
	/*
	 * Only the page's own files: web/ also holds the build's node_modules and
	 * package files, which are not the page's to give away.  A directory
	 * answers with its index.html; any other name must have a web file's type.
	 */
	if (strncmp(rel, "node_modules", 12) == 0 || strstr(rel, "/node_modules"))
		return send_error(c, 404, NULL, "no such file");
	if (snprintf(path, sizeof(path), "%s/%s", opt.static_dir, rel) >= (int)sizeof(path))
		return send_error(c, 404, NULL, "no such file");
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
	{
		if (strlen(path) + 12 >= sizeof(path))
			return send_error(c, 404, NULL, "no such file");
		strcat(path, "/index.html");
	}
	if (content_type_of(path) == NULL)
		return send_error(c, 404, NULL, "no such file");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode))
	{
		if (fd >= 0)
			close(fd);
		return send_error(c, 404, NULL, "no such file");
	}
	if ((r = MHD_create_response_from_fd((uint64_t)st.st_size, fd)) == NULL)
		return close(fd), MHD_NO;
	MHD_add_response_header(r, "Content-Type", content_type_of(path));
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ok = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
handle(struct MHD_Connection *c, req_ctx *x, const char *url)
{
	char role[DB_ROLE_MAX], msg[256];
	const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	auth_result ar;
	http_answer a;
	enum MHD_Result ok;

	switch (x->rt.id)
	{
		case R_NONE:
			return send_error(c, 404, NULL, "no such endpoint");
		case R_BAD_METHOD:
		{
			answer_init(&a);
			answer_error(&a, 405, NULL, "method not allowed");
			a.header_name = "Allow";
			snprintf(a.header_value, sizeof(a.header_value), "%s", x->rt.allow);
			ok = send_answer(c, &a);
			answer_free(&a);
			return ok;
		}
		case R_STATIC:
			return serve_static(c, url);
		case R_OPENAPI:
		{
			struct MHD_Response *r = MHD_create_response_from_buffer(
			    openapi_len, openapi_doc, MHD_RESPMEM_PERSISTENT);

			MHD_add_response_header(r, "Content-Type", "application/json");
			ok = MHD_queue_response(c, MHD_HTTP_OK, r);
			MHD_destroy_response(r);
			return ok;
		}
		default:
			break;
	}
	if (x->too_big)
	{
		snprintf(msg, sizeof(msg), "the body is larger than %zu bytes", opt.max_body);
		return send_error(c, 413, NULL, msg);
	}
	ar = auth_check(authz, role, msg, sizeof(msg));
	if (ar == AUTH_DOWN)
		return send_error(c, 503, NULL, msg);
	if (ar == AUTH_THROTTLED)
		return send_error(c, 429, NULL, msg);
	if (ar == AUTH_BAD || (ar == AUTH_NONE && route_needs_auth(x->rt.id)))
	{
		answer_init(&a);
		answer_error(&a, 401, NULL,
		             ar == AUTH_NONE ? "authentication required (Basic or Bearer)" : msg);
		a.header_name = "WWW-Authenticate";
		snprintf(a.header_value, sizeof(a.header_value),
		         "Basic realm=\"pgexchange\", charset=\"UTF-8\"");
		ok = send_answer(c, &a);
		answer_free(&a);
		return ok;
	}
	x->rq.rt = x->rt;
	x->rq.role = role;
	x->rq.body = x->body ? x->body : "";
	x->rq.body_len = x->len;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &x->rq);
	answer_init(&a);
	if (x->rt.id == R_STREAM_MARKET || x->rt.id == R_STREAM_EXECUTION)
	{
		static const char *const market[] = {"symbol", NULL}, *const none[] = {NULL};
		bool execs = x->rt.id == R_STREAM_EXECUTION;
		const char *symbol = api_arg(&x->rq, "symbol");
		struct MHD_Response *r = NULL;

		if (api_check_args(&x->rq, execs ? none : market, &a) == 0)
		{
			if (!execs && (symbol == NULL || !param_name(symbol, 32)))
				answer_error(&a, 400, "22023", "symbol is required (1 to 32 characters)");
			else
				r = stream_open(execs, symbol, role, &a);
		}
		if (r != NULL)
		{
			const union MHD_ConnectionInfo *ci =
			    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

			/* what the kernel may hold for a stream that is not read: bounded, so
			 * that a stalled client reaches its --sse-queue and ends with a gap */
			if (ci != NULL)
				setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &opt.sse_sndbuf,
				           sizeof(opt.sse_sndbuf));
			ok = MHD_queue_response(c, MHD_HTTP_OK, r);
			MHD_destroy_response(r);
			answer_free(&a);
			return ok;
		}
		ok = send_answer(c, &a);
		answer_free(&a);
		return ok;
	}
	if (x->rt.id == R_ORDER_NEW || x->rt.id == R_ORDER_AMEND)
	{
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");

		if (ct != NULL && strncasecmp(ct, "application/json", 16) != 0)
		{
			answer_free(&a);
			return send_error(c, 415, NULL, "the body must be application/json");
		}
	}
	api_handle(&x->rq, &a);
	if (a.body.failed)
		answer_error(&a, 503, NULL, "out of memory");
	ok = send_answer(c, &a);
	answer_free(&a);
	return ok;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	req_ctx *x = *con_cls;

	(void)cls;
	(void)version;
	if (x == NULL)
	{
		const char *cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

		if ((x = calloc(1, sizeof(*x))) == NULL)
			return MHD_NO;
		*con_cls = x;
		x->rt = route_match(method, url);
		if (cl != NULL && strtoull(cl, NULL, 10) > opt.max_body)
		{
			char msg[96];

			/* answered before the body is read; the connection is closed after */
			snprintf(msg, sizeof(msg), "the body is larger than %zu bytes", opt.max_body);
			track_set(c, false);
			return send_error(c, 413, NULL, msg);
		}
		return MHD_YES;
	}
	if (*upload_size > 0)
	{
		if (!x->too_big && x->len + *upload_size <= opt.max_body)
		{
			char *b = realloc(x->body, x->len + *upload_size + 1);

			if (b == NULL)
				return MHD_NO;
			x->body = b;
			memcpy(x->body + x->len, upload, *upload_size);
			x->len += *upload_size;
			x->body[x->len] = '\0';
		}
		else
			x->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	track_set(c, false);
	return handle(c, x, url);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode code)
{
	req_ctx *x = *con_cls;

	(void)cls;
	(void)code;
	if (x)
	{
		free(x->body);
		free(x);
		*con_cls = NULL;
	}
	track_set(c, true); /* the next request of a kept-alive connection */
}

static void
on_panic(void *cls, const char *file, unsigned line, const char *reason)
{
	(void)cls;
	mlog(LOG_ERROR, "libmicrohttpd: %s:%u: %s", file, line, reason ? reason : "");
	abort();
}

static int
load_openapi(void)
{
	FILE *f = fopen(opt.openapi, "rb");
	long n;

	if (f == NULL)
		return mlog(LOG_ERROR, "cannot read %s: %s", opt.openapi, strerror(errno)), -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (openapi_doc = malloc((size_t)n + 1)) == NULL ||
	    fread(openapi_doc, 1, (size_t)n, f) != (size_t)n)
	{
		fclose(f);
		return mlog(LOG_ERROR, "cannot read %s", opt.openapi), -1;
	}
	fclose(f);
	openapi_len = (size_t)n;
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: pgx-httpd --conninfo CONNINFO [options]\n"
	    "The REST API /v1 of pgexchange, its streams and the web page (docs/rest.md).\n"
	    "  --conninfo CONNINFO      PostgreSQL as the daemon's role (a member of "
	    "exchange_rest)\n"
	    "  --auth-conninfo CONNINFO where Basic passwords are checked (scram-sha-256 in\n"
	    "                           pg_hba.conf); without it only API keys work\n"
	    "  --port N                 TCP port (default 8080)\n"
	    "  --listen ADDR            IPv4 address to listen on (default 127.0.0.1: "
	    "loopback\n"
	    "                           only; put a TLS proxy in front for anything else)\n"
	    "  --static-dir DIR         files served at / (default web)\n"
	    "  --openapi FILE           the OpenAPI document served at /v1/openapi.json\n"
	    "                           (default docs/openapi.json)\n"
	    "  --max-body BYTES         largest request body (default 16384): 413 beyond\n"
	    "  --max-header BYTES       memory for a request's line and headers (default "
	    "32768)\n"
	    "  --max-connections N      connections in all (default 2000)\n"
	    "  --per-ip N               connections per client address (default 64)\n"
	    "  --idle-timeout S         close a connection idle that long (default 30)\n"
	    "  --request-deadline S     a request must arrive whole within S seconds "
	    "(default 10)\n"
	    "  --auth-cache S           remember a checked credential S seconds (default 10; "
	    "0 off)\n"
	    "  --max-auth-failures N    failed passwords per user name per 60 s before its\n"
	    "                           Basic logins get 429 without asking PostgreSQL\n"
	    "                           (default 20)\n"
	    "  --pool N                 idle PostgreSQL connections kept per broker (default "
	    "8)\n"
	    "  --pool-max N             connections per broker at once; more requests wait "
	    "up\n"
	    "                           to 5 s for one, then 503 (default 32)\n"
	    "  --statement-timeout MS   statement_timeout of the daemon's queries (default "
	    "10000)\n"
	    "  --sse-keepalive S        a comment line on an idle stream every S seconds "
	    "(default 10)\n"
	    "  --sse-queue N            events a stream may fall behind before it ends with "
	    "a gap\n"
	    "                           (default 1024)\n"
	    "  --sse-sndbuf BYTES       socket send buffer of a stream (default 65536)\n"
	    "  --pidfile PATH           write the pid once listening; removed on exit\n"
	    "  --log-level LEVEL        error, warn, info (default) or debug\n"
	    "  --help                   this text\n"
	    "Stops on SIGTERM or SIGINT.  Exit status: 0 stopped, 1 error, 2 bad usage.\n");
}

static bool
num_arg(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"conninfo", required_argument, NULL, 'c'},
	    {"auth-conninfo", required_argument, NULL, 'a'},
	    {"port", required_argument, NULL, 'p'},
	    {"listen", required_argument, NULL, 'l'},
	    {"static-dir", required_argument, NULL, 's'},
	    {"openapi", required_argument, NULL, 'o'},
	    {"max-body", required_argument, NULL, 'B'},
	    {"max-header", required_argument, NULL, 'H'},
	    {"max-connections", required_argument, NULL, 'C'},
	    {"per-ip", required_argument, NULL, 'I'},
	    {"idle-timeout", required_argument, NULL, 'T'},
	    {"request-deadline", required_argument, NULL, 'D'},
	    {"auth-cache", required_argument, NULL, 'A'},
	    {"max-auth-failures", required_argument, NULL, 'F'},
	    {"pool", required_argument, NULL, 'P'},
	    {"pool-max", required_argument, NULL, 'X'},
	    {"statement-timeout", required_argument, NULL, 'S'},
	    {"sse-keepalive", required_argument, NULL, 'K'},
	    {"sse-queue", required_argument, NULL, 'Q'},
	    {"sse-sndbuf", required_argument, NULL, 'W'},
	    {"pidfile", required_argument, NULL, 'f'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int o, li = 0, sig;
	long v;
	sigset_t sigs;
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	pthread_t dog;
	char msg[256];

	log_ident = "pgx-httpd";
	while ((o = getopt_long(argc, argv, "", longs, &li)) != -1)
	{
		bool ok = true;

		switch (o)
		{
			case 'c':
				opt.conninfo = optarg;
				break;
			case 'a':
				opt.auth_conninfo = optarg;
				break;
			case 'p':
				ok = num_arg(optarg, 0, 65535, &v), opt.port = (int)v;
				break;
			case 'l':
				opt.listen = optarg;
				break;
			case 's':
				opt.static_dir = optarg;
				break;
			case 'o':
				opt.openapi = optarg;
				break;
			case 'B':
				ok = num_arg(optarg, 16, 1 << 24, &v), opt.max_body = (size_t)v;
				break;
			case 'H':
				ok = num_arg(optarg, 2048, 1 << 24, &v), opt.max_header = (size_t)v;
				break;
			case 'C':
				ok = num_arg(optarg, 1, 100000, &v), opt.max_conns = (unsigned)v;
				break;
			case 'I':
				ok = num_arg(optarg, 1, 100000, &v), opt.per_ip = (unsigned)v;
				break;
			case 'T':
				ok = num_arg(optarg, 1, 86400, &v), opt.idle_timeout = (unsigned)v;
				break;
			case 'D':
				ok = num_arg(optarg, 1, 86400, &v), opt.request_deadline = (unsigned)v;
				break;
			case 'A':
				ok = num_arg(optarg, 0, 86400, &v), opt.auth_cache = (int)v;
				break;
			case 'F':
				ok = num_arg(optarg, 1, 1000000, &v), opt.max_auth_failures = (int)v;
				break;
			case 'P':
				ok = num_arg(optarg, 1, 32, &v), opt.pool = (int)v;
				break;
			case 'X':
				ok = num_arg(optarg, 1, 10000, &v), opt.pool_max = (int)v;
				break;
			case 'S':
				ok = num_arg(optarg, 0, 86400000, &v), opt.stmt_timeout_ms = (int)v;
				break;
			case 'K':
				ok = num_arg(optarg, 1, 3600, &v), opt.sse_keepalive = (int)v;
				break;
			case 'Q':
				ok = num_arg(optarg, 8, 1 << 20, &v), opt.sse_queue = (int)v;
				break;
			case 'W':
				ok = num_arg(optarg, 2048, 1 << 26, &v), opt.sse_sndbuf = (int)v;
				break;
			case 'f':
				opt.pidfile = optarg;
				break;
			case 'L':
				ok = (log_level = log_level_parse(optarg)) >= 0;
				if (!ok)
					log_level = LOG_INFO;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return 2;
		}
		if (!ok)
		{
			fprintf(stderr, "pgx-httpd: bad value for --%s: %s\n", longs[li].name,
			        optarg);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || opt.conninfo == NULL)
	{
		usage(stderr);
		return 2;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)opt.port);
	if (inet_pton(AF_INET, opt.listen, &addr.sin_addr) != 1)
	{
		fprintf(stderr, "pgx-httpd: --listen must be an IPv4 address: %s\n", opt.listen);
		return 2;
	}
	if (load_openapi() < 0)
		return 1;
	{
		/* a connection is a socket, a stream also a thread: take what the hard limit
		 * allows */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
		{
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur < (rlim_t)opt.max_conns + 256)
			mlog(LOG_WARN,
			     "open files limited to %llu: fewer than --max-connections %u can be "
			     "served",
			     (unsigned long long)rl.rlim_cur, opt.max_conns);
	}
	/* every thread started from here blocks them: main waits for them in sigwait */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	db_init(opt.conninfo, opt.pool, opt.pool_max, opt.stmt_timeout_ms);
	auth_init(opt.auth_conninfo, opt.auth_cache, opt.max_auth_failures);
	if (stream_start(opt.sse_keepalive, opt.sse_queue, msg, sizeof(msg)) < 0)
		return mlog(LOG_ERROR, "%s", msg), 1;
	MHD_set_panic_func(on_panic, NULL);
	d = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	        MHD_USE_ERROR_LOG,
	    (uint16_t)opt.port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
	    MHD_OPTION_CONNECTION_LIMIT, opt.max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    opt.per_ip, MHD_OPTION_CONNECTION_TIMEOUT, opt.idle_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, opt.max_header, MHD_OPTION_THREAD_STACK_SIZE,
	    (size_t)256 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE,
	    1024, MHD_OPTION_END);
	if (d == NULL)
	{
		mlog(LOG_ERROR, "cannot listen on %s:%d", opt.listen, opt.port);
		stream_stop();
		return 1;
	}
	if (pthread_create(&dog, NULL, watchdog_main, NULL) != 0)
		return mlog(LOG_ERROR, "cannot start the watchdog"), 1;
	if (opt.pidfile)
	{
		FILE *f = fopen(opt.pidfile, "w");

		if (f == NULL || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
			return mlog(LOG_ERROR, "cannot write %s: %s", opt.pidfile, strerror(errno)),
			       1;
	}
	mlog(
	    LOG_INFO,
	    "ready: http://%s:%d/ (static files %s; body <= %zu bytes, headers <= %zu bytes, "
	    "%u connections, %u per address, idle %u s, request deadline %u s)",
	    opt.listen, opt.port, opt.static_dir, opt.max_body, opt.max_header, opt.max_conns,
	    opt.per_ip, opt.idle_timeout, opt.request_deadline);
	while (sigwait(&sigs, &sig) != 0)
		;
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
	mlog(LOG_INFO, "stopping (signal %d)", sig);
	stream_stop();
	MHD_stop_daemon(d);
	pthread_join(dog, NULL);
	{
		unsigned long opened, reused;

		db_stats(&opened, &reused);
		mlog(LOG_INFO,
		     "stopped: %lu PostgreSQL connections opened, %lu reused; %lu slow requests "
		     "cut",
		     opened, reused, cut_count);
	}
	db_shutdown();
	if (opt.pidfile)
		unlink(opt.pidfile);
	free(openapi_doc);
	return 0;
}
