/*
 * order_load.c
 *		Open-loop order-entry load through libpq: exchange.submit_order and friends
 *		against a trivial SQL function with the same argument shape.
 *
 * N connections, one thread each; connection i logs in as broker role
 * brokers[i % nbrokers] and trades its own account (prefix + i, "%03d").  The
 * offered rate is split evenly: the calls of all connections together are
 * evenly spaced (call j of the run is intended at start + j / rate, and call j
 * belongs to connection j % N).  A connection sends each call at its intended
 * time, or at once when it is behind, and latency is measured from the
 * INTENDED send time to the reply, so a slow reply delays and charges the
 * calls queued behind it (no coordinated omission).  Calls whose intended time
 * fell inside the window but that could not be sent before it closed are
 * charged (window end - intended time), a lower bound, and counted as unsent.
 *
 * The mix per connection: ~55% limit orders around a mid that moves with time
 * (a fraction priced through it, so that trades happen), ~25% cancels of its
 * own resting orders (ids taken from the responses), ~10% amends, ~10% market
 * IOC orders; several symbols.  A cancel or amend with nothing resting becomes
 * a limit order.  The baseline runs the same connections, schedule and mix,
 * every call going to bench.trivial_order(text,text,text,bigint,numeric).
 *
 * Phases: the order functions at --rate, then the trivial function at --rate
 * (each after --warmup seconds that are not measured), then, with --steps, the
 * order functions at each rate of the list for --step-duration seconds,
 * stopping after --stop-after K consecutive steps whose p99 exceeded 10 ms.
 * With --step-slices N, a step's window is cut into N equal slices and the
 * medians of the slices' p99 and throughput decide, so that one stall of a
 * neighbour on this shared machine does not; the whole window's figures are
 * printed too.  The saturation point is the first step of the last run of
 * breaching steps (every step from it on breached); every step is printed.  While a
 *window is open, the main thread samples CPU time from /proc (the generator, the
 *connections' backends, matchd's threads, the rest of the cluster, the rest of the
 * machine) and, with --matchd-log, reads the group commits that matchd logged
 * at --log-level debug.
 *
 * Connection settings come from the usual PG* variables; the user is the
 * broker role.  Prints "BENCH <name> <value> <unit>" lines and "# " comments.
 * Exit status 1 if a connection broke or setup failed.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAX_CONNECTIONS    1024
#define MAX_EVENT_CLIENTS  60000 /* --event-loop */
#define EVENT_RESTING_CAP  16    /* resting orders a client remembers (--event-loop) */
#define MAX_SYMBOLS        64
#define MAX_BROKERS        256
#define MAX_STEPS          64
#define RESTING_CAP        4096
#define MAX_CODES          32
#define MAX_SLICES         9
#define P99_LIMIT_NS       INT64_C(10000000) /* the saturation criterion */
#define P99_GOAL_NS        INT64_C(5000000)  /* the latency goal */
#define SUSTAINED_FRACTION 0.95 /* achieved/offered for a step to count as kept up */

/* ---- latency histogram ------------------------------------------------------
 * HDR-like: values (ns) below 2^H_SUB_BITS exactly, above that 2^(H_SUB_BITS-1)
 * buckets per power of two, i.e. under 0.8% relative error.  Percentiles report
 * the highest value of their bucket (never below the truth), capped at the max.
 */
#define H_SUB_BITS 8
#define H_HALF     (1 << (H_SUB_BITS - 1))
#define H_BUCKETS  ((66 - H_SUB_BITS) * H_HALF)

typedef struct Hist
{
	uint64_t n;
	int64_t max;
	double sum;
	uint64_t count[H_BUCKETS];
} Hist;

static int
h_index(uint64_t v)
{
	int shift;

	if (v < (1u << H_SUB_BITS))
		return (int)v;
	shift = 63 - __builtin_clzll(v) - H_SUB_BITS + 1;
	return shift * H_HALF + (int)(v >> shift);
}

static int64_t
h_highest(int idx)
{
	int shift;
	uint64_t sub;

	if (idx < (1 << H_SUB_BITS))
		return idx;
	shift = idx / H_HALF - 1;
	sub = (uint64_t)(idx - shift * H_HALF);
	return (int64_t)(((sub + 1) << shift) - 1);
}

static void
h_add(Hist *h, int64_t v)
{
	if (v < 0)
		v = 0;
	h->count[h_index((uint64_t)v)]++;
	h->n++;
	h->sum += (double)v;
	if (v > h->max)
		h->max = v;
}

static void
h_merge(Hist *into, const Hist *from)
{
	for (int i = 0; i < H_BUCKETS; i++)
		into->count[i] += from->count[i];
	into->n += from->n;
	into->sum += from->sum;
	if (from->max > into->max)
		into->max = from->max;
}

static int64_t
h_quantile(const Hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)ceil(q * (double)h->n);
	if (rank < 1)
		rank = 1;
	for (int i = 0; i < H_BUCKETS; i++)
	{
		seen += h->count[i];
		if (seen >= rank)
		{
			int64_t v = h_highest(i);

			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}

/* ---- options and shared state ---------------------------------------------- */

enum call_kind
{
	K_LIMIT,
	K_CROSS, /* a limit order priced through the mid */
	K_CANCEL,
	K_AMEND,
	K_MARKET,
	K__COUNT
};
static const char *const kind_names[K__COUNT] = {"limit", "crossing limit", "cancel",
                                                 "amend", "market IOC"};

enum phase_kind
{
	PH_ORDERS,
	PH_TRIVIAL,
	PH_STOP
};

static struct
{
	int connections;
	double rate, duration, warmup;
	double steps[MAX_STEPS];
	int nsteps;
	double step_duration, step_warmup;
	int step_slices;
	int stop_after;
	bool trivial_only, no_trivial, cpu;
	const char *symbols[MAX_SYMBOLS];
	int nsymbols;
	const char *brokers[MAX_BROKERS];
	int nbrokers;
	const char *account_prefix;
	int matchd_pid;
	const char *matchd_log;
	int cross_pct;
	uint64_t seed;
	int accounts; /* connection i trades account i % accounts (default: connections) */
	/* --event-loop: non-blocking connections on epoll in a few threads */
	bool event_loop;
	int threads;
	const char *ack_log;
	double drain;
	/* the flood (--event-loop): one account over many connections */
	int flood_connections;
	const char *flood_account, *flood_broker;
	double flood_rate;
	int flood_rounds;
} opt = {
    .connections = 32,
    .rate = 43000,
    .duration = 10,
    .warmup = 2,
    .step_duration = 3,
    .step_warmup = 1,
    .step_slices = 1,
    .stop_after = 2,
    .cpu = true,
    .account_prefix = "bench-",
    .cross_pct = 20,
    .seed = 42,
    .threads = 2,
    .drain = 30,
    .flood_rounds = 3,
};

/* the phase the workers run next; written by main between the barriers */
static struct
{
	enum phase_kind kind;
	double rate;
	int64_t start_ns, from_ns, to_ns;
	int slices; /* the window is cut into this many equal slices */
	int64_t slice_ns;
	bool flood_on; /* --event-loop: the flooding connections send in this phase */
} phase;

static pthread_barrier_t phase_begin, phase_end;
static int64_t origin_ns; /* the mids move with time since this instant */

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
sleep_until(int64_t t)
{
	struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- per-connection state and figures -------------------------------------- */

typedef struct Code
{
	char code[64]; /* SQLSTATE, or the reject reason */
	uint64_t n;
	char example[200];
} Code;

typedef struct Stats
{
	Hist hist;
	uint64_t sent[K__COUNT];
	uint64_t failed[K__COUNT]; /* errors by kind of call */
	uint64_t replies;          /* replies to calls intended inside the window */
	uint64_t done_in_window;   /* replies received inside the window: throughput */
	uint64_t unsent;           /* intended inside the window, never sent */
	uint64_t errors, rejected;
	uint64_t traded;       /* new orders that traded on arrival */
	Code codes[MAX_CODES]; /* errors by SQLSTATE */
	int ncodes;
	Code reasons[MAX_CODES]; /* rejected rows by reason */
	int nreasons;
} Stats;

typedef struct Resting
{
	int64_t id;
	int64_t price; /* ticks */
	int sym;
	bool buy;
} Resting;

typedef struct Worker
{
	int index;
	pthread_t thread;
	PGconn *conn;
	int backend_pid;
	char account[64];
	uint64_t rng;
	Resting *resting;
	int nresting, resting_cap;
	bool broken;
	Stats *st; /* one per slice of the window */
	/* --event-loop: the client's place in the schedule and its call in flight */
	const char *role;
	bool flood;          /* one of the flooding account's connections */
	int64_t k_next;      /* its next call, counted over the phase */
	int64_t intended;    /* of the call in flight */
	bool busy, want_out; /* a call is in flight; EPOLLOUT registered */
	uint64_t clordid_n;  /* client order ids: <index>-<n> */
	PGresult *res;       /* first result of the call in flight */
	struct Loop *loop;
	int fd;
	int heap_pos;      /* in its loop's timer heap, -1 if not */
	struct Call *call; /* the call in flight */
} Worker;

static Worker *workers;

static uint64_t
rnd(Worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return (w->rng * UINT64_C(2685821657736338717)) >> 11;
}

static void
count_code(Code *codes, int *n, const char *code, const char *example)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp(codes[i].code, code) == 0)
			break;
	if (i == *n)
	{
		if (*n == MAX_CODES)
			i = MAX_CODES - 1; /* the last slot collects the rest */
		else
		{
			(*n)++;
			snprintf(codes[i].code, sizeof(codes[i].code), "%s", code);
			snprintf(codes[i].example, sizeof(codes[i].example), "%s",
			         example ? example : "");
		}
	}
	codes[i].n++;
}

static void
merge_codes(Code *into, int *n, const Code *from, int nfrom)
{
	for (int j = 0; j < nfrom; j++)
	{
		int i;

		for (i = 0; i < *n; i++)
			if (strcmp(into[i].code, from[j].code) == 0)
				break;
		if (i == *n)
		{
			if (*n == MAX_CODES)
				continue;
			into[(*n)++] = from[j];
		}
		else
			into[i].n += from[j].n;
	}
}

