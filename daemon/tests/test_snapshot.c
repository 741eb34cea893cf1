/*
 * test_snapshot.c - matchd's state snapshots (snapshot.c, core/snap.c, om_save).
 *
 * What recovery from a snapshot relies on:
 *   - a loaded pipeline behaves exactly like the one that was saved: the
 *     same requests give the same journal bytes and answers, to the end of a
 *     random multi-day session, and the same state hashes and snapshot bytes;
 *   - the bytes after seq N are the same whether the state was reached live,
 *     by replaying the whole journal, or by loading an earlier snapshot and
 *     replaying the rest; save(load(x)) == x;
 *   - anything malformed is refused: every truncation and every flipped byte
 *     of a snapshot (checksum), and, past the checksum, every truncation of
 *     the books' and the order manager's sections, another version, other
 *     capacities; a flipped byte the structure allows reloads to the same
 *     bytes (one encoding per state).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine.h"
#include "om.h"
#include "pipeline.h"
#include "plreq.h"
#include "serial.h"
#include "sha256.h"
#include "snapshot.h"
#include "testutil.h"

#define DAY    9823
#define T0     848766600000000LL
#define DAY_US 86400000000LL

static const pl_config CFG = {.max_symbols = 8,
                              .max_accounts = 16,
                              .max_orders = 512,
                              .max_levels = 512,
                              .max_positions = 64};

/* ---- helpers ---------------------------------------------------------------- */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
save(const pipeline *pl, uint8_t **buf, size_t *len)
{
	assert_int_equal(snap_save(pl, buf, len), 0);
}

static pipeline *
load(const pl_config *cfg, const uint8_t *buf, size_t len)
{
	char why[256];
	pipeline *pl = snap_load(cfg, buf, len, why, sizeof(why));

	if (pl == NULL)
		fail_msg("snapshot refused: %s", why);
	return pl;
}

static void
assert_same_snapshot(const pipeline *pl, const uint8_t *want, size_t want_len,
                     const char *what)
{
	uint8_t *got;
	size_t len;

	save(pl, &got, &len);
	if (len != want_len || memcmp(got, want, len) != 0)
		fail_msg("%s: snapshot bytes differ (%zu vs %zu bytes)", what, len, want_len);
	free(got);
}

static void
assert_invariants(const pipeline *pl)
{
	char why[256];

	if (om_check_invariants(pl_om(pl), why, sizeof(why)) != 0)
		fail_msg("invariant broken: %s", why);
	assert_int_equal(om_open_orders(pl_om(pl)), pl_open_orders(pl));
}

/* Stamps and applies; 0, or -1 when the sequencer refused (err set). */
static int
submit(pipeline *pl, batchbuf *bb, const pgx_record *req, int64_t ts, pl_result *res,
       pl_error *err)
{
	pgx_record cmd;

	if (pl_stamp(pl, s_("broker_a"), req, ts, &cmd, err) != 0)
		return -1;
	assert_int_equal(pl_apply(pl, &cmd, bb, res, err), 0);
	return 0;
}

static void
ok(pipeline *pl, batchbuf *bb, pgx_record r, int64_t ts)
{
	pl_result res;
	pl_error err;

	assert_int_equal(submit(pl, bb, &r, ts, &res, &err), 0);
	if (res.status != PGX_STATUS_NEW)
		fail_msg("kind %d: %s %s", r.kind, res.reason ? res.reason : "", res.message);
}

/* Four symbols (one in EUR), six verified accounts with cash and shares. */
static void
setup_session(pipeline *pl, batchbuf *bb, int64_t ts)
{
	pl_set_position(pl, 0, 0, DAY);
	for (int i = 0; i < REQ_NSYMBOLS; i++)
	{
		pgx_record r = req_symbol(req_symbols[i]);

		if (i == 3)
			r.strs[PGX_S_DETAIL] = s_("{\"currency\": \"EUR\", \"tick_value\": 5, "
			                          "\"reference_ticks\": 10000}");
		ok(pl, bb, r, ts);
	}
	for (int i = 0; i < REQ_NACCOUNTS; i++)
	{
		pgx_record r = req_account(req_accounts[i]);

		r.strs[PGX_S_DETAIL] = s_("{\"broker\": \"b\", \"kyc_status\": \"verified\"}");
		ok(pl, bb, r, ts);
		ok(pl, bb, req_cash(PGX_KIND_DEPOSIT, req_accounts[i], 50000000, "USD"), ts);
		ok(pl, bb, req_cash(PGX_KIND_DEPOSIT, req_accounts[i], 50000000, "EUR"), ts);
		for (int k = 0; k < REQ_NSYMBOLS; k++)
			ok(pl, bb,
			   req_shares(PGX_KIND_CREDIT_SHARES, req_accounts[i], req_symbols[k], 5000),
			   ts);
	}
	ok(pl, bb, req_blank(PGX_KIND_MARKET_OPEN), ts);
}

