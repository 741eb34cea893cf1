/*
 * testutil.h - helpers shared by the core's tests and benchmark: command
 * constructors, a growable event log usable as a sink, printing.
 * Test-only code: it may allocate freely.
 */
#ifndef MC_TESTUTIL_H
#define MC_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "commands.h"
#include "engine.h"
#include "events.h"

typedef struct evlog
{
	mc_event *ev;
	size_t n;
	size_t cap;
} evlog;

void evlog_push(evlog *l, const mc_event *ev);
void evlog_clear(evlog *l);
void evlog_free(evlog *l);
/* mc_sink flush callback appending to the evlog passed as ctx */
void evlog_flush(void *ctx, const mc_event *ev, uint32_t n);

/* Applies cmd to e and appends its events to log (through a small sink
 * buffer, so flushing is exercised too). */
void core_apply(mc_engine *e, const mc_command *cmd, evlog *log);

mc_command cmd_new(uint64_t seq, uint64_t id, uint32_t sym, uint32_t acct, int side,
                   int type, int tif, int64_t price, int64_t qty);
mc_command cmd_cancel(uint64_t seq, uint64_t id, uint32_t acct);
mc_command cmd_amend(uint64_t seq, uint64_t id, uint32_t acct, int64_t price,
                     int64_t qty);
mc_command cmd_session(uint64_t seq, uint32_t sym, int op);
/* The sequencer's expiry of a GTD order (timestamp as for every command). */
mc_command cmd_expire(uint64_t seq, uint64_t id);

void fprint_event(FILE *f, const mc_event *ev);
void fprint_command(FILE *f, const mc_command *c);

/* splitmix64: the tests' and benchmark's deterministic random source */
static inline uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) (n small; modulo bias is irrelevant here) */
static inline uint64_t
rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

/* cmocka 1.1 prints its summary ("[  PASSED  ] N test(s).") on stderr; the
 * project's runner reads stdout.  Call first in main: sends stderr to stdout
 * and makes stdout line-buffered so the two stay in order. */
void test_output_to_stdout(void);

/* Seed from env var name if set (decimal or 0x hex), else dflt. */
uint64_t env_seed(const char *name, uint64_t dflt);

#endif
