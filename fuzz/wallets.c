/*
 * wallets.c - fuzzes the wallet projections append_batch() is given (PWL1,
 * include/exchange_wire.h): extension/wallets.c's project_wallets decodes
 * them with pgx_wallets_begin / pgx_wallets_entry and reduces them with
 * pgx_wallets_reduce (extension/batch_decode.h), all run here as there, with
 * a UTF-8 check standing for pg_verify_mbstr in a UTF8 database.
 *
 * Input: a PWL1 buffer, seeds from the tests' sessions.
 *
 * Invariants beyond "no crash, no leak, no UB":
 *   - a failing entry leaves the offset where it was;
 *   - accepted entries are what the format promises: a known asset, code
 *     valid non-empty text, an account (valid non-empty text) unless a fee,
 *     which has no account and holds 0;
 *   - decode -> encode is the identity (pgx_encode_wallet_entry gives back
 *     the buffer byte for byte);
 *   - the reduction keeps exactly one entry per wallet, the last of the
 *     buffer, sorted strictly by wallet (the lock order of the upserts).
 */
#include <stdlib.h>
#include <string.h>

#include "batch_decode.h"
#include "fuzzutil.h"

static bool
utf8(const char *s, size_t len)
{
	return fz_utf8_valid(s, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t count, n;
	size_t off, before;
	const char *why;
	pgx_wallet_slot *slots;
	uint8_t *out;
	size_t out_off = PGX_WALLETS_HEADER;

	if (pgx_wallets_begin(data, size, &count, &off) != NULL)
		return 0;
	FZ_CHECK((uint64_t)count * PGX_WALLET_ENTRY_MIN <= size, "count not bounded");
	slots = malloc(sizeof(*slots) * (count ? count : 1));
	out = malloc(size);
	if (slots == NULL || out == NULL)
		abort();
	pgx_encode_wallets_header(out, count);
	for (n = 0; n < count; n++)
	{
		pgx_wallet_entry *e = &slots[n].e;

		before = off;
		if ((why = pgx_wallets_entry(data, size, &off, e, utf8)) != NULL)
		{
			FZ_CHECK(off == before, "a failing entry moved the offset");
			break;
		}
		slots[n].position = n;
		FZ_CHECK(e->asset >= PGX_ASSET_CASH && e->asset <= PGX_ASSET_FEES, "asset");
		FZ_CHECK(e->code.len != PGX_STR_NULL && e->code.len > 0 &&
		             fz_utf8_valid(e->code.ptr, e->code.len),
		         "code");
		if (e->asset == PGX_ASSET_FEES)
			FZ_CHECK(e->account.len == PGX_STR_NULL && e->held == 0, "fee entry");
		else
			FZ_CHECK(e->account.len != PGX_STR_NULL && e->account.len > 0 &&
			             fz_utf8_valid(e->account.ptr, e->account.len),
			         "account");
		FZ_CHECK(pgx_wallet_entry_size(e) == off - before, "entry size disagrees");
		FZ_CHECK(pgx_encode_wallet_entry(out + out_off, e) == off - before,
		         "entry re-encodes to another length");
		out_off += off - before;
	}
	if (n == count && off == size)
	{
		uint32_t kept;

		FZ_CHECK(memcmp(out, data, size) == 0,
		         "the projection re-encodes to other bytes");
		kept = pgx_wallets_reduce(slots, count);
		FZ_CHECK(kept <= count && (count == 0 || kept > 0), "reduced to %u of %u", kept,
		         count);
		for (uint32_t i = 0; i < kept; i++)
		{
			/* the latest: no later entry of the buffer is of the same wallet */
			const uint8_t *p = data + PGX_WALLETS_HEADER;
			pgx_wallet_entry e;

			FZ_CHECK(i == 0 || pgx_wallet_compare_slots(&slots[i - 1], &slots[i]) < 0,
			         "not sorted");
			FZ_CHECK(i == 0 || !pgx_wallet_same(&slots[i - 1].e, &slots[i].e),
			         "a wallet twice");
			for (uint32_t k = 0; k < count; k++)
			{
				if (!pgx_decode_wallet_entry(&p, data + size, &e))
					fz_fail("entry %u does not decode again", k);
				FZ_CHECK(k <= slots[i].position || !pgx_wallet_same(&e, &slots[i].e),
				         "entry %u of a wallet kept from %u", k, slots[i].position);
			}
		}
	}
	free(slots);
	free(out);
	return 0;
}