/* Every kind, and a close every ~100 commands: several trading days a session. */
static const req_mix MIX = {.new_order = 500,
                            .cancel = 620,
                            .amend = 700,
                            .deposit = 770,
                            .withdraw = 800,
                            .credit = 840,
                            .debit = 860,
                            .kyc = 875,
                            .suspend = 900,
                            .account_limits = 920,
                            .symbol_limits = 940,
                            .halt = 960,
                            .open = 990};

/* ---- SHA-256 ------------------------------------------------------------------ */

static void
hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < SHA256_LEN; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void
test_sha256_vectors(void **state)
{
	static const struct
	{
		const char *msg;
		const char *digest;
	} v[] = {
	    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	uint8_t d[SHA256_LEN], d2[SHA256_LEN];
	char h[2 * SHA256_LEN + 1];
	uint8_t *million = malloc(1000000);
	sha256_ctx c;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
	{
		sha256(v[i].msg, strlen(v[i].msg), d);
		hex(d, h);
		assert_string_equal(h, v[i].digest);
	}
	/* one million 'a' (FIPS 180-2 appendix B.3), fed in uneven pieces */
	memset(million, 'a', 1000000);
	sha256(million, 1000000, d);
	hex(d, h);
	assert_string_equal(
	    h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	sha256_init(&c);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 7 % 131 + 1)
		sha256_update(&c, million + off, off + step > 1000000 ? 1000000 - off : step);
	sha256_final(&c, d2);
	assert_memory_equal(d, d2, SHA256_LEN);
	free(million);
}

/* ---- the random sessions ------------------------------------------------------ */

#define MAX_POINTS  12
#define MAX_BATCHES 512

typedef struct point
{
	uint8_t *blob;
	size_t len;
	int batches; /* journal batches before it */
	int64_t seq;
	int is_close;
} point;

typedef struct follower
{
	pipeline *pl;
	batchbuf bb;
	int from; /* the point it was loaded from */
} follower;

static void
session(uint64_t seed, int ncommands)
{
	pipeline *pl = pl_create(&CFG);
	batchbuf bb;
	uint8_t *batches[MAX_BATCHES];
	size_t lens[MAX_BATCHES];
	int nb = 0, npoints = 0, nfollow = 0, closes = 0, days_seen = 1;
	point points[MAX_POINTS];
	follower fol[MAX_POINTS];
	int64_t ts = T0, ids[256];
	int nids = 0;
	int32_t first_day;
	uint64_t s = seed;

	printf("# session seed %llu (PGX_SEED to repeat), %d commands\n",
	       (unsigned long long)seed, ncommands);
	assert_non_null(pl);
	assert_int_equal(bb_init(&bb, 0), 0);
	setup_session(pl, &bb, ts);
	first_day = pl_trading_day(pl);

	for (int i = 0; i < ncommands; i++)
	{
		pgx_record r = req_random(&s, &MIX, ids, nids);
		pl_result res, fres;
		pl_error err, ferr;
		int rc, take = 0;

		ts += (int64_t)rng_below(&s, 4000);
		if (r.kind == PGX_KIND_MARKET_CLOSE)
			ts += DAY_US; /* the next open belongs to the next calendar day */
		rc = submit(pl, &bb, &r, ts, &res, &err);
		for (int f = 0; f < nfollow; f++)
		{
			/* a loaded pipeline answers the same request the same way */
			int frc = submit(fol[f].pl, &fol[f].bb, &r, ts, &fres, &ferr);

			assert_int_equal(frc, rc);
			if (rc != 0)
			{
				assert_string_equal(ferr.sqlstate, err.sqlstate);
				assert_string_equal(ferr.message, err.message);
				continue;
			}
			assert_int_equal(fres.seq, res.seq);
			assert_int_equal(fres.status, res.status);
			assert_int_equal(fres.order_id, res.order_id);
			assert_int_equal(fres.filled, res.filled);
			assert_int_equal(fres.remaining, res.remaining);
			assert_string_equal(fres.sqlstate, res.sqlstate);
			assert_string_equal(fres.message, res.message);
			assert_int_equal(fol[f].bb.len, bb.len);
			/* the records (the header is written when the batch closes) */
			assert_memory_equal(fol[f].bb.buf + PGX_BATCH_HEADER,
			                    bb.buf + PGX_BATCH_HEADER, bb.len - PGX_BATCH_HEADER);
		}
		if (rc == 0 && r.kind == PGX_KIND_NEW_ORDER && res.remaining > 0)
		{
			ids[nids % 256] = res.order_id;
			nids = nids < 256 ? nids + 1 : 256;
		}
		if (rc == 0 && r.kind == PGX_KIND_MARKET_CLOSE && res.status == PGX_STATUS_NEW)
		{
			closes++;
			take = 1; /* what matchd does: a snapshot after each accepted close */
		}
		if (rc == 0 && r.kind == PGX_KIND_MARKET_OPEN && res.status == PGX_STATUS_NEW)
			days_seen++;
		/* and a few in the middle of a day: the format holds any state */
		if (rng_below(&s, 300) == 0)
			take = 1;
		/* cut the batch now and then, and always at a snapshot point */
		if ((take || rng_below(&s, 40) == 0) && nb < MAX_BATCHES - 1)
		{
			bb_finish(&bb);
			batches[nb] = malloc(bb.len);
			memcpy(batches[nb], bb.buf, bb.len);
			lens[nb++] = bb.len;
			bb_reset(&bb);
			for (int f = 0; f < nfollow; f++)
				bb_reset(&fol[f].bb);
		}
		else
			take = 0;
		if (take && npoints < MAX_POINTS)
		{
			point *p = &points[npoints];

			save(pl, &p->blob, &p->len);
			p->batches = nb;
			p->seq = pl_last_seq(pl);
			p->is_close = r.kind == PGX_KIND_MARKET_CLOSE;
			/* load it, check the round trip, and let it follow the original */
			fol[nfollow].pl = load(&CFG, p->blob, p->len);
			fol[nfollow].from = npoints;
			assert_int_equal(bb_init(&fol[nfollow].bb, 0), 0);
			assert_same_snapshot(fol[nfollow].pl, p->blob, p->len, "save(load(x))");
			assert_int_equal(pl_state_hash(fol[nfollow].pl), pl_state_hash(pl));
			assert_int_equal(pl_om_hash(fol[nfollow].pl), pl_om_hash(pl));
			assert_int_equal(pl_last_seq(fol[nfollow].pl), pl_last_seq(pl));
			assert_int_equal(pl_last_ts(fol[nfollow].pl), pl_last_ts(pl));
			assert_int_equal(pl_trading_day(fol[nfollow].pl), pl_trading_day(pl));
			assert_invariants(fol[nfollow].pl);
			nfollow++;
			npoints++;
		}
	}
	bb_finish(&bb);
	batches[nb] = malloc(bb.len);
	memcpy(batches[nb], bb.buf, bb.len);
	lens[nb++] = bb.len;
	printf("# %d batches, %d snapshots (%d closes, %d trading days from day %d), %u open "
	       "orders at the end, last seq %lld\n",
	       nb, npoints, closes, days_seen, first_day, pl_open_orders(pl),
	       (long long)pl_last_seq(pl));
	/* the run must exercise what it checks */
	assert_true(npoints >= 4);
	assert_true(closes >= 2);
	assert_true(pl_trading_day(pl) > first_day + 1);

	/* the followers end where the original ends */
	{
		uint8_t *end;
		size_t end_len;

		save(pl, &end, &end_len);
		for (int f = 0; f < nfollow; f++)
		{
			assert_same_snapshot(fol[f].pl, end, end_len, "loaded and followed");
			assert_int_equal(pl_state_hash(fol[f].pl), pl_state_hash(pl));
			assert_int_equal(pl_om_hash(fol[f].pl), pl_om_hash(pl));
			assert_invariants(fol[f].pl);
		}

		/* full replay of the journal passes every snapshot with the same bytes,
		 * and so does loading each snapshot and replaying what follows it */
		for (int from = -1; from < npoints; from++)
		{
			pipeline *rp;
			batchbuf scratch;
			int64_t records = 0;
			pl_error err;
			int next = from + 1;

			if (from < 0)
			{
				rp = pl_create(&CFG);
				pl_set_position(rp, 0, 0, DAY);
			}
			else
				rp = load(&CFG, points[from].blob, points[from].len);
			assert_int_equal(bb_init(&scratch, 0), 0);
			for (int b = from < 0 ? 0 : points[from].batches; b < nb; b++)
			{
				if (pl_replay(rp, batches[b], lens[b], &scratch, &records, &err) < 0)
					fail_msg("replay from point %d: %s", from, err.message);
				while (next < npoints && points[next].batches == b + 1)
				{
					assert_int_equal(pl_last_seq(rp), points[next].seq);
					assert_same_snapshot(rp, points[next].blob, points[next].len,
					                     from < 0 ? "full replay" : "load and replay");
					next++;
				}
			}
			assert_same_snapshot(rp, end, end_len, "replay to the end");
			bb_free(&scratch);
			pl_destroy(rp);
		}
		free(end);
	}

	for (int f = 0; f < nfollow; f++)
	{
		pl_destroy(fol[f].pl);
		bb_free(&fol[f].bb);
	}
	for (int p = 0; p < npoints; p++)
		free(points[p].blob);
	for (int b = 0; b < nb; b++)
		free(batches[b]);
	bb_free(&bb);
	pl_destroy(pl);
}

static void
test_random_sessions(void **state)
{
	uint64_t seed = env_seed("PGX_SEED", 20261124);
	int sessions = (int)env_seed("PGX_SNAP_SESSIONS", 6);
	int commands = (int)env_seed("PGX_SNAP_COMMANDS", 3000);

	(void)state;
	for (int i = 0; i < sessions; i++)
		session(seed + (uint64_t)i, commands);
}

/* ---- malformed snapshots --------------------------------------------------------- */

/* A small session's state: a few resting orders, some days. */
static pipeline *
small_state(int commands)
{
	pipeline *pl = pl_create(&CFG);
	batchbuf bb;
	uint64_t s = 77;
	int64_t ts = T0, ids[64];
	int nids = 0;

	assert_int_equal(bb_init(&bb, 0), 0);
	setup_session(pl, &bb, ts);
	for (int i = 0; i < commands; i++)
	{
		pgx_record r = req_random(&s, &MIX, ids, nids);
		pl_result res;
		pl_error err;

		ts += 1000;
		if (submit(pl, &bb, &r, ts, &res, &err) == 0 && r.kind == PGX_KIND_NEW_ORDER &&
		    res.remaining > 0)
		{
			ids[nids % 64] = res.order_id;
			nids = nids < 64 ? nids + 1 : 64;
		}
		bb_reset(&bb);
	}
	bb_free(&bb);
	return pl;
}

/* The byte range of section k (0 PIPE, 1 NAME, 2 BOOK, 3 OMGR) of a blob. */
static void
section(const uint8_t *blob, size_t len, int k, size_t *off, size_t *slen)
{
	mc_rbuf r = {blob, len, 16, 0};
	size_t at = 16 + 4 * 12;

	for (int i = 0; i <= k; i++)
	{
		(void)mc_get_bytes(&r, 4);
		*slen = (size_t)mc_get_u64(&r);
		*off = at;
		at += *slen;
	}
}

static void
reseal(uint8_t *blob, size_t len)
{
	sha256(blob, len - SHA256_LEN, blob + len - SHA256_LEN);
}

static void
refused(const uint8_t *blob, size_t len, const char *expect)
{
	char why[256] = "";
	pipeline *pl = snap_load(&CFG, blob, len, why, sizeof(why));

	if (pl != NULL)
		fail_msg("a malformed snapshot (%zu bytes) was loaded", len);
	if (expect && strstr(why, expect) == NULL)
		fail_msg("refused with \"%s\", expected \"%s\"", why, expect);
}

/*
 * Regression, found by fuzz/snapshot.c (the input is
 * fuzz/corpus/snapshot/regress-om-inconsistent, a snapshot without its
 * trailer): every value of the order manager's section in range, but a
 * position holding far more shares than were ever credited.  It loaded, and
 * the state broke om_check_invariants; now it is refused.
 */
static void
test_inconsistent_om_refused(void **state)
{
	const char *path = MC_REPO_ROOT "/fuzz/corpus/snapshot/regress-om-inconsistent";
	FILE *f = fopen(path, "rb");
	uint8_t *blob = malloc(1 << 16);
	size_t n;

	(void)state;
	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_non_null(blob);
	n = fread(blob, 1, (1 << 16) - SHA256_LEN, f);
	fclose(f);
	assert_true(n > 0);
	sha256(blob, n, blob + n);
	refused(blob, n + SHA256_LEN, "inconsistent");
	free(blob);
}

/*
 * A sequencer at seq INT64_MAX has no next seq: pl_stamp and pl_replay
 * would overflow adding 1 to it (found reviewing the snapshot fuzz target's
 * reach, fuzz/snapshot.c), so a snapshot saying so is refused.
 */
static void
test_last_seq_max_refused(void **state)
{
	pipeline *pl = small_state(20);
	uint8_t *blob;
	size_t len, off, slen;

	(void)state;
	save(pl, &blob, &len);
	section(blob, len, 0, &off, &slen);
	for (int i = 0; i < 8; i++) /* last_seq follows the five capacities */
		blob[off + 20 + i] = i == 7 ? 0x7F : 0xFF;
	reseal(blob, len);
	refused(blob, len, "out of range");
	free(blob);
	pl_destroy(pl);
}

static void
test_malformed_refused(void **state)
{
	pipeline *pl = small_state(400);
	uint8_t *blob, *copy;
	size_t len, off, slen;
	int n_ok = 0, n_refused = 0;
	char why[256];
	const mc_engine_config ecfg = {.max_symbols = CFG.max_symbols,
	                               .max_orders = CFG.max_orders,
	                               .max_levels = CFG.max_levels};
	const om_config ocfg = {.max_accounts = CFG.max_accounts,
	                        .max_symbols = CFG.max_symbols,
	                        .max_orders = CFG.max_orders,
	                        .max_positions = CFG.max_positions};

	(void)state;
	save(pl, &blob, &len);
	printf("# snapshot of %zu bytes, %u open orders\n", len, pl_open_orders(pl));
	assert_true(pl_open_orders(pl) >= 8);
	copy = malloc(len);

	/* every truncation, and every byte flipped, of the whole blob */
	for (size_t n = 0; n < len; n++)
		refused(blob, n, NULL);
	for (size_t i = 0; i < len; i++)
	{
		memcpy(copy, blob, len);
		copy[i] ^= (uint8_t)(1u << (i % 8));
		refused(copy, len, NULL);
	}
	memcpy(copy, blob, len);
	copy[len / 2] ^= 0x10;
	refused(copy, len, "checksum mismatch");
	refused(blob, len - 1, "checksum mismatch");
	memcpy(copy, blob, len);
	copy[0] = 'X';
	refused(copy, len, "bad magic");

	/* past the checksum: another version, other capacities */
	memcpy(copy, blob, len);
	copy[8] = SNAP_VERSION + 1;
	reseal(copy, len);
	refused(copy, len, "format version 4");
	/* version 3 bytes that claim version 1 or 2 (whose BOOK section has
	 * format 1, and version 1's OMGR section too) */
	memcpy(copy, blob, len);
	copy[8] = 1;
	reseal(copy, len);
	refused(copy, len, "does not belong to version 1");
	memcpy(copy, blob, len);
	copy[8] = 2;
	reseal(copy, len);
	refused(copy, len, "BOOK section's format does not belong to version 2");
	{
		pl_config other = CFG;

		other.max_orders = 1024;
		assert_null(snap_load(&other, blob, len, why, sizeof(why)));
		assert_non_null(strstr(why, "--max-orders 512"));
		other = CFG;
		other.max_accounts = 3; /* the snapshot holds 6 */
		assert_null(snap_load(&other, blob, len, why, sizeof(why)));
		assert_non_null(strstr(why, "accounts"));
	}
	/* a section table that does not add up */
	memcpy(copy, blob, len);
	copy[16 + 4] ^= 1; /* PIPE's length */
	reseal(copy, len);
	refused(copy, len, NULL);

	/*
	 * The sections' own validation, without the checksum: every truncation of
	 * the books and of the order manager is refused, and leaves the engine
	 * empty; a flipped byte is refused or reloads to exactly the same bytes.
	 */
	for (int k = 2; k <= 3; k++)
	{
		section(blob, len, k, &off, &slen);
		for (size_t n = 0; n <= slen; n++)
		{
			int rc;

			if (k == 2)
			{
				mc_engine *e = mc_engine_create(&ecfg);

				rc = mc_engine_load(e, blob + off, n);
				if (rc != MC_SNAP_OK)
				{
					assert_int_equal(mc_engine_order_count(e), 0);
					assert_int_equal(mc_engine_level_count(e), 0);
					assert_int_equal(mc_engine_status(e, 0), -1);
				}
				mc_engine_destroy(e);
			}
			else
			{
				om *m = om_create(&ocfg);

				rc = om_load(m, blob + off, n, why, sizeof(why));
				om_destroy(m);
			}
			assert_int_equal(rc == 0, n == slen);
		}
		for (size_t i = 0; i < slen; i++)
		{
			uint8_t *sec = malloc(slen), *again = NULL;
			mc_engine *e = NULL;
			om *m = NULL;
			size_t n = 0;
			int rc;

			memcpy(sec, blob + off, slen);
			sec[i] ^= (uint8_t)(1u << (i % 8));
			if (k == 2)
			{
				e = mc_engine_create(&ecfg);
				if ((rc = mc_engine_load(e, sec, slen)) == 0)
				{
					n = mc_engine_save(e, NULL, 0);
					again = malloc(n);
					mc_engine_save(e, again, n);
				}
			}
			else
			{
				m = om_create(&ocfg);
				if ((rc = om_load(m, sec, slen, why, sizeof(why))) == 0)
				{
					n = om_save(m, NULL, 0);
					again = malloc(n);
					om_save(m, again, n);
				}
			}
			if (rc == 0)
			{
				if (n != slen || memcmp(again, sec, slen) != 0)
					fail_msg("section %d with byte %zu flipped loaded to other bytes", k,
					         i);
				n_ok++;
			}
			else
				n_refused++;
			free(again);
			free(sec);
			mc_engine_destroy(e);
			om_destroy(m);
		}
	}
	printf("# sections with a flipped byte: %d refused, %d loaded (and re-saved to the "
	       "same bytes)\n",
	       n_refused, n_ok);
	assert_true(n_refused > 0);

	/* a duplicate order id in the books, sealed: refused */
	{
		mc_engine *e = pl_engine_rw(pl);
		size_t n = mc_engine_save(e, NULL, 0);
		uint8_t *b = malloc(n);
		mc_order_info l3[64];
		pipeline *fresh = pl_create(&CFG);
		int found = 0;

		mc_engine_save(e, b, n);
		/* find two orders of one side and give the second the first's id */
		for (uint32_t sym = 0; sym < 4 && !found; sym++)
			for (int side = MC_BUY; side <= MC_SELL && !found; side++)
				if (mc_engine_l3(e, sym, side, l3, 64) >= 2)
				{
					uint8_t id0[8], id1[8];

					for (int i = 0; i < 8; i++)
					{
						id0[i] = (uint8_t)(l3[0].id >> (8 * i));
						id1[i] = (uint8_t)(l3[1].id >> (8 * i));
					}
					for (size_t at = 0; at + 8 <= n; at++)
						if (memcmp(b + at, id1, 8) == 0)
						{
							memcpy(b + at, id0, 8);
							found = 1;
							break;
						}
				}
		assert_true(found);
		assert_int_equal(mc_engine_load(pl_engine_rw(fresh), b, n), MC_SNAP_DUPLICATE);
		assert_int_equal(mc_engine_order_count(pl_engine(fresh)), 0);
		/* and the engine is still usable: the real books load into it */
		mc_engine_save(e, b, n);
		assert_int_equal(mc_engine_load(pl_engine_rw(fresh), b, n), MC_SNAP_OK);
		assert_int_equal(mc_engine_hash(pl_engine(fresh)), mc_engine_hash(e));
		/* ... once: a second load finds books */
		assert_int_equal(mc_engine_load(pl_engine_rw(fresh), b, n), MC_SNAP_NOT_EMPTY);
		free(b);
		pl_destroy(fresh);
	}

	free(copy);
	free(blob);
	pl_destroy(pl);
}

/* ---- size and speed ------------------------------------------------------------- */

typedef struct journal
{
	uint8_t **b;
	size_t *len;
	int n, cap;
} journal;

/* Closes the open batch into the journal (as group commit would). */
static void
keep(journal *j, batchbuf *bb)
{
	if (bb->commands == 0)
		return;
	if (j->n == j->cap)
	{
		j->cap = j->cap ? 2 * j->cap : 64;
		j->b = realloc(j->b, sizeof(*j->b) * (size_t)j->cap);
		j->len = realloc(j->len, sizeof(*j->len) * (size_t)j->cap);
	}
	bb_finish(bb);
	j->b[j->n] = malloc(bb->len);
	memcpy(j->b[j->n], bb->buf, bb->len);
	j->len[j->n++] = bb->len;
	bb_reset(bb);
}

/* Replays journal batches [from, n) into pl; the time it took (ms). */
static double
replay_ms(pipeline *pl, const journal *j, int from)
{
	batchbuf scratch;
	int64_t records = 0;
	pl_error err;
	double t0 = now_ms();

	assert_int_equal(bb_init(&scratch, 0), 0);
	for (int b = from; b < j->n; b++)
		if (pl_replay(pl, j->b[b], j->len[b], &scratch, &records, &err) < 0)
			fail_msg("replay: %s", err.message);
	bb_free(&scratch);
	return now_ms() - t0;
}

/*
 * A big book through the pipeline: PGX_SNAP_ORDERS resting gtc orders (default
 * 20,000; 100,000 for the figures in docs/operations.md) over 8 symbols and
 * PGX_SNAP_ACCOUNTS accounts; prints the snapshot's size and the time to save
 * and load it, and checks the round trip.
 */
static void
test_large_book(void **state)
{
	uint32_t norders = (uint32_t)env_seed("PGX_SNAP_ORDERS", 20000);
	uint32_t naccts = (uint32_t)env_seed("PGX_SNAP_ACCOUNTS", 2000);
	uint32_t tail = (uint32_t)env_seed("PGX_SNAP_TAIL", norders / 10);
	journal j = {0};
	int at_close;
	pl_config cfg = {.max_symbols = 16,
	                 .max_accounts = naccts + 16,
	                 .max_orders = norders + 1024,
	                 .max_levels = 65536,
	                 .max_positions = naccts * 8 + 64};
	pipeline *pl = pl_create(&cfg), *back;
	batchbuf bb;
	uint8_t *blob;
	size_t len;
	uint64_t s = 5;
	int64_t ts = T0;
	char name[32], why[256];
	double t0, t_save, t_load, t_sha;
	uint8_t d[SHA256_LEN];

	(void)state;
	assert_non_null(pl);
	assert_int_equal(bb_init(&bb, 0), 0);
	pl_set_position(pl, 0, 0, DAY);
	for (int i = 0; i < 8; i++)
	{
		snprintf(name, sizeof(name), "SYM%d", i);
		ok(pl, &bb, req_symbol(name), ts);
	}
	for (uint32_t a = 0; a < naccts; a++)
	{
		pgx_record r;

		snprintf(name, sizeof(name), "ACCT%05u", a);
		r = req_account(name);
		r.strs[PGX_S_DETAIL] = s_("{\"kyc_status\": \"verified\"}");
		ok(pl, &bb, r, ts);
		ok(pl, &bb, req_cash(PGX_KIND_DEPOSIT, name, 4000000000000LL, "USD"), ts);
		ok(pl, &bb,
		   req_admin(
		       PGX_KIND_SET_ACCOUNT_LIMITS, name, NULL,
		       "{\"max_open_orders\": 100000, \"max_daily_notional\": "
		       "4000000000000, \"orders_per_second\": 1000000, \"burst\": 1000000}"),
		   ts);
		for (int k = 0; k < 8; k++)
		{
			snprintf(name + 16, 16, "SYM%d", k);
			ok(pl, &bb, req_shares(PGX_KIND_CREDIT_SHARES, name, name + 16, 1000000), ts);
		}
		if (bb.commands >= 10000)
			keep(&j, &bb);
	}
	ok(pl, &bb, req_blank(PGX_KIND_MARKET_OPEN), ts);
	for (uint32_t i = 0; pl_open_orders(pl) < norders; i++)
	{
		/* bids below 100.00, asks above: nothing trades, everything rests */
		int side = 1 + (int)rng_below(&s, 2);
		int64_t price = side == PGX_SIDE_BUY ? 9999 - (int64_t)rng_below(&s, 900)
		                                     : 10001 + (int64_t)rng_below(&s, 900);
		pl_result res;
		pl_error err;
		pgx_record r;

		snprintf(name, sizeof(name), "ACCT%05u", (unsigned)rng_below(&s, naccts));
		snprintf(name + 16, 16, "SYM%d", (int)rng_below(&s, 8));
		r = req_new(name + 16, name, side, PGX_TYPE_LIMIT, PGX_TIF_GTC, price,
		            1 + (int64_t)rng_below(&s, 500));
		ts += 10;
		assert_int_equal(submit(pl, &bb, &r, ts, &res, &err), 0);
		assert_int_equal(res.status, PGX_STATUS_NEW);
		if (bb.commands >= 10000)
			keep(&j, &bb);
	}
	ok(pl, &bb, req_blank(PGX_KIND_MARKET_CLOSE), ts + 1);
	keep(&j, &bb);
	at_close = j.n;

	t0 = now_ms();
	save(pl, &blob, &len);
	t_save = now_ms() - t0;
	t0 = now_ms();
	sha256(blob, len, d);
	t_sha = now_ms() - t0;
	t0 = now_ms();
	back = snap_load(&cfg, blob, len, why, sizeof(why));
	t_load = now_ms() - t0;
	if (back == NULL)
		fail_msg("%s", why);
	printf("# snapshot of %u resting orders, %u accounts, %u positions: %zu bytes "
	       "(%.1f bytes/order); save %.1f ms, load %.1f ms (incl. SHA-256 check; "
	       "SHA-256 alone %.1f ms)\n",
	       pl_open_orders(pl), naccts, naccts * 8, len, (double)len / norders, t_save,
	       t_load, t_sha);
	assert_same_snapshot(back, blob, len, "large book");
	assert_int_equal(pl_state_hash(back), pl_state_hash(pl));
	assert_int_equal(pl_om_hash(back), pl_om_hash(pl));
	pl_destroy(back);

	/* the next day: tail commands that trade, cancel and rest; then recovery
	 * both ways, timed: the whole journal, or the snapshot and the tail */
	ts += DAY_US;
	ok(pl, &bb, req_blank(PGX_KIND_MARKET_OPEN), ts);
	for (uint32_t i = 0; i < tail; i++)
	{
		int side = 1 + (int)rng_below(&s, 2);
		int64_t price = side == PGX_SIDE_BUY ? 9700 + (int64_t)rng_below(&s, 400)
		                                     : 10300 - (int64_t)rng_below(&s, 400);
		pl_result res;
		pl_error err;
		pgx_record r;

		snprintf(name, sizeof(name), "ACCT%05u", (unsigned)rng_below(&s, naccts));
		snprintf(name + 16, 16, "SYM%d", (int)rng_below(&s, 8));
		r = req_new(name + 16, name, side, PGX_TYPE_LIMIT,
		            rng_below(&s, 2) ? PGX_TIF_GTC : PGX_TIF_IOC, price,
		            1 + (int64_t)rng_below(&s, 300));
		ts += 10;
		assert_int_equal(submit(pl, &bb, &r, ts, &res, &err), 0);
		if (bb.commands >= 10000)
			keep(&j, &bb);
	}
	keep(&j, &bb);
	{
		pipeline *full = pl_create(&cfg), *from_snap;
		double t_full, t_tail, t_ld;

		pl_set_position(full, 0, 0, DAY);
		t_full = replay_ms(full, &j, 0);
		t0 = now_ms();
		from_snap = snap_load(&cfg, blob, len, why, sizeof(why));
		t_ld = now_ms() - t0;
		assert_non_null(from_snap);
		t_tail = replay_ms(from_snap, &j, at_close);
		printf("# recovery of a %lld-command journal (%d batches): full replay %.0f ms; "
		       "snapshot load %.1f ms + replay of the %u commands after it %.0f ms = "
		       "%.0f ms\n",
		       (long long)pl_last_seq(pl), j.n, t_full, t_ld, tail + 1, t_tail,
		       t_ld + t_tail);
		assert_int_equal(pl_state_hash(full), pl_state_hash(pl));
		assert_int_equal(pl_state_hash(from_snap), pl_state_hash(pl));
		assert_int_equal(pl_om_hash(from_snap), pl_om_hash(pl));
		pl_destroy(full);
		pl_destroy(from_snap);
	}
	for (int b = 0; b < j.n; b++)
		free(j.b[b]);
	free(j.b);
	free(j.len);
	free(blob);
	pl_destroy(pl);
	bb_free(&bb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_vectors),
	    cmocka_unit_test(test_random_sessions),
	    cmocka_unit_test(test_malformed_refused),
	    cmocka_unit_test(test_inconsistent_om_refused),
	    cmocka_unit_test(test_last_seq_max_refused),
	    cmocka_unit_test(test_large_book),
	};

	test_output_to_stdout();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
