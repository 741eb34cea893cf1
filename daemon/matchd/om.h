/*
 * om.h - the order manager hook.
 *
 * Between the gateway and the sequencer the seed puts an order manager that
 * checks every order against the account's wallet and risk limits.  This is
 * where it plugs in: called for every request after matchd's own checks and
 * before the sequencer stamps it.  Today it passes everything through (the
 * order-manager issue fills it: KYC, wallets, limits, hours, rate limits).
 */
#ifndef MJ_OM_H
#define MJ_OM_H

#include "exchange_wire.h"

/* 0 to let the request through; otherwise -1 with sqlstate/message set. */
int om_check(pgx_str role, const pgx_record *req, char sqlstate[6], char *message,
             size_t message_size);

#endif