static void
merge_stats(Stats *into, const Stats *from)
{
	h_merge(&into->hist, &from->hist);
	for (int k = 0; k < K__COUNT; k++)
	{
		into->sent[k] += from->sent[k];
		into->failed[k] += from->failed[k];
	}
	into->replies += from->replies;
	into->done_in_window += from->done_in_window;
	into->unsent += from->unsent;
	into->errors += from->errors;
	into->rejected += from->rejected;
	into->traded += from->traded;
	merge_codes(into->codes, &into->ncodes, from->codes, from->ncodes);
	merge_codes(into->reasons, &into->nreasons, from->reasons, from->nreasons);
}

/* ---- the workload ----------------------------------------------------------- */

/* The mid of a symbol in ticks of 0.01: 100.00 +- 0.20, moving with time. */
static int64_t
mid_ticks(int sym, int64_t t_ns)
{
	double t = (double)(t_ns - origin_ns) / 1e9;

	return 10000 + (int64_t)lround(20.0 * sin(2.0 * M_PI * t / 40.0 + 1.3 * sym));
}

static void
format_price(char *buf, size_t size, int64_t ticks)
{
	snprintf(buf, size, "%" PRId64 ".%02" PRId64, ticks / 100, ticks % 100);
}

static void
remember(Worker *w, int64_t id, int64_t price, int sym, bool buy)
{
	int i = w->nresting < w->resting_cap ? w->nresting++
	                                     : (int)(rnd(w) % (uint64_t)w->resting_cap);

	/* when full, an old order is forgotten (it keeps resting in the book) */
	w->resting[i] = (Resting){.id = id, .price = price, .sym = sym, .buy = buy};
}

static void
forget(Worker *w, int i)
{
	w->resting[i] = w->resting[--w->nresting];
}

/* One call of the mix: what it is and its parameters (pointing into the Call). */
typedef struct Call
{
	enum call_kind kind;
	int pick; /* the resting order it cancels or amends, or -1 */
	int sym;
	bool buy;
	int64_t p;
	const char *stmt; /* prepared statement (threads) */
	const char *sql;  /* the same as an unnamed statement (--event-loop) */
	int nparams;
	const char *values[6];
	char qty[24], price[24], id[24], clordid[24];
} Call;

/* the prepared statements' text, and with a client order id for --event-loop */
#define SQL_LIMIT                                                                        \
	"SELECT * FROM exchange.submit_order($1::text, $2::text, $3::exchange.side, "        \
	"$4::bigint, $5::numeric"
#define SQL_MARKET                                                                       \
	"SELECT * FROM exchange.submit_order($1::text, $2::text, $3::exchange.side, "        \
	"$4::bigint, NULL::numeric, 'market'::exchange.order_type, "                         \
	"'ioc'::exchange.time_in_force"
#define SQL_CANCEL "SELECT * FROM exchange.cancel_order($1::text, $2::bigint)"
#define SQL_AMEND                                                                        \
	"SELECT * FROM exchange.amend_order($1::text, $2::bigint, $3::bigint, $4::numeric)"
#define SQL_TRIVIAL                                                                      \
	"SELECT * FROM bench.trivial_order($1::text, $2::text, $3::text, $4::bigint, "       \
	"$5::numeric)"

/* Picks the next call of the mix (with_clordid: new orders carry a client order id). */
static void
build_call(Worker *w, enum phase_kind ph, Call *c, bool with_clordid)
{
	int r = (int)(rnd(w) % 100);

	c->sym = (int)(rnd(w) % opt.nsymbols);
	c->pick = -1;
	c->buy = rnd(w) & 1;
	c->p = 0;
	if (w->flood)
		c->kind = K_LIMIT; /* the flood only sends new orders: they are what is limited */
	else if (r < 55 || (r < 90 && w->nresting == 0))
		c->kind = (int)(rnd(w) % 100) < opt.cross_pct ? K_CROSS : K_LIMIT;
	else if (r < 80)
		c->kind = K_CANCEL;
	else if (r < 90)
		c->kind = K_AMEND;
	else
		c->kind = K_MARKET;

	c->values[0] = w->account;
	c->values[5] = NULL;
	switch (c->kind)
	{
		int64_t mid;

		case K_LIMIT:
		case K_CROSS:
			mid = mid_ticks(c->sym, now_ns());
			if (c->kind == K_CROSS)
				c->p = c->buy ? mid + (int64_t)(rnd(w) % 5) : mid - (int64_t)(rnd(w) % 5);
			else
				c->p = c->buy ? mid - 1 - (int64_t)(rnd(w) % 15)
				              : mid + 1 + (int64_t)(rnd(w) % 15);
			snprintf(c->qty, sizeof(c->qty), "%d", 100 * (1 + (int)(rnd(w) % 5)));
			format_price(c->price, sizeof(c->price), c->p);
			c->values[1] = opt.symbols[c->sym];
			c->values[2] = c->buy ? "buy" : "sell";
			c->values[3] = c->qty;
			c->values[4] = c->price;
			c->stmt = "limit";
			c->sql = SQL_LIMIT ")";
			c->nparams = 5;
			if (with_clordid)
			{
				c->values[5] = c->clordid;
				c->sql = SQL_LIMIT ", client_order_id => $6::text)";
				c->nparams = 6;
			}
			break;
		case K_MARKET:
			snprintf(c->qty, sizeof(c->qty), "%d", 100 * (1 + (int)(rnd(w) % 3)));
			c->values[1] = opt.symbols[c->sym];
			c->values[2] = c->buy ? "buy" : "sell";
			c->values[3] = c->qty;
			c->values[4] = NULL;
			c->stmt = "market";
			c->sql = SQL_MARKET ")";
			c->nparams = 4;
			if (with_clordid)
			{
				c->values[4] = c->clordid;
				c->sql = SQL_MARKET ", client_order_id => $5::text)";
				c->nparams = 5;
			}
			break;
		case K_CANCEL:
			c->pick = (int)(rnd(w) % (uint64_t)w->nresting);
			snprintf(c->id, sizeof(c->id), "%" PRId64, w->resting[c->pick].id);
			c->values[1] = c->id;
			c->stmt = "cancel";
			c->sql = SQL_CANCEL;
			c->nparams = 2;
			/* the trivial call has the submit shape: account, symbol, side, qty, price */
			c->values[2] = "buy";
			c->values[3] = c->id;
			c->values[4] = NULL;
			break;
		case K_AMEND:
		default:
			c->pick = (int)(rnd(w) % (uint64_t)w->nresting);
			c->sym = w->resting[c->pick].sym;
			c->buy = w->resting[c->pick].buy;
			/* half keep their price, half step one tick away from the mid */
			c->p = w->resting[c->pick].price + ((rnd(w) & 1) ? (c->buy ? -1 : 1) : 0);
			snprintf(c->id, sizeof(c->id), "%" PRId64, w->resting[c->pick].id);
			snprintf(c->qty, sizeof(c->qty), "%d", 100 * (1 + (int)(rnd(w) % 5)));
			format_price(c->price, sizeof(c->price), c->p);
			c->values[1] = c->id;
			c->values[2] = c->qty;
			c->values[3] = c->price;
			c->stmt = "amend";
			c->sql = SQL_AMEND;
			c->nparams = 4;
			break;
	}
	if (with_clordid && (c->kind == K_LIMIT || c->kind == K_CROSS || c->kind == K_MARKET))
		snprintf(c->clordid, sizeof(c->clordid), "%d-%" PRIu64, w->index, ++w->clordid_n);
	if (ph == PH_TRIVIAL)
	{
		/* same shape for every kind: (account, symbol, side, quantity, price) */
		if (c->kind == K_AMEND)
		{
			c->values[4] = c->values[3];
			c->values[3] = c->values[2];
			c->values[2] = c->buy ? "buy" : "sell";
			c->values[1] = opt.symbols[c->sym];
		}
		else if (c->kind == K_CANCEL)
			c->values[1] = opt.symbols[c->sym];
		else if (c->kind == K_MARKET)
			c->values[4] = NULL;
		c->stmt = "trivial";
		c->sql = SQL_TRIVIAL;
		c->nparams = 5;
	}
}

static FILE *ack_log; /* --ack-log: acknowledged new orders */
static pthread_mutex_t ack_lock = PTHREAD_MUTEX_INITIALIZER;

/* The reply updates what the connection knows of its resting orders. */
static void
take_result(Worker *w, enum phase_kind ph, const Call *c, PGresult *res, Stats *st,
            bool measured)
{
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (measured)
		{
			st->errors++;
			st->failed[c->kind]++;
			count_code(st->codes, &st->ncodes, code ? code : "(none)",
			           PQresultErrorMessage(res));
		}
		if (PQstatus(w->conn) == CONNECTION_BAD)
		{
			fprintf(stderr, "order_load: connection %d broke: %s", w->index,
			        PQerrorMessage(w->conn));
			w->broken = true;
		}
		/* the order is gone or was never ours to touch: stop tracking it */
		if (ph == PH_ORDERS && c->pick >= 0)
			forget(w, c->pick);
	}
	else if (ph == PH_ORDERS && PQntuples(res) == 1)
	{
		int c_id = PQfnumber(res, "id"), c_filled = PQfnumber(res, "filled_quantity"),
		    c_rem = PQfnumber(res, "remaining_quantity"),
		    c_status = PQfnumber(res, "status"),
		    c_reason = PQfnumber(res, "reject_reason");
		const char *status = c_status >= 0 ? PQgetvalue(res, 0, c_status) : "";
		bool open =
		    (strcmp(status, "new") == 0 || strcmp(status, "partially_filled") == 0) &&
		    c_rem >= 0 && atoll(PQgetvalue(res, 0, c_rem)) > 0;

		if (measured && c->pick < 0 && c_filled >= 0 &&
		    atoll(PQgetvalue(res, 0, c_filled)) > 0)
			st->traded++;
		if (measured && strcmp(status, "rejected") == 0)
		{
			st->rejected++;
			count_code(st->reasons, &st->nreasons,
			           c_reason >= 0 && !PQgetisnull(res, 0, c_reason)
			               ? PQgetvalue(res, 0, c_reason)
			               : "(no reason)",
			           NULL);
		}
		/* an acknowledgement: what it says is in the journal (the drills check) */
		if (ack_log && c->pick < 0 && c_id >= 0)
		{
			pthread_mutex_lock(&ack_lock);
			fprintf(ack_log, "ACK\t%s\t%s\t%s\t%s\t%s\n", PQgetvalue(res, 0, c_id),
			        w->account, w->role, c->clordid, status);
			pthread_mutex_unlock(&ack_lock);
		}
		if (c->pick >= 0)
		{
			if (c->kind == K_AMEND && open)
				w->resting[c->pick].price = c->p;
			else
				forget(w, c->pick);
		}
		else if ((c->kind == K_LIMIT || c->kind == K_CROSS) && open && c_id >= 0)
			remember(w, atoll(PQgetvalue(res, 0, c_id)), c->p, c->sym, c->buy);
	}
}

