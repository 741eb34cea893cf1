/*
 * replay.c - fuzzes the journal batches matchd reads back from the database
 * at recovery (exchange.read_batch): pl_replay (daemon/pipeline/pipeline.c)
 * decodes each record (include/exchange_wire.h), applies each command
 * record (pl_apply: records.c's mj_record_command, the order manager's
 * detail parsing, the core) and compares the bytes; and records.c's
 * record -> command / event translations on every record of the batch.
 *
 * Input: a journal batch, seeds from the tests' sessions (one batch per
 * session, all of it from seq 1, so a replay of a seed goes all the way).
 *
 * Invariants beyond "no crash, no leak, no UB":
 *   - replay is deterministic: the same batch on a second new pipeline
 *     gives the same result and the same state hashes;
 *   - records.c's round trip is the identity (records.h): a command (idx 0)
 *     or event (idx > 0) read from a record, when it translates back to a
 *     record (mj_command_record / mj_event_record; a journal may hold
 *     commands the core refuses, which no struct encodes), gives the very
 *     same struct again.
 */
#include <stdlib.h>
#include <string.h>

#include "batchbuf.h"
#include "exchange_wire.h"
#include "fuzzutil.h"
#include "names.h"
#include "pipeline.h"
#include "records.h"

static void
records_round_trip(const uint8_t *data, size_t size)
{
	mj_registry reg;
	mj_names names;
	const uint8_t *p = data + PGX_BATCH_HEADER;
	uint32_t count, id;

	if (pgx_decode_header(data, size, &count) != PGX_DECODE_OK)
		return;
	if (mj_registry_init(&reg, 64, 64) != 0)
		abort();
	names = mj_registry_names(&reg);
	while (p < data + size)
	{
		pgx_record r, back;
		size_t used;
		pgx_str sym, acct, contra;

		if (pgx_decode_record(p, (size_t)(data + size - p), &r, &used) != PGX_DECODE_OK)
			break;
		p += used;
		/* every name the record uses is known (as matchd's registry knows them) */
		sym = r.strs[PGX_S_SYMBOL];
		acct = r.strs[PGX_S_ACCOUNT];
		contra = r.strs[PGX_S_CONTRA_ACCOUNT];
		if (sym.len != PGX_STR_NULL)
			(void)mj_table_add(&reg.symbols, sym.ptr, sym.len, &id);
		if (acct.len != PGX_STR_NULL)
			(void)mj_table_add(&reg.accounts, acct.ptr, acct.len, &id);
		if (contra.len != PGX_STR_NULL)
			(void)mj_table_add(&reg.accounts, contra.ptr, contra.len, &id);
		if (r.idx == 0)
		{
			mc_command c, c2;
			char detail[128];
			int rc;

			if (mj_record_command(&r, &names, &c) != MJ_OK)
				continue;
			/* a journal may hold commands the core refuses (a new order
			 * without a side is journaled, then rejected: bad_side), which
			 * no mc_command encodes: the identity is for those that do */
			rc = mj_command_record(&c, r.trading_day, &names, &back);
			/* a new order's options travel in its detail, as matchd writes it */
			if (rc == MJ_OK && c.kind == MC_CMD_NEW)
				rc = mj_new_order_detail(&c, detail, sizeof(detail),
				                         &back.strs[PGX_S_DETAIL]);
			if (rc != MJ_OK)
				continue;
			FZ_CHECK(mj_record_command(&back, &names, &c2) == MJ_OK &&
			             memcmp(&c, &c2, sizeof(c)) == 0,
			         "seq %lld: command -> record -> command is not the identity",
			         (long long)r.seq);
		}
		else
		{
			mc_event ev, ev2;
			int rc;

			if (mj_record_event(&r, &names, &ev) != MJ_OK)
				continue;
			rc = mj_event_record(&ev, r.trading_day, &names, &back);
			if (rc != MJ_OK)
				continue;
			FZ_CHECK(mj_record_event(&back, &names, &ev2) == MJ_OK &&
			             memcmp(&ev, &ev2, sizeof(ev)) == 0,
			         "seq %lld idx %d: event -> record -> event is not the identity",
			         (long long)r.seq, r.idx);
		}
	}
	mj_registry_free(&reg);
}

static int64_t
replay(const uint8_t *data, size_t size, uint64_t *hash, uint64_t *om_hash)
{
	pipeline *pl = pl_create(&FZ_CFG);
	batchbuf scratch;
	int64_t records = 0, rc;
	pl_error err;

	if (pl == NULL || bb_init(&scratch, 0) != 0)
		abort();
	pl_set_position(pl, 0, 0, FZ_DAY);
	rc = pl_replay(pl, data, size, &scratch, &records, &err);
	*hash = pl_state_hash(pl);
	*om_hash = pl_om_hash(pl);
	bb_free(&scratch);
	pl_destroy(pl);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h1, h2, o1, o2;
	int64_t rc1 = replay(data, size, &h1, &o1);
	int64_t rc2 = replay(data, size, &h2, &o2);

	FZ_CHECK(rc1 == rc2 && h1 == h2 && o1 == o2, "replay is not deterministic");
	records_round_trip(data, size);
	return 0;
}
