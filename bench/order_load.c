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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAX_CONNECTIONS    1024
#define MAX_SYMBOLS        64
#define MAX_BROKERS        16
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
};

/* the phase the workers run next; written by main between the barriers */
static struct
{
	enum phase_kind kind;
	double rate;
	int64_t start_ns, from_ns, to_ns;
	int slices; /* the window is cut into this many equal slices */
	int64_t slice_ns;
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
	int nresting;
	bool broken;
	Stats *st; /* one per slice of the window */
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
	int i = w->nresting < RESTING_CAP ? w->nresting++ : (int)(rnd(w) % RESTING_CAP);

	/* when full, an old order is forgotten (it keeps resting in the book) */
	w->resting[i] = (Resting){.id = id, .price = price, .sym = sym, .buy = buy};
}

static void
forget(Worker *w, int i)
{
	w->resting[i] = w->resting[--w->nresting];
}

/* One call; the reply updates what the connection knows of its resting orders. */
static void
one_call(Worker *w, enum phase_kind ph, Stats *st, bool measured)
{
	char qty[24], price[24], id[24];
	const char *values[5];
	const char *stmt;
	int nparams, r = (int)(rnd(w) % 100), sym = (int)(rnd(w) % opt.nsymbols);
	int pick = -1;
	bool buy = rnd(w) & 1;
	int64_t p = 0, mid;
	enum call_kind kind;
	PGresult *res;

	if (r < 55 || (r < 90 && w->nresting == 0))
		kind = (int)(rnd(w) % 100) < opt.cross_pct ? K_CROSS : K_LIMIT;
	else if (r < 80)
		kind = K_CANCEL;
	else if (r < 90)
		kind = K_AMEND;
	else
		kind = K_MARKET;
	if (measured)
		st->sent[kind]++;

	values[0] = w->account;
	switch (kind)
	{
		case K_LIMIT:
		case K_CROSS:
			mid = mid_ticks(sym, now_ns());
			if (kind == K_CROSS)
				p = buy ? mid + (int64_t)(rnd(w) % 5) : mid - (int64_t)(rnd(w) % 5);
			else
				p = buy ? mid - 1 - (int64_t)(rnd(w) % 15)
				        : mid + 1 + (int64_t)(rnd(w) % 15);
			snprintf(qty, sizeof(qty), "%d", 100 * (1 + (int)(rnd(w) % 5)));
			format_price(price, sizeof(price), p);
			values[1] = opt.symbols[sym];
			values[2] = buy ? "buy" : "sell";
			values[3] = qty;
			values[4] = price;
			stmt = "limit";
			nparams = 5;
			break;
		case K_MARKET:
			snprintf(qty, sizeof(qty), "%d", 100 * (1 + (int)(rnd(w) % 3)));
			values[1] = opt.symbols[sym];
			values[2] = buy ? "buy" : "sell";
			values[3] = qty;
			values[4] = NULL;
			stmt = "market";
			nparams = 4;
			break;
		case K_CANCEL:
			pick = (int)(rnd(w) % w->nresting);
			snprintf(id, sizeof(id), "%" PRId64, w->resting[pick].id);
			values[1] = id;
			stmt = "cancel";
			nparams = 2;
			/* the trivial call has the submit shape: account, symbol, side, qty, price */
			values[2] = "buy";
			values[3] = id;
			values[4] = NULL;
			break;
		case K_AMEND:
		default:
			pick = (int)(rnd(w) % w->nresting);
			sym = w->resting[pick].sym;
			buy = w->resting[pick].buy;
			/* half keep their price, half step one tick away from the mid */
			p = w->resting[pick].price + ((rnd(w) & 1) ? (buy ? -1 : 1) : 0);
			snprintf(id, sizeof(id), "%" PRId64, w->resting[pick].id);
			snprintf(qty, sizeof(qty), "%d", 100 * (1 + (int)(rnd(w) % 5)));
			format_price(price, sizeof(price), p);
			values[1] = id;
			values[2] = qty;
			values[3] = price;
			stmt = "amend";
			nparams = 4;
			break;
	}
	if (ph == PH_TRIVIAL)
	{
		/* same shape for every kind: (account, symbol, side, quantity, price) */
		if (kind == K_AMEND)
		{
			values[4] = values[3];
			values[3] = values[2];
			values[2] = buy ? "buy" : "sell";
			values[1] = opt.symbols[sym];
		}
		else if (kind == K_CANCEL)
			values[1] = opt.symbols[sym];
		stmt = "trivial";
		nparams = 5;
	}

	res = PQexecPrepared(w->conn, stmt, nparams, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (measured)
		{
			st->errors++;
			st->failed[kind]++;
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
		if (ph == PH_ORDERS && pick >= 0)
			forget(w, pick);
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

		if (measured && pick < 0 && c_filled >= 0 &&
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
		if (pick >= 0)
		{
			if (kind == K_AMEND && open)
				w->resting[pick].price = p;
			else
				forget(w, pick);
		}
		else if ((kind == K_LIMIT || kind == K_CROSS) && open && c_id >= 0)
			remember(w, atoll(PQgetvalue(res, 0, c_id)), p, sym, buy);
	}
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
	snprintf(w->account, sizeof(w->account), "%s%03d", opt.account_prefix, w->index);
	w->rng = opt.seed * 1000003 + (uint64_t)w->index * 7919 + 1;
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
	C_OTHER,
	C__COUNT
};
static const char *const class_names[C__COUNT] = {
    "order_load",          "its backends",
    "matchd main thread",  "matchd writer thread",
    "matchd's backend",    "walwriter",
    "rest of the cluster", "everything else on the machine"};
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

	for (int i = 0; i < opt.connections; i++)
		if (workers[i].backend_pid == pid)
			return C_BACKENDS;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if (!(f = fopen(path, "r")))
		return C_PG_OTHER;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = 0;
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
		for (int i = 0; i < opt.connections; i++)
			merge_stats(&slice, &workers[i].st[k]);
		merge_stats(&r.st, &slice);
		r.slice_achieved[k] = (double)slice.done_in_window / (duration / slices);
		r.slice_p99[k] = h_quantile(&slice.hist, 0.99);
		p99s[k] = (double)r.slice_p99[k];
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
	    "  --seed N               workload seed (default 42)\n");
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
	if (opt.connections < 1 || opt.connections > MAX_CONNECTIONS || opt.rate <= 0 ||
	    opt.duration <= 0 || opt.warmup < 0 || opt.nsymbols == 0 || opt.nbrokers == 0 ||
	    opt.step_slices < 1 || opt.step_slices > MAX_SLICES ||
	    (opt.trivial_only && opt.no_trivial))
	{
		fprintf(stderr,
		        "order_load: need --symbols and --brokers, 1..%d connections, a "
		        "positive rate and duration\n",
		        MAX_CONNECTIONS);
		usage(stderr);
		return 2;
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