/* One call, waited for (one thread per connection). */
static void
one_call(Worker *w, enum phase_kind ph, Stats *st, bool measured)
{
	Call c;
	PGresult *res;

	build_call(w, ph, &c, false);
	if (measured)
		st->sent[c.kind]++;
	res = PQexecPrepared(w->conn, c.stmt, c.nparams, c.values, NULL, NULL, 0);
	take_result(w, ph, &c, res, st, measured);
	PQclear(res);
}

/* One phase of one connection: its share of the evenly spaced schedule. */
static void
run_phase(Worker *w)
{
	double spacing = 1e9 / phase.rate; /* between two calls of all connections */
	int n = opt.connections;

	memset(w->st, 0, sizeof(Stats) * (size_t)phase.slices);
	for (int64_t j = w->index;; j += n)
	{
		int64_t intended = phase.start_ns + (int64_t)((double)j * spacing), now, done;
		bool measured = intended >= phase.from_ns;
		Stats *st;

		if (intended >= phase.to_ns || w->broken)
			break;
		/* a call belongs to the slice of its intended time */
		st = &w->st[measured ? (intended - phase.from_ns) / phase.slice_ns : 0];
		now = now_ns();
		if (now >= phase.to_ns)
		{
			/* behind at the close: charge what could not be sent (a lower bound) */
			for (; intended < phase.to_ns;
			     j += n, intended = phase.start_ns + (int64_t)((double)j * spacing))
				if (intended >= phase.from_ns)
				{
					st = &w->st[(intended - phase.from_ns) / phase.slice_ns];
					h_add(&st->hist, now - intended);
					st->unsent++;
				}
			break;
		}
		if (now < intended)
			sleep_until(intended);
		one_call(w, phase.kind, st, measured);
		done = now_ns();
		if (measured)
		{
			h_add(&st->hist, done - intended);
			st->replies++;
		}
		/* throughput: the slice in which the reply arrived */
		if (done >= phase.from_ns && done < phase.to_ns)
			w->st[(done - phase.from_ns) / phase.slice_ns].done_in_window++;
	}
}

static void *
worker_main(void *arg)
{
	Worker *w = arg;

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	for (;;)
	{
		pthread_barrier_wait(&phase_begin);
		if (phase.kind == PH_STOP)
			return NULL;
		run_phase(w);
		pthread_barrier_wait(&phase_end);
	}
}

/* ---- setup ------------------------------------------------------------------ */

static bool
prepare(PGconn *conn, const char *name, const char *sql)
{
	PGresult *res = PQprepare(conn, name, sql, 0, NULL);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "order_load: prepare %s: %s", name, PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

static bool
connect_worker(Worker *w)
{
	const char *keys[] = {"user", "application_name", NULL};
	const char *vals[] = {opt.brokers[w->index % opt.nbrokers], "order_load", NULL};

	w->conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(w->conn) != CONNECTION_OK)
	{
		fprintf(stderr, "order_load: connect as %s: %s", vals[0],
		        PQerrorMessage(w->conn));
		return false;
	}
	w->backend_pid = PQbackendPID(w->conn);
	snprintf(w->account, sizeof(w->account), "%s%03d", opt.account_prefix,
	         w->index % opt.accounts);
	w->role = vals[0];
	w->rng = opt.seed * 1000003 + (uint64_t)w->index * 7919 + 1;
	w->resting_cap = RESTING_CAP;
	w->resting = calloc(RESTING_CAP, sizeof(Resting));
	w->st = calloc(MAX_SLICES, sizeof(Stats));
	if (!opt.no_trivial &&
	    !prepare(w->conn, "trivial",
	             "SELECT * FROM bench.trivial_order($1::text, $2::text, "
	             "$3::text, $4::bigint, $5::numeric)"))
		return false;
	if (opt.trivial_only)
		return true;
	return prepare(w->conn, "limit",
	               "SELECT * FROM exchange.submit_order($1::text, $2::text, "
	               "$3::exchange.side, $4::bigint, $5::numeric)") &&
	       prepare(w->conn, "market",
	               "SELECT * FROM exchange.submit_order($1::text, $2::text, "
	               "$3::exchange.side, $4::bigint, NULL::numeric, "
	               "'market'::exchange.order_type, 'ioc'::exchange.time_in_force)") &&
	       prepare(w->conn, "cancel",
	               "SELECT * FROM exchange.cancel_order($1::text, $2::bigint)") &&
	       prepare(w->conn, "amend",
	               "SELECT * FROM exchange.amend_order($1::text, $2::bigint, $3::bigint, "
	               "$4::numeric)");
}

/* ---- CPU time from /proc ---------------------------------------------------- */

enum cpu_class
{
	C_GENERATOR,
	C_BACKENDS,
	C_MATCHD_MAIN,
	C_MATCHD_OTHER,
	C_MATCHD_BACKEND,
	C_WALWRITER,
	C_PG_OTHER,
	C_PGBOUNCER,
	C_OTHER,
	C__COUNT
};
static const char *const class_names[C__COUNT] = {
    "order_load",           "its backends",     "matchd main thread",
    "matchd writer thread", "matchd's backend", "walwriter",
    "rest of the cluster",  "pgbouncer",        "everything else on the machine"};
static int postmaster_pid; /* the parent of the connections' backends */

typedef struct Task
{
	int pid;
	int cls;
	uint64_t ns; /* on CPU since the thread started */
} Task;

typedef struct CpuSample
{
	int64_t at_ns;
	uint64_t stat[8]; /* user nice system idle iowait irq softirq steal */
	Task *tasks;
	int ntasks, cap;
	off_t log_off;
} CpuSample;

static bool
read_stat(const char *path, char *comm, size_t comm_size, uint64_t *ticks, int *ppid)
{
	char buf[1024], *open, *close;
	unsigned long ut, stt;
	int parent;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close)
		return false;
	snprintf(comm, comm_size, "%.*s", (int)(close - open - 1), open + 1);
	/* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime */
	if (sscanf(close + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &parent,
	           &ut, &stt) != 3)
		return false;
	*ticks = ut + stt;
	if (ppid)
		*ppid = parent;
	return true;
}

static void
add_task(CpuSample *s, int pid, int cls, uint64_t ns)
{
	if (s->ntasks == s->cap)
	{
		s->cap = s->cap ? s->cap * 2 : 512;
		s->tasks = realloc(s->tasks, (size_t)s->cap * sizeof(Task));
	}
	s->tasks[s->ntasks++] = (Task){.pid = pid, .cls = cls, .ns = ns};
}

static int
classify_postgres(int pid)
{
	char path[64], cmd[256];
	FILE *f;
	size_t n;

	if (!opt.event_loop)
		for (int i = 0; i < opt.connections; i++)
			if (workers[i].backend_pid == pid)
				return C_BACKENDS;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if (!(f = fopen(path, "r")))
		return C_PG_OTHER;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = 0;
	/* behind a pooler the backends are not known by pid: by their role */
	if (opt.event_loop)
	{
		char prefix[96];

		for (int i = 0; i <= opt.nbrokers; i++)
		{
			const char *role = i < opt.nbrokers ? opt.brokers[i] : opt.flood_broker;

			if (role == NULL)
				continue;
			snprintf(prefix, sizeof(prefix), "postgres: %s ", role);
			if (strncmp(cmd, prefix, strlen(prefix)) == 0)
				return C_BACKENDS;
		}
	}
	if (strncmp(cmd, "postgres: matchd ", 17) == 0)
		return C_MATCHD_BACKEND;
	if (strncmp(cmd, "postgres: walwriter", 19) == 0)
		return C_WALWRITER;
	return C_PG_OTHER;
}

/* Time on CPU of one thread, in ns (the scheduler's own count, exact). */
static bool
read_schedstat(int pid, int tid, uint64_t *ns)
{
	char path[96];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	if (!(f = fopen(path, "r")))
		return false;
	ok = fscanf(f, "%" SCNu64, ns) == 1;
	fclose(f);
	return ok;
}

static void
cpu_sample(CpuSample *s)
{
	DIR *proc;
	struct dirent *de;
	FILE *f;
	char comm[64], path[96];
	uint64_t ticks;

	s->ntasks = 0;
	s->at_ns = now_ns();
	memset(s->stat, 0, sizeof(s->stat));
	if ((f = fopen("/proc/stat", "r")))
	{
		if (fscanf(f,
		           "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		           " %" SCNu64 " %" SCNu64 " %" SCNu64,
		           &s->stat[0], &s->stat[1], &s->stat[2], &s->stat[3], &s->stat[4],
		           &s->stat[5], &s->stat[6], &s->stat[7]) != 8)
			memset(s->stat, 0, sizeof(s->stat));
		fclose(f);
	}
	if (!(proc = opendir("/proc")))
		return;
	while ((de = readdir(proc)))
	{
		int pid, ppid, cls;
		DIR *tasks;
		struct dirent *te;
		bool is_matchd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (!read_stat(path, comm, sizeof(comm), &ticks, &ppid))
			continue;
		is_matchd = opt.matchd_pid ? pid == opt.matchd_pid : strcmp(comm, "matchd") == 0;
		if (pid == getpid())
			cls = C_GENERATOR;
		else if (strcmp(comm, "postgres") == 0 &&
		         (pid == postmaster_pid || ppid == postmaster_pid))
			cls = classify_postgres(pid);
		else if (strcmp(comm, "pgbouncer") == 0)
			cls = C_PGBOUNCER;
		else
			cls = C_OTHER;
		/* every thread; matchd's apart: the event loop (tid = pid) and the writer */
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		if (!(tasks = opendir(path)))
			continue;
		while ((te = readdir(tasks)))
		{
			int tid = atoi(te->d_name);
			uint64_t ns;

			if (tid > 0 && read_schedstat(pid, tid, &ns))
				add_task(s, tid,
				         is_matchd ? (tid == pid ? C_MATCHD_MAIN : C_MATCHD_OTHER) : cls,
				         ns);
		}
		closedir(tasks);
	}
	closedir(proc);
}

