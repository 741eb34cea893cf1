/*
 * jsonkv.h - reads members of the flat JSON objects in journal details.
 *
 * The details matchd reads back ({"role": .., "currency": "USD", ..}) are
 * flat objects of strings, numbers, true/false and null, written by the
 * extension and matchd itself.  Replay reads them from the journal, so the
 * reader is strict and pure: a detail it cannot read makes the command's
 * parameters invalid rather than guessed.
 */
#ifndef MJ_JSONKV_H
#define MJ_JSONKV_H

#include <stdint.h>

#include "exchange_wire.h"

enum
{
	JKV_FOUND = 0,
	JKV_ABSENT = 1,    /* no such key (or its value is null) */
	JKV_MALFORMED = -1 /* not a flat object, or the value has the wrong type */
};

/* An integer member (no fraction or exponent, fits int64). */
int jkv_int(pgx_str json, const char *key, int64_t *out);
/* A true/false member: *out 1 or 0. */
int jkv_bool(pgx_str json, const char *key, int *out);
/* A string member without escapes; *out points into json. */
int jkv_str(pgx_str json, const char *key, pgx_str *out);

#endif
