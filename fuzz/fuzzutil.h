/*
 * fuzzutil.h - helpers shared by the fuzz targets and the seed generator.
 *
 * Test code: independent reference checks (UTF-8, strict JSON) written from
 * the RFCs, not from the code under test, so that a target can compare the
 * decoder with them; and the pipeline the targets run requests through.
 */
#ifndef FZ_FUZZUTIL_H
#define FZ_FUZZUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

/* Prints the broken invariant and aborts (libFuzzer saves the input). */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#define FZ_CHECK(cond, ...)                                                              \
	do                                                                                   \
	{                                                                                    \
		if (!(cond))                                                                     \
			fz_fail(__VA_ARGS__);                                                        \
	} while (0)

/* Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) and
 * no NUL, which PostgreSQL text cannot hold. */
bool fz_utf8_valid(const char *s, size_t len);

/* A JSON text (RFC 8259) as PostgreSQL's json_in accepts it: one value,
 * whitespace around it, nesting at most 1000 deep. */
bool fz_json_valid(const char *s, size_t len);

/* The capacities the pipeline targets run with (small: fast, and capacity
 * errors are reached). */
extern const pl_config FZ_CFG;

/* The trading day and time the seeds and targets start at. */
#define FZ_DAY 9823
#define FZ_T0  848766600000000LL

/* A byte source over the fuzzer's input: zeros once it is used up. */
typedef struct fz_input
{
	const uint8_t *p;
	size_t len;
	size_t off;
} fz_input;

uint8_t fz_u8(fz_input *in);
uint16_t fz_u16(fz_input *in);
/* The next n bytes (fewer at the end: *got says how many). */
const uint8_t *fz_bytes(fz_input *in, size_t n, size_t *got);

#endif