/*
 * CPU used between two samples: the machine, then each class in % of one core
 * and in microseconds per reply.  Returns the benchmark's own CPU (every class
 * but the rest of the machine) per reply, in microseconds, or 0.
 */
static double
cpu_report(const char *label, const CpuSample *a, const CpuSample *b, uint64_t replies)
{
	double hz = (double)sysconf(_SC_CLK_TCK), secs = (double)(b->at_ns - a->at_ns) / 1e9;
	double cores = (double)sysconf(_SC_NPROCESSORS_ONLN);
	double pct[C__COUNT] = {0}, d[8], busy, sampled, ours = 0;
	char line[1024];
	size_t n;

	for (int i = 0; i < b->ntasks; i++)
		for (int k = 0; k < a->ntasks; k++)
			if (a->tasks[k].pid == b->tasks[i].pid)
			{
				pct[b->tasks[i].cls] +=
				    (double)(b->tasks[i].ns - a->tasks[k].ns) / 1e9 / secs * 100;
				break;
			}
	for (int i = 0; i < 8; i++)
		d[i] = (double)(b->stat[i] - a->stat[i]);
	if (replies == 0)
		return 0;
	/*
	 * /proc/stat: idle and iowait are exact (tickless idle), the busy fields are
	 * tick samples, so the machine's busy time is what was not idle, split in
	 * the proportions of the samples.
	 */
	busy = 100 * cores - (d[3] + d[4]) / hz / secs * 100;
	sampled = d[0] + d[1] + d[2] + d[5] + d[6] + d[7];
	if (sampled <= 0)
		sampled = 1;
	printf("# cpu %s: machine busy %.0f%% of %.0f%% (of it user %.0f%%, system %.0f%%, "
	       "softirq %.0f%%, steal %.0f%%), iowait %.0f%%\n",
	       label, busy, 100 * cores, (d[0] + d[1]) / sampled * 100, d[2] / sampled * 100,
	       (d[5] + d[6]) / sampled * 100, d[7] / sampled * 100, d[4] / hz / secs * 100);
	n = (size_t)snprintf(line, sizeof(line),
	                     "# cpu %s, %% of one core (us per reply):", label);
	for (int c = 0; c < C__COUNT && n < sizeof(line); c++)
	{
		double us = pct[c] / 100 * secs * 1e6 / (double)replies;

		if (c != C_OTHER)
			ours += us;
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s %.0f%% (%.1f)",
		                      c ? "," : "", class_names[c], pct[c], us);
	}
	puts(line);
	printf("# cpu %s: the benchmark's processes use %.1f us of CPU per reply: %.0f "
	       "replies/s would fill %.0f cores\n",
	       label, ours, cores * 1e6 / ours, cores);
	return ours;
}

