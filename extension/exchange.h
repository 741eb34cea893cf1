/*
 * exchange.h
 *		Declarations shared by the C files of the `exchange` extension.
 *
 * Error codes: the extension's own SQLSTATEs live in class PX (implementation
 * defined, "pgexchange"); include/exchange_wire.h lists them as strings for the
 * daemon, which reacts to them (a stale epoch means: stop writing).
 */
#ifndef EXCHANGE_H
#define EXCHANGE_H

#include "postgres.h"

#define ERRCODE_PGX_STALE_EPOCH     MAKE_SQLSTATE('P', 'X', '0', '0', '1')
#define ERRCODE_PGX_SEQ_GAP         MAKE_SQLSTATE('P', 'X', '0', '0', '2')
#define ERRCODE_PGX_DUPLICATE_SEQ   MAKE_SQLSTATE('P', 'X', '0', '0', '3')
#define ERRCODE_PGX_UNKNOWN_STREAM  MAKE_SQLSTATE('P', 'X', '0', '0', '4')
#define ERRCODE_PGX_MALFORMED_BATCH MAKE_SQLSTATE('P', 'X', '0', '0', '5')
#define ERRCODE_PGX_DAY_REGRESSION  MAKE_SQLSTATE('P', 'X', '0', '0', '6')
#define ERRCODE_PGX_UNKNOWN_SYMBOL  MAKE_SQLSTATE('P', 'X', '0', '2', '0')
#define ERRCODE_PGX_PRICE_OFF_TICK  MAKE_SQLSTATE('P', 'X', '0', '1', '0')

#endif /* EXCHANGE_H */
