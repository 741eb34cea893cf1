/*
 * sha256.h - SHA-256 (FIPS 180-4), for matchd's snapshots.
 *
 * PostgreSQL stores sha256(state) beside each snapshot and matchd checks it
 * when it loads one; the snapshot also carries its own SHA-256 trailer.  A
 * small implementation here keeps matchd free of a crypto library dependency.
 * Pure: no I/O, no allocation.
 */
#ifndef MJ_SHA256_H
#define MJ_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

typedef struct sha256_ctx
{
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	uint32_t fill;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
void sha256_final(sha256_ctx *c, uint8_t out[SHA256_LEN]);
/* One call: out = SHA-256(data). */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

#endif