/* Group commits matchd logged (at --log-level debug) between two offsets. */
static off_t
log_size(void)
{
	struct stat sb;

	return opt.matchd_log && stat(opt.matchd_log, &sb) == 0 ? sb.st_size : 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
batch_report(const char *label, off_t from, off_t to, double secs)
{
	FILE *f;
	char line[512];
	uint64_t batches = 0, records = 0, answers = 0, max_answers = 0;
	uint64_t sizes[6] = {0}; /* answers: 1, 2-4, 5-16, 17-64, 65-256, more */
	int64_t *gaps = NULL, last_us = -1;
	size_t ngaps = 0, cap = 0;

	if (!opt.matchd_log || to <= from || !(f = fopen(opt.matchd_log, "r")))
		return;
	fseeko(f, from, SEEK_SET);
	while (ftello(f) < to && fgets(line, sizeof(line), f))
	{
		char *p = strstr(line, "DEBUG: committed seq ");
		unsigned rec, ans, hh, mm, ss, us;

		if (!p || !(p = strchr(p, '(')) ||
		    sscanf(p, "(%u records, %u answers)", &rec, &ans) != 2)
			continue;
		batches++;
		records += rec;
		answers += ans;
		if (ans > max_answers)
			max_answers = ans;
		sizes[ans <= 1     ? 0
		      : ans <= 4   ? 1
		      : ans <= 16  ? 2
		      : ans <= 64  ? 3
		      : ans <= 256 ? 4
		                   : 5]++;
		/* 2026-11-23T21:33:35.445018Z: the time between two commits */
		if (sscanf(line, "%*d-%*d-%*dT%u:%u:%u.%uZ", &hh, &mm, &ss, &us) == 4)
		{
			int64_t t = ((int64_t)hh * 3600 + mm * 60 + ss) * 1000000 + us;

			if (last_us >= 0 && t >= last_us)
			{
				if (ngaps == cap)
				{
					cap = cap ? cap * 2 : 4096;
					gaps = realloc(gaps, cap * sizeof(int64_t));
				}
				gaps[ngaps++] = t - last_us;
			}
			last_us = t;
		}
	}
	fclose(f);
	if (batches == 0)
	{
		printf("# matchd %s: no group commits logged (not at --log-level debug?)\n",
		       label);
		return;
	}
	printf("# matchd %s: %.0f group commits/s, %.1f answers and %.1f records per commit "
	       "(max %" PRIu64 " answers); commits answering 1: %.0f%%, 2-4: %.0f%%, 5-16: "
	       "%.0f%%, 17-64: %.0f%%, 65-256: %.0f%%, more: %.0f%%\n",
	       label, (double)batches / secs, (double)answers / (double)batches,
	       (double)records / (double)batches, max_answers,
	       100.0 * (double)sizes[0] / (double)batches,
	       100.0 * (double)sizes[1] / (double)batches,
	       100.0 * (double)sizes[2] / (double)batches,
	       100.0 * (double)sizes[3] / (double)batches,
	       100.0 * (double)sizes[4] / (double)batches,
	       100.0 * (double)sizes[5] / (double)batches);
	if (ngaps > 0)
	{
		qsort(gaps, ngaps, sizeof(int64_t), cmp_i64);
		printf(
		    "# matchd %s: time between commits p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		    label, gaps[ngaps / 2] / 1e3,
		    gaps[(size_t)((double)(ngaps - 1) * 0.99)] / 1e3, gaps[ngaps - 1] / 1e3);
	}
	free(gaps);
}

/* ---- --event-loop: many non-blocking connections on epoll ---------------------
 *
 * Tens of thousands of connections cannot each have a thread.  With
 * --event-loop, every connection is a non-blocking libpq connection and a few
 * threads (--threads) each serve their share of them from one epoll set: a
 * connection sends its next call when it is due (the same evenly spaced
 * schedule as the threads: call j of the run is connection j % N's, intended at
 * start + j / rate), or at once when its previous reply came late, and never
 * has more than one call in flight, as a blocking client would.  Idle
 * connections wait in a min-heap by the time of their next call.  Calls are
 * unnamed statements (PQsendQueryParams): a pooler in transaction mode may give
 * each call another server connection, so nothing may be prepared on one.  New
 * orders carry a client order id ("<connection>-<n>"), and --ack-log writes
 * every acknowledged one for a check against the journal.  A phase ends when
 * every call of its window was answered; a call still unanswered --drain
 * seconds after the window closed is counted as lost.
 *
 * The flood (--flood-connections M --flood-account A --flood-broker R
 * --flood-rate F): M more connections, all trading account A as role R, that
 * send new orders at F calls/s in total in the phases where it is on.  Their
 * figures are kept apart from the others'.
 */
typedef struct Loop
{
	int id;
	pthread_t thread;
	int epfd;
	Worker **cl; /* its connections */
	int ncl;
	Worker **heap; /* idle connections by next_at */
	int nheap;
	int outstanding;
	uint64_t lost;
	uint64_t flood_sent, flood_answered; /* every flood call, warm-ups included */
	Stats *st, *fst;                     /* per slice: the traders', the flood's */
} Loop;

static Loop *loops;
static int nloops;
static Worker *clients; /* --event-loop: opt.connections traders, then the flood */
static int nclients;

static int64_t
ev_intended(const Worker *w, int64_t k)
{
	if (w->flood)
		return phase.start_ns + (int64_t)(((double)k * opt.flood_connections +
		                                   (double)(w->index - opt.connections)) *
		                                  1e9 / opt.flood_rate);
	return phase.start_ns +
	       (int64_t)(((double)k * opt.connections + (double)w->index) * 1e9 / phase.rate);
}

static Stats *
ev_stats(Loop *L, const Worker *w, int64_t t)
{
	Stats *base = w->flood ? L->fst : L->st;

	if (t < phase.from_ns)
		return &base[0];
	if (t >= phase.to_ns)
		return &base[phase.slices - 1];
	return &base[(t - phase.from_ns) / phase.slice_ns];
}

static void
heap_swap(Loop *L, int a, int b)
{
	Worker *t = L->heap[a];

	L->heap[a] = L->heap[b];
	L->heap[b] = t;
	L->heap[a]->heap_pos = a;
	L->heap[b]->heap_pos = b;
}

/* the key is the time of the worker's next call, kept in w->intended while idle */
static void
heap_push(Loop *L, Worker *w, int64_t at)
{
	int i = L->nheap++;

	w->intended = at;
	L->heap[i] = w;
	w->heap_pos = i;
	while (i > 0 && L->heap[(i - 1) / 2]->intended > L->heap[i]->intended)
	{
		heap_swap(L, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static Worker *
heap_pop(Loop *L)
{
	Worker *top = L->heap[0];
	int i = 0;

	heap_swap(L, 0, --L->nheap);
	top->heap_pos = -1;
	for (;;)
	{
		int l = 2 * i + 1, r = l + 1, m = i;

		if (l < L->nheap && L->heap[l]->intended < L->heap[m]->intended)
			m = l;
		if (r < L->nheap && L->heap[r]->intended < L->heap[m]->intended)
			m = r;
		if (m == i)
			break;
		heap_swap(L, i, m);
		i = m;
	}
	return top;
}

static void
ev_interest(Loop *L, Worker *w, bool out)
{
	struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = w};

	if (w->want_out != out)
	{
		w->want_out = out;
		epoll_ctl(L->epfd, EPOLL_CTL_MOD, w->fd, &ev);
	}
}

static void
ev_break(Loop *L, Worker *w, const char *what)
{
	if (!w->broken)
		fprintf(stderr, "order_load: connection %d %s: %s", w->index, what,
		        PQerrorMessage(w->conn));
	w->broken = true;
	if (w->busy)
	{
		Stats *st = ev_stats(L, w, w->intended);

		/* sent, never answered: its fate is unknown to the client */
		st->errors++;
		count_code(st->codes, &st->ncodes, "(connection lost)", PQerrorMessage(w->conn));
		w->busy = false;
		L->outstanding--;
		L->lost++;
	}
	epoll_ctl(L->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

/* The connection's next call is due at `now` (or overdue). */
static void
ev_send(Loop *L, Worker *w, int64_t now)
{
	struct Call *c = w->call;
	int64_t t = ev_intended(w, w->k_next);
	Stats *st;
	int r;

	if (now >= phase.to_ns)
	{
		/* behind at the close: charge what could not be sent (a lower bound) */
		for (; t < phase.to_ns; t = ev_intended(w, ++w->k_next))
			if (t >= phase.from_ns)
			{
				st = ev_stats(L, w, t);
				h_add(&st->hist, now - t);
				st->unsent++;
			}
		return;
	}
	w->k_next++;
	w->intended = t;
	build_call(w, phase.kind, c, ack_log != NULL);
	st = ev_stats(L, w, t);
	if (t >= phase.from_ns)
		st->sent[c->kind]++;
	if (!PQsendQueryParams(w->conn, c->sql, c->nparams, NULL, c->values, NULL, NULL, 0))
	{
		ev_break(L, w, "could not send");
		return;
	}
	w->busy = true;
	L->outstanding++;
	if (w->flood)
		L->flood_sent++;
	r = PQflush(w->conn);
	if (r < 0)
		ev_break(L, w, "could not send");
	else
		ev_interest(L, w, r == 1);
}

/* The reply to the call in flight is complete. */
static void
ev_done(Loop *L, Worker *w)
{
	struct Call *c = w->call;
	int64_t done = now_ns(), next;
	bool measured = w->intended >= phase.from_ns;
	Stats *st = ev_stats(L, w, w->intended);

	if (w->res == NULL)
		count_code(st->codes, &st->ncodes, "(no result)", "");
	else
		take_result(w, phase.kind, c, w->res, st, measured);
	if (w->flood)
		L->flood_answered++;
	PQclear(w->res);
	w->res = NULL;
	if (measured)
	{
		h_add(&st->hist, done - w->intended);
		st->replies++;
	}
	if (done >= phase.from_ns && done < phase.to_ns)
		ev_stats(L, w, done)->done_in_window++;
	w->busy = false;
	L->outstanding--;
	if (w->broken)
		return;
	next = ev_intended(w, w->k_next);
	if (next >= phase.to_ns)
		return; /* nothing more in this phase */
	if (next <= done)
		ev_send(L, w, done);
	else
		heap_push(L, w, next);
}

static void
ev_readable(Loop *L, Worker *w)
{
	if (!PQconsumeInput(w->conn))
	{
		ev_break(L, w, "broke");
		return;
	}
	while (w->busy && !PQisBusy(w->conn))
	{
		PGresult *res = PQgetResult(w->conn);

		if (res == NULL)
		{
			ev_done(L, w);
			break;
		}
		if (w->res == NULL)
			w->res = res;
		else
			PQclear(res);
	}
	if (!w->busy)
	{
		/* notices or a server's goodbye between calls */
		if (PQstatus(w->conn) == CONNECTION_BAD)
			ev_break(L, w, "broke");
	}
}

static void
ev_phase(Loop *L)
{
	struct epoll_event evs[256];
	int64_t deadline = phase.to_ns + (int64_t)(opt.drain * 1e9);

	memset(L->st, 0, sizeof(Stats) * (size_t)phase.slices);
	memset(L->fst, 0, sizeof(Stats) * (size_t)phase.slices);
	L->nheap = 0;
	for (int i = 0; i < L->ncl; i++)
	{
		Worker *w = L->cl[i];

		w->k_next = 0;
		w->heap_pos = -1;
		if (!w->broken && (!w->flood || phase.flood_on))
			heap_push(L, w, ev_intended(w, 0));
	}
	for (;;)
	{
		int64_t now = now_ns(), wait_ns;
		struct timespec ts;
		int n;

		while (L->nheap > 0 && L->heap[0]->intended <= now)
		{
			Worker *w = heap_pop(L);

			ev_send(L, w, now);
		}
		if (L->nheap == 0 && L->outstanding == 0)
			break;
		if (now >= deadline)
		{
			/* unanswered long after the close: lost */
			for (int i = 0; i < L->ncl; i++)
				if (L->cl[i]->busy)
					ev_break(L, L->cl[i], "got no answer");
			break;
		}
		wait_ns = (L->nheap > 0 ? L->heap[0]->intended : deadline) - now;
		if (wait_ns > 100000000)
			wait_ns = 100000000;
		ts.tv_sec = wait_ns / 1000000000;
		ts.tv_nsec = wait_ns % 1000000000;
		n = epoll_pwait2(L->epfd, evs, 256, &ts, NULL);
		for (int i = 0; i < n; i++)
		{
			Worker *w = evs[i].data.ptr;

			if (w->broken)
				continue;
			if (evs[i].events & EPOLLOUT)
			{
				int r = PQflush(w->conn);

				if (r < 0)
				{
					ev_break(L, w, "could not send");
					continue;
				}
				ev_interest(L, w, r == 1);
			}
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				ev_readable(L, w);
		}
	}
}

static void *
loop_main(void *arg)
{
	Loop *L = arg;

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	for (;;)
	{
		pthread_barrier_wait(&phase_begin);
		if (phase.kind == PH_STOP)
			return NULL;
		ev_phase(L);
		pthread_barrier_wait(&phase_end);
	}
}

/* merges slice k of every loop: the traders', or the flood's */
static void
ev_merge(Stats *into, int k, bool flood)
{
	for (int l = 0; l < nloops; l++)
		merge_stats(into, flood ? &loops[l].fst[k] : &loops[l].st[k]);
}

/* Opens every connection, at most 256 being set up at a time. */
static bool
ev_connect_all(void)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC), next = 0, in_flight = 0, ready = 0;
	int64_t started = now_ns(), last_progress = started;
	struct epoll_event evs[256];

	while (ready < nclients)
	{
		int n;

		while (in_flight < 256 && next < nclients)
		{
			Worker *w = &clients[next++];
			const char *keys[] = {"user", "application_name", NULL};
			const char *vals[] = {w->role, "order_load", NULL};
			struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = w};

			w->conn = PQconnectStartParams(keys, vals, 0);
			if (w->conn == NULL || PQstatus(w->conn) == CONNECTION_BAD)
			{
				fprintf(stderr, "order_load: connect as %s: %s", w->role,
				        w->conn ? PQerrorMessage(w->conn) : "out of memory\n");
				return false;
			}
			w->fd = PQsocket(w->conn);
			epoll_ctl(epfd, EPOLL_CTL_ADD, w->fd, &ev);
			in_flight++;
		}
		n = epoll_wait(epfd, evs, 256, 1000);
		if (n > 0)
			last_progress = now_ns();
		else if (now_ns() - last_progress > INT64_C(60000000000))
		{
			fprintf(stderr,
			        "order_load: %d of %d connections ready, no progress for 60 s\n",
			        ready, nclients);
			return false;
		}
		for (int i = 0; i < n; i++)
		{
			Worker *w = evs[i].data.ptr;
			PostgresPollingStatusType st = PQconnectPoll(w->conn);
			struct epoll_event ev = {.data.ptr = w};
			int fd = PQsocket(w->conn);

			if (fd != w->fd)
			{
				epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
				w->fd = fd;
				ev.events = st == PGRES_POLLING_READING ? EPOLLIN : EPOLLOUT;
				if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING)
					epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
			}
			else if (st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING)
			{
				ev.events = st == PGRES_POLLING_READING ? EPOLLIN : EPOLLOUT;
				epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
			}
			if (st == PGRES_POLLING_OK)
			{
				epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
				in_flight--;
				ready++;
			}
			else if (st == PGRES_POLLING_FAILED)
			{
				fprintf(stderr, "order_load: connect as %s (connection %d of %d): %s",
				        w->role, w->index, nclients, PQerrorMessage(w->conn));
				return false;
			}
		}
	}
	close(epfd);
	printf("# %d connections open in %.1f s\n", nclients,
	       (double)(now_ns() - started) / 1e9);
	return true;
}

/* Enough file descriptors for every connection (root may raise the hard limit). */
static bool
ev_raise_nofile(int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return false;
	if (rl.rlim_max < (rlim_t)need)
		rl.rlim_max = (rlim_t)need;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
	{
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)need)
	{
		fprintf(
		    stderr,
		    "order_load: %d connections need %d file descriptors, the limit is %llu\n",
		    nclients, need, (unsigned long long)rl.rlim_cur);
		return false;
	}
	return true;
}

/* Sets the connections up and the loops; false when setup failed. */
static bool
ev_setup(void)
{
	nclients = opt.connections + opt.flood_connections;
	if (!ev_raise_nofile(nclients + 256))
		return false;
	clients = calloc((size_t)nclients, sizeof(Worker));
	for (int i = 0; i < nclients; i++)
	{
		Worker *w = &clients[i];

		w->index = i;
		w->flood = i >= opt.connections;
		w->role = w->flood ? opt.flood_broker : opt.brokers[i % opt.nbrokers];
		if (w->flood)
			snprintf(w->account, sizeof(w->account), "%s", opt.flood_account);
		else
			snprintf(w->account, sizeof(w->account), "%s%03d", opt.account_prefix,
			         i % opt.accounts);
		w->rng = opt.seed * 1000003 + (uint64_t)i * 7919 + 1;
		w->resting_cap = EVENT_RESTING_CAP;
		w->resting = calloc(EVENT_RESTING_CAP, sizeof(Resting));
		w->call = calloc(1, sizeof(struct Call));
		w->heap_pos = -1;
	}
	if (!ev_connect_all())
		return false;
	/* the real backend behind the pooler, for the CPU breakdown's postmaster */
	{
		PGresult *res = PQexec(clients[0].conn, "SELECT pg_backend_pid()");

		clients[0].backend_pid =
		    PQresultStatus(res) == PGRES_TUPLES_OK ? atoi(PQgetvalue(res, 0, 0)) : 0;
		PQclear(res);
	}
	nloops = opt.threads;
	loops = calloc((size_t)nloops, sizeof(Loop));
	for (int l = 0; l < nloops; l++)
	{
		loops[l].id = l;
		loops[l].epfd = epoll_create1(EPOLL_CLOEXEC);
		loops[l].cl = calloc((size_t)nclients / (size_t)nloops + 1, sizeof(Worker *));
		loops[l].heap = calloc((size_t)nclients / (size_t)nloops + 1, sizeof(Worker *));
		loops[l].st = calloc(MAX_SLICES, sizeof(Stats));
		loops[l].fst = calloc(MAX_SLICES, sizeof(Stats));
	}
	for (int i = 0; i < nclients; i++)
	{
		Worker *w = &clients[i];
		Loop *L = &loops[i % nloops];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};

		PQsetnonblocking(w->conn, 1);
		w->fd = PQsocket(w->conn);
		w->loop = L;
		L->cl[L->ncl++] = w;
		if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, w->fd, &ev) != 0)
		{
			perror("order_load: epoll_ctl");
			return false;
		}
	}
	pthread_barrier_init(&phase_begin, NULL, (unsigned)nloops + 1);
	pthread_barrier_init(&phase_end, NULL, (unsigned)nloops + 1);
	for (int l = 0; l < nloops; l++)
		if (pthread_create(&loops[l].thread, NULL, loop_main, &loops[l]) != 0)
		{
			fprintf(stderr, "order_load: cannot start thread %d\n", l);
			return false;
		}
	return true;
}

