/*
 * mdquery.h - answers market-data queries (L1, L2, L3, candles) from the
 * pipeline's state, as reply frames of include/exchange_wire.h.
 *
 * Pure: it reads the books, the names and the candle rings and writes bytes.
 * The reply describes the state after the last stamped command; matchd holds
 * it back until that command has committed (main.c), so no snapshot shows
 * what the journal could still lose.
 */
#ifndef MJ_MDQUERY_H
#define MJ_MDQUERY_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "exchange_wire.h"
#include "mdata.h"
#include "pipeline.h"

/* Scratch memory of the queries, reused from one query to the next. */
typedef struct mdq_scratch
{
	uint8_t *buf; /* the reply frame */
	size_t cap;
	mc_level_info *levels;
	size_t levels_cap;
	mc_order_info *orders;
	size_t orders_cap;
	md_candle *candles;
	size_t candles_cap;
} mdq_scratch;

void mdq_scratch_free(mdq_scratch *s);

/*
 * Writes the reply to q into s->buf and returns its length (0 when memory
 * ran out).  Errors (unknown symbol, bad depth or resolution) are replies
 * too, with outcome ERROR; *is_error tells them apart, since they describe
 * no state and need not wait for a commit.
 */
size_t mdq_reply(const pipeline *pl, uint64_t request_id, const pgx_md_query *q,
                 mdq_scratch *s, int *is_error);

#endif
