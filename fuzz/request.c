/*
 * request.c - fuzzes what a request does inside matchd once decoded: the
 * stream of one connection is framed (server_next_frame), each request
 * decoded (pgx_decode_request) and handed to the pipeline as main.c's
 * on_frame does: pl_stamp (the order manager's checks, the sequencer), then
 * pl_apply (the matching core, the journal records).  This drives every
 * value a broker controls into the order manager's price, quantity and
 * notional arithmetic (om_*.c), the core (daemon/core) and the detail parser
 * (jsonkv.c) on the live path.
 *
 * Input: the bytes of one connection (seeds: the traffic of the tests'
 * sessions, fuzz/seeds.c).  Each frame's request id is also the time that
 * passed before it (its low 40 bits, in microseconds), so inputs control the
 * clock too.  The pipeline starts empty, as a new stream does.
 *
 * Invariants beyond "no crash, no leak, no UB":
 *   - pl_apply never fails after pl_stamp accepted (main.c dies then: a
 *     request must not be able to stop matchd);
 *   - a refused request consumes nothing (the last seq does not move);
 *   - the journal batch built is one append_batch accepts: it passes the
 *     extension's reader (extension/batch_decode.h, sequencing rules), every
 *     string is valid UTF-8 without NUL and every detail valid JSON (what
 *     journal_values checks with pg_verify_mbstr and json_in);
 *   - replaying the batch on a new pipeline (pl_replay, what recovery does)
 *     reproduces it byte for byte, and reaches the same state hashes;
 *   - the wallet projection (pl_flush_wallets) is one project_wallets
 *     accepts (extension/batch_decode.h);
 *   - the order manager's invariants hold (om_check_invariants) and a
 *     snapshot of the final state loads back to the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_decode.h"
#include "batchbuf.h"
#include "exchange_wire.h"
#include "fuzzutil.h"
#include "om.h"
#include "pipeline.h"
#include "server.h"
#include "snapshot.h"

static bool
utf8(const char *s, size_t len)
{
	return fz_utf8_valid(s, len);
}

static void
check_batch(const batchbuf *bb)
{
	pgx_batch_reader r;
	pgx_record rec;
	const char *why = pgx_batch_reader_init(&r, bb->buf, bb->len);
	bool known;
	int rc;

	FZ_CHECK(why == NULL, "matchd built a batch append_batch refuses: %s", why);
	while ((rc = pgx_batch_reader_next(&r, &rec, &why, &known)) > 0)
		for (int i = 0; i < PGX_S__COUNT; i++)
		{
			pgx_str s = rec.strs[i];

			if (s.len == PGX_STR_NULL)
				continue;
			FZ_CHECK(fz_utf8_valid(s.ptr, s.len),
			         "seq %lld idx %d: string %d is not valid text", (long long)rec.seq,
			         rec.idx, i);
			FZ_CHECK(i != PGX_S_DETAIL || fz_json_valid(s.ptr, s.len),
			         "seq %lld idx %d: the detail is not JSON: %.*s", (long long)rec.seq,
			         rec.idx, (int)s.len, s.ptr);
		}
	FZ_CHECK(rc == 0, "matchd built a batch append_batch refuses: %s (record %u)", why,
	         r.n + 1);
}

static void
check_wallets(const uint8_t *buf, size_t len, int entries)
{
	uint32_t count;
	size_t off;
	const char *why = pgx_wallets_begin(buf, len, &count, &off);
	pgx_wallet_entry e;

	FZ_CHECK(why == NULL, "wallet projection refused: %s", why);
	FZ_CHECK((int)count == entries, "%u wallet entries, pl_flush_wallets said %d", count,
	         entries);
	for (uint32_t i = 0; i < count; i++)
	{
		why = pgx_wallets_entry(buf, len, &off, &e, utf8);
		FZ_CHECK(why == NULL, "wallet entry %u refused: %s", i, why);
	}
	FZ_CHECK(off == len, "bytes after the last wallet entry");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pipeline *pl = pl_create(&FZ_CFG), *rp;
	batchbuf bb, scratch;
	uint8_t *wallets = NULL, *snap = NULL, *snap2 = NULL;
	size_t wcap = 0, wlen = 0, slen, slen2, off = 0;
	int64_t ts = FZ_T0, records = 0, commands = 0;
	char why[256];
	pl_error err;
	int n;

	if (pl == NULL || bb_init(&bb, 0) != 0 || bb_init(&scratch, 0) != 0)
		abort();
	pl_set_position(pl, 0, 0, FZ_DAY);
	for (;;)
	{
		uint32_t length;
		uint16_t type;
		uint64_t id;
		pgx_str role;
		pgx_record req, cmd;
		pl_result res;
		int64_t before;

		if (server_next_frame(data + off, size - off, &length, &type, &id) <= 0)
			break;
		ts += (int64_t)(id & ((UINT64_C(1) << 40) - 1));
		if (type == PGX_MSG_REQUEST &&
		    pgx_decode_request(data + off + PGX_FRAME_HEADER, length - PGX_FRAME_HEADER,
		                       &role, &req))
		{
			before = pl_last_seq(pl);
			if (pl_stamp(pl, role, &req, ts, &cmd, &err) != 0)
				FZ_CHECK(pl_last_seq(pl) == before, "a refused request took seq %lld",
				         (long long)pl_last_seq(pl));
			else
			{
				if (pl_apply(pl, &cmd, &bb, &res, &err) != 0)
					fz_fail("pl_apply failed after pl_stamp (matchd would die): %s %s",
					        err.sqlstate, err.message);
				commands++;
			}
		}
		off += length;
	}
	if ((n = pl_flush_wallets(pl, &wallets, &wcap, &wlen)) < 0)
		abort();
	if (n > 0)
		check_wallets(wallets, wlen, n);
	FZ_CHECK(om_check_invariants(pl_om(pl), why, sizeof(why)) == 0, "om invariant: %s",
	         why);

	if (commands > 0)
	{
		int64_t replayed;

		bb_finish(&bb);
		check_batch(&bb);
		rp = pl_create(&FZ_CFG);
		if (rp == NULL)
			abort();
		pl_set_position(rp, 0, 0, FZ_DAY);
		replayed = pl_replay(rp, bb.buf, bb.len, &scratch, &records, &err);
		FZ_CHECK(replayed == commands, "replay of %lld commands gave %lld: %s %s",
		         (long long)commands, (long long)replayed, err.sqlstate, err.message);
		FZ_CHECK(records == (int64_t)bb.records, "replay produced %lld records of %u",
		         (long long)records, bb.records);
		FZ_CHECK(pl_state_hash(rp) == pl_state_hash(pl) &&
		             pl_om_hash(rp) == pl_om_hash(pl),
		         "replay reached another state");
		pl_destroy(rp);

		/* a snapshot of any state reached loads back to the same bytes */
		if (snap_save(pl, &snap, &slen) != 0)
			abort();
		rp = snap_load(&FZ_CFG, snap, slen, why, sizeof(why));
		FZ_CHECK(rp != NULL, "the snapshot of a live state is refused: %s", why);
		if (snap_save(rp, &snap2, &slen2) != 0)
			abort();
		FZ_CHECK(slen2 == slen && memcmp(snap, snap2, slen) == 0,
		         "save(load(snapshot)) differs");
		pl_destroy(rp);
		free(snap);
		free(snap2);
	}
	free(wallets);
	bb_free(&bb);
	bb_free(&scratch);
	pl_destroy(pl);
	return 0;
}