static uint64_t
ev_lost(void)
{
	uint64_t n = 0;

	for (int l = 0; l < nloops; l++)
		n += loops[l].lost;
	return n;
}

static int
ev_broken(void)
{
	int n = 0;

	for (int i = 0; i < nclients; i++)
		n += clients[i].broken;
	return n;
}

/* ---- phases ----------------------------------------------------------------- */

typedef struct Result
{
	double offered, achieved;
	double cpu_us; /* the benchmark's CPU per reply */
	int64_t p50, p99, p999, max;
	Stats st; /* the whole window */
	int slices;
	double slice_achieved[MAX_SLICES];
	int64_t slice_p99[MAX_SLICES];
	double med_achieved; /* medians over the slices */
	int64_t med_p99;
} Result;

static Stats flood_window; /* --event-loop: the flood's figures of the last window */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const double *v, int n)
{
	double s[MAX_SLICES];

	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static Result *
run(enum phase_kind kind, double rate, double warmup, double duration, int slices,
    const char *label)
{
	static Result r;
	static Stats slice;
	double p99s[MAX_SLICES];
	CpuSample a = {0}, b = {0};
	off_t log_from, log_to;
	double secs = duration;

	phase.kind = kind;
	phase.rate = rate;
	phase.start_ns = now_ns() + 50000000; /* every thread is waiting by then */
	phase.from_ns = phase.start_ns + (int64_t)(warmup * 1e9);
	phase.slices = slices;
	phase.slice_ns = (int64_t)(duration * 1e9) / slices;
	phase.to_ns = phase.from_ns + phase.slice_ns * slices;
	pthread_barrier_wait(&phase_begin);

	sleep_until(phase.from_ns);
	log_from = log_size();
	if (opt.cpu)
		cpu_sample(&a);
	sleep_until(phase.to_ns);
	log_to = log_size();
	if (opt.cpu)
	{
		cpu_sample(&b);
		secs = (double)(b.at_ns - a.at_ns) / 1e9;
	}
	pthread_barrier_wait(&phase_end);

	memset(&r, 0, sizeof(r));
	r.slices = slices;
	for (int k = 0; k < slices; k++)
	{
		memset(&slice, 0, sizeof(slice));
		if (opt.event_loop)
			ev_merge(&slice, k, false);
		else
			for (int i = 0; i < opt.connections; i++)
				merge_stats(&slice, &workers[i].st[k]);
		merge_stats(&r.st, &slice);
		r.slice_achieved[k] = (double)slice.done_in_window / (duration / slices);
		r.slice_p99[k] = h_quantile(&slice.hist, 0.99);
		p99s[k] = (double)r.slice_p99[k];
	}
	if (opt.event_loop)
	{
		memset(&flood_window, 0, sizeof(flood_window));
		for (int k = 0; k < slices; k++)
			ev_merge(&flood_window, k, true);
	}
	r.med_achieved = median(r.slice_achieved, slices);
	r.med_p99 = (int64_t)median(p99s, slices);
	r.offered = rate;
	r.achieved = (double)r.st.done_in_window / duration;
	r.p50 = h_quantile(&r.st.hist, 0.50);
	r.p99 = h_quantile(&r.st.hist, 0.99);
	r.p999 = h_quantile(&r.st.hist, 0.999);
	r.max = r.st.hist.max;

	printf("# %s at %.0f calls/s offered: %.0f replies/s, latency p50 %.3f ms, p99 %.3f "
	       "ms, p99.9 %.3f ms, max %.3f ms; %" PRIu64 " calls measured, %" PRIu64
	       " unsent at the close, %" PRIu64 " errors\n",
	       label, rate, r.achieved, r.p50 / 1e6, r.p99 / 1e6, r.p999 / 1e6, r.max / 1e6,
	       r.st.replies + r.st.unsent, r.st.unsent, r.st.errors);
	if (slices > 1)
	{
		char line[512];
		size_t n =
		    (size_t)snprintf(line, sizeof(line), "# %s in %d slices of %.1f s:", label,
		                     slices, duration / slices);

		for (int k = 0; k < slices; k++)
			n +=
			    (size_t)snprintf(line + n, sizeof(line) - n, "%s %.0f/s p99 %.3f ms",
			                     k ? "," : "", r.slice_achieved[k], r.slice_p99[k] / 1e6);
		snprintf(line + n, sizeof(line) - n, "; medians %.0f/s, p99 %.3f ms",
		         r.med_achieved, r.med_p99 / 1e6);
		puts(line);
	}
	if (opt.cpu)
		r.cpu_us = cpu_report(label, &a, &b, r.st.done_in_window);
	if (kind == PH_ORDERS)
		batch_report(label, log_from, log_to, secs);
	for (int i = 0; i < r.st.ncodes; i++)
	{
		char msg[200];
		size_t n;

		snprintf(msg, sizeof(msg), "%s", r.st.codes[i].example);
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = 0;
		printf("#   error %s x %" PRIu64 ", e.g. %s\n", r.st.codes[i].code,
		       r.st.codes[i].n, msg);
	}
	if (opt.event_loop && phase.flood_on)
	{
		printf("# %s: the flood sent %" PRIu64 " calls in the window (%.0f/s), %" PRIu64
		       " answered with a row, %" PRIu64
		       " errors, latency p50 %.3f ms, p99 %.3f ms\n",
		       label, flood_window.replies + flood_window.unsent,
		       (double)(flood_window.replies + flood_window.unsent) / duration,
		       flood_window.replies - flood_window.errors, flood_window.errors,
		       h_quantile(&flood_window.hist, 0.5) / 1e6,
		       h_quantile(&flood_window.hist, 0.99) / 1e6);
		for (int i = 0; i < flood_window.ncodes; i++)
			printf("#   flood error %s x %" PRIu64 "\n", flood_window.codes[i].code,
			       flood_window.codes[i].n);
	}
	free(a.tasks);
	free(b.tasks);
	fflush(stdout);
	return &r;
}

static void
print_mix(const Stats *st)
{
	uint64_t total = 0;
	char line[512];
	size_t n;

	for (int k = 0; k < K__COUNT; k++)
		total += st->sent[k];
	if (total == 0)
		return;
	n = (size_t)snprintf(line, sizeof(line), "# mix sent:");
	for (int k = 0; k < K__COUNT; k++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s %.1f%%", k ? "," : "",
		                      kind_names[k], 100.0 * (double)st->sent[k] / (double)total);
	n += (size_t)snprintf(
	    line + n, sizeof(line) - n,
	    "; %.1f%% of new orders traded on arrival; of all calls %.1f%% "
	    "rejected rows, %.1f%% errors",
	    100.0 * (double)st->traded /
	        (double)(st->sent[K_LIMIT] + st->sent[K_CROSS] + st->sent[K_MARKET]),
	    100.0 * (double)st->rejected / (double)total,
	    100.0 * (double)st->errors / (double)total);
	puts(line);
	n = (size_t)snprintf(line, sizeof(line), "# errors by kind of call:");
	for (int k = 0; k < K__COUNT; k++)
		n += (size_t)snprintf(
		    line + n, sizeof(line) - n, "%s %s %.1f%%", k ? "," : "", kind_names[k],
		    st->sent[k] ? 100.0 * (double)st->failed[k] / (double)st->sent[k] : 0.0);
	puts(line);
	for (int i = 0; i < st->nreasons; i++)
		printf("#   rejected \"%s\" x %" PRIu64 "\n", st->reasons[i].code,
		       st->reasons[i].n);
}

static void
print_latency(const char *name, const Result *r)
{
	printf("BENCH %s_p50_ms %.3f ms\n", name, r->p50 / 1e6);
	printf("BENCH %s_p99_ms %.3f ms\n", name, r->p99 / 1e6);
	printf("BENCH %s_p999_ms %.3f ms\n", name, r->p999 / 1e6);
	printf("BENCH %s_max_ms %.3f ms\n", name, r->max / 1e6);
}

/* ---- main ------------------------------------------------------------------- */

static int
split_list(char *s, const char **out, int max)
{
	int n = 0;

	for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
		out[n++] = tok;
	return n;
}

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: order_load [options]\n"
	    "Open-loop order-entry load through libpq (PG* variables; user = broker "
	    "role).\n\n"
	    "  --connections N        connections, one thread each (default 32)\n"
	    "  --rate R               offered calls/s, all connections (default 43000)\n"
	    "  --duration S           measured seconds per run (default 10)\n"
	    "  --warmup S             unmeasured seconds before each run (default 2)\n"
	    "  --symbols A,B,...      listed symbols to trade (tick 0.01 near 100.00)\n"
	    "  --brokers R1,R2,...    broker login roles; connection i logs in as R[i %% n]\n"
	    "  --account-prefix P     connection i trades account P%%03d (default bench-)\n"
	    "  --cross-pct N          %% of limit orders priced through the mid (default "
	    "20)\n"
	    "  --steps R1,R2,...      step mode: the order functions at each rate\n"
	    "  --step-duration S      measured seconds per step (default 3)\n"
	    "  --step-warmup S        unmeasured seconds per step (default 1)\n"
	    "  --step-slices N        cut each step's window into N slices; the medians of\n"
	    "                         their p99 and throughput decide (default 1, max 9)\n"
	    "  --stop-after K         stop after K steps in a row with p99 > 10 ms (default "
	    "2)\n"
	    "  --no-trivial           skip the trivial-function baseline\n"
	    "  --trivial-only         only the baseline (no exchange functions needed)\n"
	    "  --matchd-pid PID       matchd, for the CPU breakdown (else found by name)\n"
	    "  --matchd-log PATH      matchd's log at --log-level debug: group commits\n"
	    "  --no-cpu               no CPU breakdown from /proc\n"
	    "  --seed N               workload seed (default 42)\n"
	    "  --accounts N           connection i trades account P%%03d of i %% N "
	    "(default:\n"
	    "                         one per connection; N a multiple of the brokers)\n"
	    "\nMany connections (--event-loop):\n"
	    "  --event-loop           non-blocking connections on epoll (up to %d), unnamed\n"
	    "                         statements (safe behind a transaction pooler); new\n"
	    "                         orders carry a client order id\n"
	    "  --threads T            event-loop threads (default 2)\n"
	    "  --ack-log FILE         write every acknowledged new order: ACK id account "
	    "role\n"
	    "                         client_order_id status (tab-separated)\n"
	    "  --drain S              a call unanswered S s after the window closed is lost\n"
	    "                         (default 30)\n"
	    "  --flood-connections M  M more connections flooding one account: the run is\n"
	    "                         --flood-rounds pairs of windows, flood off then on\n"
	    "  --flood-account A, --flood-broker R   the flooding account and its role\n"
	    "  --flood-rate F         the flood's calls/s, all its connections together\n"
	    "  --flood-rounds K       pairs of windows (default 3)\n",
	    MAX_EVENT_CLIENTS);
}

