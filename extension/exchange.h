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

#include "utils/numeric.h"

#include "exchange_wire.h"

#define ERRCODE_PGX_STALE_EPOCH     MAKE_SQLSTATE('P', 'X', '0', '0', '1')
#define ERRCODE_PGX_SEQ_GAP         MAKE_SQLSTATE('P', 'X', '0', '0', '2')
#define ERRCODE_PGX_DUPLICATE_SEQ   MAKE_SQLSTATE('P', 'X', '0', '0', '3')
#define ERRCODE_PGX_UNKNOWN_STREAM  MAKE_SQLSTATE('P', 'X', '0', '0', '4')
#define ERRCODE_PGX_MALFORMED_BATCH MAKE_SQLSTATE('P', 'X', '0', '0', '5')
#define ERRCODE_PGX_DAY_REGRESSION  MAKE_SQLSTATE('P', 'X', '0', '0', '6')
#define ERRCODE_PGX_PRICE_OFF_TICK  MAKE_SQLSTATE('P', 'X', '0', '1', '0')
#define ERRCODE_PGX_BAD_PRICE       MAKE_SQLSTATE('P', 'X', '0', '1', '1')
#define ERRCODE_PGX_BAD_QUANTITY    MAKE_SQLSTATE('P', 'X', '0', '1', '2')
#define ERRCODE_PGX_OFF_LOT         MAKE_SQLSTATE('P', 'X', '0', '1', '3')
#define ERRCODE_PGX_UNKNOWN_SYMBOL  MAKE_SQLSTATE('P', 'X', '0', '2', '0')
#define ERRCODE_PGX_UNKNOWN_ACCOUNT MAKE_SQLSTATE('P', 'X', '0', '2', '1')
#define ERRCODE_PGX_SYMBOL_EXISTS   MAKE_SQLSTATE('P', 'X', '0', '2', '2')
#define ERRCODE_PGX_ACCOUNT_EXISTS  MAKE_SQLSTATE('P', 'X', '0', '2', '3')
#define ERRCODE_PGX_UNKNOWN_ORDER   MAKE_SQLSTATE('P', 'X', '0', '3', '0')
#define ERRCODE_PGX_UNAVAILABLE     MAKE_SQLSTATE('P', 'X', '0', '4', '0')
#define ERRCODE_PGX_FATE_UNKNOWN    MAKE_SQLSTATE('P', 'X', '0', '4', '1')
#define ERRCODE_PGX_PROTOCOL        MAKE_SQLSTATE('P', 'X', '0', '4', '2')
/*
 * Refusals of matchd's order manager (1.2), from the strings matchd uses
 * (exchange_wire.h), so that both sides name each condition alike.
 */
#define PGX_ERRCODE(s)                  MAKE_SQLSTATE((s)[0], (s)[1], (s)[2], (s)[3], (s)[4])
#define ERRCODE_PGX_MARKET_CLOSED       PGX_ERRCODE(PGX_SQLSTATE_MARKET_CLOSED)
#define ERRCODE_PGX_SYMBOL_HALTED       PGX_ERRCODE(PGX_SQLSTATE_SYMBOL_HALTED)
#define ERRCODE_PGX_KYC_NOT_VERIFIED    PGX_ERRCODE(PGX_SQLSTATE_KYC_NOT_VERIFIED)
#define ERRCODE_PGX_ACCOUNT_SUSPENDED   PGX_ERRCODE(PGX_SQLSTATE_ACCOUNT_SUSPENDED)
#define ERRCODE_PGX_BAD_STATE           PGX_ERRCODE(PGX_SQLSTATE_BAD_STATE)
#define ERRCODE_PGX_INSUFFICIENT_FUNDS  PGX_ERRCODE(PGX_SQLSTATE_INSUFFICIENT_FUNDS)
#define ERRCODE_PGX_INSUFFICIENT_SHARES PGX_ERRCODE(PGX_SQLSTATE_INSUFFICIENT_SHARES)
#define ERRCODE_PGX_BAD_AMOUNT          PGX_ERRCODE(PGX_SQLSTATE_BAD_AMOUNT)
#define ERRCODE_PGX_UNKNOWN_CURRENCY    PGX_ERRCODE(PGX_SQLSTATE_UNKNOWN_CURRENCY)
#define ERRCODE_PGX_MAX_ORDER_QTY       PGX_ERRCODE(PGX_SQLSTATE_MAX_ORDER_QTY)
#define ERRCODE_PGX_MAX_ORDER_NOTIONAL  PGX_ERRCODE(PGX_SQLSTATE_MAX_ORDER_NOTIONAL)
#define ERRCODE_PGX_MAX_DAILY_NOTIONAL  PGX_ERRCODE(PGX_SQLSTATE_MAX_DAILY_NOTIONAL)
#define ERRCODE_PGX_MAX_OPEN_ORDERS     PGX_ERRCODE(PGX_SQLSTATE_MAX_OPEN_ORDERS)
#define ERRCODE_PGX_PRICE_BAND          PGX_ERRCODE(PGX_SQLSTATE_PRICE_BAND)
#define ERRCODE_PGX_NO_COLLAR           PGX_ERRCODE(PGX_SQLSTATE_NO_COLLAR)
#define ERRCODE_PGX_RATE_LIMITED        PGX_ERRCODE(PGX_SQLSTATE_RATE_LIMITED)

/* Largest quantity of one order (shares); the matching core's own bound. */
#define EXCHANGE_MAX_QUANTITY INT64CONST(1000000000)

/* GUCs (exchange.c) */
extern char *exchange_matchd_socket;
extern char *exchange_matchd_stream;
extern int exchange_matchd_timeout;
extern int exchange_rate_limited_nice;

/* ticks.c: price / tick_size exactly; PX010 off the grid, 22003 beyond bigint */
extern int64 exchange_numeric_to_ticks(Numeric price, Numeric tick_size);
/* ticks.c: ticks * tick_size, exact (the scale of tick_size); tick_size checked by the
 * caller */
extern Numeric exchange_ticks_to_numeric(int64 ticks, Numeric tick_size);

#endif /* EXCHANGE_H */
