/*
 * books.c - fuzzes the books' section of a snapshot directly:
 * mc_engine_load (daemon/core/snap.c), its validating first pass and its
 * building second pass, without the container and the order manager around
 * it (the snapshot target reaches it too, but behind more structure).
 *
 * Input: a BOOK section (mc_engine_save bytes); seeds from the tests'
 * sessions.  The engine has FZ_CFG's capacities.
 *
 * Invariants beyond "no crash, no leak, no UB":
 *   - a refused load leaves the engine empty (no symbol, no order) and it
 *     can load a valid section afterwards;
 *   - one encoding per state: a section that loads saves back
 *     (mc_engine_save_format, in the format it was loaded from: 1 before
 *     post-only, GTD and stops, or the current one) to exactly its bytes;
 *   - loading is deterministic: two engines loaded from the same bytes have
 *     the same state hash.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fuzzutil.h"

static mc_engine *
engine(void)
{
	mc_engine_config cfg = {.max_symbols = FZ_CFG.max_symbols,
	                        .max_orders = FZ_CFG.max_orders,
	                        .max_levels = FZ_CFG.max_levels};
	mc_engine *e = mc_engine_create(&cfg);

	if (e == NULL)
		abort();
	return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_engine *e = engine();
	int rc = mc_engine_load(e, data, size);

	if (rc != MC_SNAP_OK)
	{
		static const uint8_t empty[8] = {MC_SNAP_FORMAT, 0, 0, 0, 0, 0, 0, 0};

		FZ_CHECK(mc_engine_order_count(e) == 0, "a refused load left orders");
		for (uint32_t i = 0; i < FZ_CFG.max_symbols; i++)
			FZ_CHECK(mc_engine_status(e, i) < 0, "a refused load left symbol %u", i);
		FZ_CHECK(mc_engine_load(e, empty, sizeof(empty)) == MC_SNAP_OK,
		         "the engine cannot load after a refusal");
	}
	else
	{
		uint32_t format = data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
		                  (uint32_t)data[3] << 24;
		size_t n = mc_engine_save_format(e, NULL, 0, format);
		uint8_t *out = malloc(n ? n : 1);
		mc_engine *e2 = engine();

		if (out == NULL)
			abort();
		FZ_CHECK(n == size, "save(load(x)) is %zu bytes, x %zu (format %u)", n, size,
		         format);
		FZ_CHECK(mc_engine_save_format(e, out, n, format) == n &&
		             memcmp(out, data, n) == 0,
		         "save(load(x)) != x");
		FZ_CHECK(mc_engine_load(e2, data, size) == MC_SNAP_OK &&
		             mc_engine_hash(e2) == mc_engine_hash(e),
		         "load is not deterministic");
		/* and in the current format, to the same state */
		if (format != MC_SNAP_FORMAT)
		{
			size_t m = mc_engine_save(e, NULL, 0);
			uint8_t *cur = malloc(m);
			mc_engine *e3 = engine();

			if (cur == NULL)
				abort();
			mc_engine_save(e, cur, m);
			FZ_CHECK(mc_engine_load(e3, cur, m) == MC_SNAP_OK &&
			             mc_engine_hash(e3) == mc_engine_hash(e),
			         "a format-1 section does not convert to the same state");
			mc_engine_destroy(e3);
			free(cur);
		}
		mc_engine_destroy(e2);
		free(out);
	}
	mc_engine_destroy(e);
	return 0;
}