/*
 * --event-loop: the order functions at --rate (and the trivial baseline unless
 * --no-trivial) or, with a flood, --flood-rounds pairs of windows, the flood off
 * then on (no step mode).  Exit status 1 if a connection broke or a call
 * was lost.
 */
static int
event_main(void)
{
	Result order = {0}, trivial = {0};
	int broken;
	uint64_t lost, flood_sent = 0, flood_answered = 0;

	if (opt.cpu)
	{
		char path[64], comm[64];
		uint64_t ticks;

		snprintf(path, sizeof(path), "/proc/%d/stat", clients[0].backend_pid);
		if (clients[0].backend_pid <= 0 ||
		    !read_stat(path, comm, sizeof(comm), &ticks, &postmaster_pid))
			opt.cpu = false;
	}
	origin_ns = now_ns();
	printf(
	    "# order_load --event-loop: %d connections as %d broker role(s) on %d threads, "
	    "accounts %s000..%s%03d, %d symbols; warm-up %.0f s, measured %.0f s per run\n",
	    opt.connections, opt.nbrokers, opt.threads, opt.account_prefix,
	    opt.account_prefix, opt.accounts - 1, opt.nsymbols, opt.warmup, opt.duration);
	if (opt.flood_connections > 0)
	{
		double base_p99[64], flood_p99[64];
		Stats base_all, flood_all, flood_total;
		Result *r;

		memset(&base_all, 0, sizeof(base_all));
		memset(&flood_all, 0, sizeof(flood_all));
		memset(&flood_total, 0, sizeof(flood_total));
		printf("# flood: %d connections as %s on account %s at %.0f calls/s\n",
		       opt.flood_connections, opt.flood_broker, opt.flood_account,
		       opt.flood_rate);
		for (int k = 0; k < opt.flood_rounds; k++)
		{
			char label[64];

			snprintf(label, sizeof(label), "round %d without the flood", k + 1);
			phase.flood_on = false;
			r = run(PH_ORDERS, opt.rate, opt.warmup, opt.duration, opt.step_slices,
			        label);
			base_p99[k] = (double)r->p99;
			merge_stats(&base_all, &r->st);
			snprintf(label, sizeof(label), "round %d with the flood", k + 1);
			phase.flood_on = true;
			r = run(PH_ORDERS, opt.rate, opt.warmup, opt.duration, opt.step_slices,
			        label);
			flood_p99[k] = (double)r->p99;
			merge_stats(&flood_all, &r->st);
			merge_stats(&flood_total, &flood_window);
		}
		print_mix(&base_all);
		{
			double mb = median(base_p99, opt.flood_rounds),
			       mf = median(flood_p99, opt.flood_rounds);
			int64_t pb = h_quantile(&base_all.hist, 0.99),
			        pf = h_quantile(&flood_all.hist, 0.99);
			uint64_t px076 = 0;

			for (int i = 0; i < flood_total.ncodes; i++)
				if (strcmp(flood_total.codes[i].code, "PX076") == 0)
					px076 = flood_total.codes[i].n;
			printf("BENCH ddos_offered_rate %.0f orders/s\n", opt.rate);
			printf("BENCH ddos_flood_offered_rate %.0f calls/s\n", opt.flood_rate);
			printf("BENCH ddos_baseline_p50_ms %.3f ms\n",
			       h_quantile(&base_all.hist, 0.5) / 1e6);
			printf("BENCH ddos_flood_p50_ms %.3f ms\n",
			       h_quantile(&flood_all.hist, 0.5) / 1e6);
			printf("BENCH ddos_baseline_p99_ms %.3f ms\n", mb / 1e6);
			printf("BENCH ddos_flood_p99_ms %.3f ms\n", mf / 1e6);
			printf("BENCH ddos_p99_ratio %.3f x\n", mb > 0 ? mf / mb : 0.0);
			printf("BENCH ddos_pooled_baseline_p99_ms %.3f ms\n", pb / 1e6);
			printf("BENCH ddos_pooled_flood_p99_ms %.3f ms\n", pf / 1e6);
			printf("BENCH ddos_pooled_p99_ratio %.3f x\n",
			       pb > 0 ? (double)pf / (double)pb : 0.0);
			printf("BENCH ddos_baseline_errors %" PRIu64 " calls\n", base_all.errors);
			printf("BENCH ddos_flood_phase_errors %" PRIu64 " calls\n", flood_all.errors);
			printf("BENCH ddos_flood_calls_measured %" PRIu64 " calls\n",
			       flood_total.replies + flood_total.unsent);
			printf("BENCH ddos_flood_refused_px076 %" PRIu64 " calls\n", px076);
			printf("BENCH ddos_flood_answered_with_row %" PRIu64 " calls\n",
			       flood_total.replies - flood_total.errors);
		}
	}
	else
	{
		phase.flood_on = false;
		order = *run(PH_ORDERS, opt.rate, opt.warmup, opt.duration, opt.step_slices,
		             "order entry");
		print_mix(&order.st);
		if (!opt.no_trivial)
			trivial = *run(PH_TRIVIAL, opt.rate, opt.warmup, opt.duration,
			               opt.step_slices, "trivial SQL");
		printf("BENCH order_entry_offered_rate %.0f orders/s\n", order.offered);
		printf("BENCH order_entry_throughput %.0f orders/s\n", order.achieved);
		print_latency("order_entry", &order);
		printf("BENCH order_entry_calls %" PRIu64 " calls\n",
		       order.st.replies + order.st.unsent);
		printf("BENCH order_entry_unsent %" PRIu64 " calls\n", order.st.unsent);
		printf("BENCH order_entry_errors %" PRIu64 " calls\n", order.st.errors);
		if (order.cpu_us > 0)
			printf("BENCH order_entry_cpu_per_order %.1f us\n", order.cpu_us);
		for (int i = 0; i < order.st.ncodes; i++)
			printf("BENCH order_entry_errors_%s %" PRIu64 " calls\n",
			       order.st.codes[i].code, order.st.codes[i].n);
		if (!opt.no_trivial)
		{
			printf("BENCH trivial_sql_throughput %.0f calls/s\n", trivial.achieved);
			print_latency("trivial_sql", &trivial);
			if (trivial.achieved > 0)
				printf("BENCH order_entry_vs_trivial_ratio %.2f x\n",
				       order.achieved / trivial.achieved);
		}
	}
	fflush(stdout);

	phase.kind = PH_STOP;
	pthread_barrier_wait(&phase_begin);
	for (int l = 0; l < nloops; l++)
	{
		pthread_join(loops[l].thread, NULL);
		flood_sent += loops[l].flood_sent;
		flood_answered += loops[l].flood_answered;
	}
	lost = ev_lost();
	broken = ev_broken();
	if (opt.flood_connections > 0)
	{
		printf("BENCH ddos_flood_calls_sent_total %" PRIu64 " calls\n", flood_sent);
		printf("BENCH ddos_flood_calls_answered_total %" PRIu64 " calls\n",
		       flood_answered);
	}
	printf("BENCH %s_lost %" PRIu64 " calls\n",
	       opt.flood_connections > 0 ? "ddos" : "order_entry", lost);
	printf("BENCH %s_connections_broken %d count\n",
	       opt.flood_connections > 0 ? "ddos" : "order_entry", broken);
	for (int i = 0; i < nclients; i++)
	{
		PQfinish(clients[i].conn);
		free(clients[i].resting);
		free(clients[i].call);
	}
	if (ack_log)
		fclose(ack_log);
	if (lost || broken)
		fprintf(stderr, "order_load: %" PRIu64 " calls lost, %d connections broke\n",
		        lost, broken);
	return lost || broken ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"connections", required_argument, NULL, 'c'},
	    {"rate", required_argument, NULL, 'r'},
	    {"duration", required_argument, NULL, 'd'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"symbols", required_argument, NULL, 's'},
	    {"brokers", required_argument, NULL, 'b'},
	    {"account-prefix", required_argument, NULL, 'a'},
	    {"cross-pct", required_argument, NULL, 'x'},
	    {"steps", required_argument, NULL, 'S'},
	    {"step-duration", required_argument, NULL, 'D'},
	    {"step-warmup", required_argument, NULL, 'W'},
	    {"step-slices", required_argument, NULL, 'L'},
	    {"stop-after", required_argument, NULL, 'K'},
	    {"no-trivial", no_argument, NULL, 'N'},
	    {"trivial-only", no_argument, NULL, 'T'},
	    {"matchd-pid", required_argument, NULL, 'p'},
	    {"matchd-log", required_argument, NULL, 'l'},
	    {"no-cpu", no_argument, NULL, 'C'},
	    {"seed", required_argument, NULL, 'z'},
	    {"accounts", required_argument, NULL, 'A'},
	    {"event-loop", no_argument, NULL, 'E'},
	    {"threads", required_argument, NULL, 't'},
	    {"ack-log", required_argument, NULL, 'k'},
	    {"drain", required_argument, NULL, 'j'},
	    {"flood-connections", required_argument, NULL, 'F'},
	    {"flood-account", required_argument, NULL, 'f'},
	    {"flood-broker", required_argument, NULL, 'B'},
	    {"flood-rate", required_argument, NULL, 'R'},
	    {"flood-rounds", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	char *step_list = NULL;
	const char *step_strs[MAX_STEPS];
	Result order = {0}, trivial = {0};
	bool failed = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
	{
		switch (ch)
		{
			case 'c':
				opt.connections = atoi(optarg);
				break;
			case 'r':
				opt.rate = atof(optarg);
				break;
			case 'd':
				opt.duration = atof(optarg);
				break;
			case 'w':
				opt.warmup = atof(optarg);
				break;
			case 's':
				opt.nsymbols = split_list(optarg, opt.symbols, MAX_SYMBOLS);
				break;
			case 'b':
				opt.nbrokers = split_list(optarg, opt.brokers, MAX_BROKERS);
				break;
			case 'a':
				opt.account_prefix = optarg;
				break;
			case 'x':
				opt.cross_pct = atoi(optarg);
				break;
			case 'S':
				step_list = optarg;
				break;
			case 'D':
				opt.step_duration = atof(optarg);
				break;
			case 'W':
				opt.step_warmup = atof(optarg);
				break;
			case 'L':
				opt.step_slices = atoi(optarg);
				break;
			case 'K':
				opt.stop_after = atoi(optarg);
				break;
			case 'N':
				opt.no_trivial = true;
				break;
			case 'T':
				opt.trivial_only = true;
				break;
			case 'p':
				opt.matchd_pid = atoi(optarg);
				break;
			case 'l':
				opt.matchd_log = optarg;
				break;
			case 'C':
				opt.cpu = false;
				break;
			case 'z':
				opt.seed = strtoull(optarg, NULL, 10);
				break;
			case 'A':
				opt.accounts = atoi(optarg);
				break;
			case 'E':
				opt.event_loop = true;
				break;
			case 't':
				opt.threads = atoi(optarg);
				break;
			case 'k':
				opt.ack_log = optarg;
				break;
			case 'j':
				opt.drain = atof(optarg);
				break;
			case 'F':
				opt.flood_connections = atoi(optarg);
				break;
			case 'f':
				opt.flood_account = optarg;
				break;
			case 'B':
				opt.flood_broker = optarg;
				break;
			case 'R':
				opt.flood_rate = atof(optarg);
				break;
			case 'O':
				opt.flood_rounds = atoi(optarg);
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return 2;
		}
	}
	if (step_list)
	{
		opt.nsteps = split_list(step_list, step_strs, MAX_STEPS);
		for (int i = 0; i < opt.nsteps; i++)
			opt.steps[i] = atof(step_strs[i]);
	}
	if (opt.accounts == 0)
		opt.accounts = opt.connections;
	if (!opt.event_loop && (opt.ack_log || opt.flood_connections))
	{
		fprintf(stderr, "order_load: --ack-log and --flood-* need --event-loop\n");
		return 2;
	}
	if (opt.event_loop &&
	    (opt.connections + opt.flood_connections > MAX_EVENT_CLIENTS || opt.threads < 1 ||
	     opt.threads > 64 || opt.accounts < 1 || opt.accounts % opt.nbrokers != 0 ||
	     opt.trivial_only || opt.drain <= 0 ||
	     (opt.flood_connections > 0 &&
	      (!opt.flood_account || !opt.flood_broker || opt.flood_rate <= 0 ||
	       opt.flood_rounds < 1 || opt.flood_rounds > 64))))
	{
		fprintf(stderr,
		        "order_load: --event-loop takes up to %d connections, 1..64 threads, "
		        "--accounts a multiple of the brokers, and with --flood-connections "
		        "--flood-account, --flood-broker, --flood-rate and 1..64 rounds "
		        "(no --trivial-only)\n",
		        MAX_EVENT_CLIENTS);
		return 2;
	}
	if (opt.connections < 1 ||
	    opt.connections > (opt.event_loop ? MAX_EVENT_CLIENTS : MAX_CONNECTIONS) ||
	    opt.rate <= 0 || opt.duration <= 0 || opt.warmup < 0 || opt.nsymbols == 0 ||
	    opt.nbrokers == 0 || opt.step_slices < 1 || opt.step_slices > MAX_SLICES ||
	    (opt.trivial_only && opt.no_trivial))
	{
		fprintf(stderr,
		        "order_load: need --symbols and --brokers, 1..%d connections, a "
		        "positive rate and duration\n",
		        MAX_CONNECTIONS);
		usage(stderr);
		return 2;
	}

	if (opt.ack_log && !(ack_log = fopen(opt.ack_log, "w")))
	{
		perror(opt.ack_log);
		return 1;
	}
	if (opt.event_loop)
	{
		/* line by line: a drill watches the output while the load runs */
		setvbuf(stdout, NULL, _IOLBF, 0);
		if (!ev_setup())
			return 1;
		return event_main();
	}
	workers = calloc((size_t)opt.connections, sizeof(Worker));
	for (int i = 0; i < opt.connections; i++)
	{
		workers[i].index = i;
		if (!connect_worker(&workers[i]))
			return 1;
	}
	pthread_barrier_init(&phase_begin, NULL, (unsigned)opt.connections + 1);
	pthread_barrier_init(&phase_end, NULL, (unsigned)opt.connections + 1);
	for (int i = 0; i < opt.connections; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
		{
			fprintf(stderr, "order_load: cannot start thread %d\n", i);
			return 1;
		}
	if (opt.cpu)
	{
		char path[64], comm[64];
		uint64_t ticks;

		snprintf(path, sizeof(path), "/proc/%d/stat", workers[0].backend_pid);
		if (!read_stat(path, comm, sizeof(comm), &ticks, &postmaster_pid))
			opt.cpu = false; /* the server is not on this machine */
	}
	origin_ns = now_ns();
	printf("# order_load: %d connections as %d broker role(s), accounts %s000..%s%03d, "
	       "%d symbols; warm-up %.0f s, measured %.0f s per run\n",
	       opt.connections, opt.nbrokers, opt.account_prefix, opt.account_prefix,
	       opt.connections - 1, opt.nsymbols, opt.warmup, opt.duration);

	if (!opt.trivial_only)
	{
		order = *run(PH_ORDERS, opt.rate, opt.warmup, opt.duration, 1, "order entry");
		print_mix(&order.st);
	}
	if (!opt.no_trivial)
		trivial = *run(PH_TRIVIAL, opt.rate, opt.warmup, opt.duration, 1, "trivial SQL");

	if (!opt.trivial_only)
	{
		printf("BENCH order_entry_offered_rate %.0f orders/s\n", order.offered);
		printf("BENCH order_entry_throughput %.0f orders/s\n", order.achieved);
		print_latency("order_entry", &order);
		printf("BENCH order_entry_errors %" PRIu64 " calls\n", order.st.errors);
		if (order.cpu_us > 0)
			printf("BENCH order_entry_cpu_per_order %.1f us\n", order.cpu_us);
		for (int i = 0; i < order.st.ncodes; i++)
			printf("BENCH order_entry_errors_%s %" PRIu64 " calls\n",
			       order.st.codes[i].code, order.st.codes[i].n);
	}
	if (!opt.no_trivial)
	{
		printf("BENCH trivial_sql_throughput %.0f calls/s\n", trivial.achieved);
		print_latency("trivial_sql", &trivial);
		if (trivial.cpu_us > 0)
			printf("BENCH trivial_sql_cpu_per_call %.1f us\n", trivial.cpu_us);
		if (trivial.st.errors)
			printf("BENCH trivial_sql_errors %" PRIu64 " calls\n", trivial.st.errors);
	}
	if (!opt.trivial_only && !opt.no_trivial && trivial.achieved > 0)
		printf("BENCH order_entry_vs_trivial_ratio %.2f x\n",
		       order.achieved / trivial.achieved);
	fflush(stdout);

	if (opt.nsteps > 0 && !opt.trivial_only)
	{
		double breach_at = 0, sustained = 0, goal_rate = 0;
		int in_a_row = 0;

		for (int i = 0; i < opt.nsteps && in_a_row < opt.stop_after; i++)
		{
			char label[64];
			Result *r;
			bool kept_up;

			snprintf(label, sizeof(label), "step %.0f", opt.steps[i]);
			r = run(PH_ORDERS, opt.steps[i], opt.step_warmup, opt.step_duration,
			        opt.step_slices, label);
			/* with slices, their medians decide: one stall does not */
			kept_up = r->med_achieved >= SUSTAINED_FRACTION * r->offered;
			if (r->med_p99 <= P99_LIMIT_NS && kept_up && r->med_achieved > sustained)
				sustained = r->med_achieved;
			if (r->med_p99 <= P99_GOAL_NS && kept_up && r->offered > goal_rate)
				goal_rate = r->offered;
			if (r->med_p99 > P99_LIMIT_NS)
			{
				if (in_a_row++ == 0)
					breach_at = r->offered;
			}
			else
				in_a_row = 0;
		}
		if (in_a_row > 0)
			printf("BENCH order_entry_p99_over_10ms_at %.0f orders/s\n", breach_at);
		else
			printf("# p99 was within 10 ms at the last step, %.0f orders/s\n"
			       "BENCH order_entry_p99_over_10ms_at none orders/s\n",
			       opt.steps[opt.nsteps - 1]);
		/* highest throughput of a step that kept up with p99 <= 10 ms */
		printf("BENCH order_entry_max_sustained_throughput %.0f orders/s\n", sustained);
		printf("BENCH order_entry_max_rate_p99_within_5ms %.0f orders/s\n", goal_rate);
	}

	phase.kind = PH_STOP;
	pthread_barrier_wait(&phase_begin);
	for (int i = 0; i < opt.connections; i++)
	{
		pthread_join(workers[i].thread, NULL);
		failed |= workers[i].broken;
		PQfinish(workers[i].conn);
		free(workers[i].resting);
		free(workers[i].st);
	}
	free(workers);
	if (failed)
		fprintf(stderr,
		        "order_load: at least one connection broke; figures are partial\n");
	return failed ? 1 : 0;
}
