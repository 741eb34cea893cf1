/*
 * snapshot.c - fuzzes matchd's snapshots on load: snap_load
 * (daemon/pipeline/snapshot.c) with its section table, the PIPE and NAME
 * sections, the books (daemon/core/snap.c, mc_engine_load) and the order
 * manager (om_load, daemon/pipeline/om_snap.c), and the checks that the parts agree.
 *
 * Input: a snapshot WITHOUT its SHA-256 trailer; the target appends the
 * digest, so that the fuzzer reaches the decoders behind the checksum (a
 * flipped byte with the trailer kept is refused by the checksum alone:
 * test_snapshot proves that).  Inputs whose first byte is 0xFF are passed
 * through as they are (trailer included), for the container's own checks.
 * Seeds: snapshots of the tests' sessions after each close (fuzz/seeds.c).
 *
 * Invariants beyond "no crash, no leak, no UB":
 *   - one encoding per state: a snapshot that loads saves back (snap_save,
 *     in the version it was loaded from) to exactly its bytes, but for the
 *     capacities other than --max-orders/--max-levels, which are the loading
 *     matchd's (snapshot.h);
 *   - a loaded state is consistent: the order manager's invariants hold
 *     (om_check_invariants) and it has as many open orders as the books;
 *   - a refusal says why (a non-empty message).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "om.h"
#include "pipeline.h"
#include "sha256.h"
#include "snapshot.h"

/* Where the PIPE section (its five capacities first) starts: after the magic,
 * version, section count and the table of four sections. */
#define PIPE_CAPS (8 + 4 + 4 + 4 * 12)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *blob, *again = NULL;
	size_t len, again_len;
	char why[256] = "";
	pipeline *pl;

	if (size > 0 && data[0] == 0xFF)
	{
		blob = malloc(size ? size : 1);
		if (blob == NULL)
			abort();
		memcpy(blob, data, size);
		len = size;
	}
	else
	{
		len = size + SHA256_LEN;
		if ((blob = malloc(len)) == NULL)
			abort();
		memcpy(blob, data, size);
		sha256(blob, size, blob + size);
	}
	pl = snap_load(&FZ_CFG, blob, len, why, sizeof(why));
	if (pl == NULL)
		FZ_CHECK(why[0] != '\0', "refused without a reason");
	else
	{
		uint32_t version = snap_version(blob, len);

		FZ_CHECK(om_check_invariants(pl_om(pl), why, sizeof(why)) == 0,
		         "a loaded state breaks an invariant: %s", why);
		FZ_CHECK(om_open_orders(pl_om(pl)) == pl_open_orders(pl), "open orders disagree");
		FZ_CHECK(snap_save_as(pl, version, &again, &again_len) == 0,
		         "a loaded state does not save in version %u", version);
		/* the capacities besides --max-orders/--max-levels are this matchd's
		 * (snapshot.h: they need only hold the state): compare the rest */
		if (again_len == len && len >= PIPE_CAPS + 20 + SHA256_LEN)
		{
			memcpy(again + PIPE_CAPS, blob + PIPE_CAPS, 20);
			sha256(again, again_len - SHA256_LEN, again + again_len - SHA256_LEN);
		}
		FZ_CHECK(again_len == len && memcmp(again, blob, len) == 0,
		         "save(load(x)) != x (%zu bytes, %zu saved)", len, again_len);
		free(again);
		pl_destroy(pl);
	}
	free(blob);
	return 0;
}
