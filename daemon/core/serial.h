/*
 * serial.h - little-endian writer and reader for state snapshots.
 *
 * Snapshots are bytes that another build, on another host, must read back to
 * the very same state, and two snapshots of the same state must be the same
 * bytes.  So every value is written explicitly, byte by byte, little-endian,
 * never as raw struct memory (no padding, pointers or host byte order).
 *
 * The writer counts what it would write even past its capacity: one pass with
 * a NULL buffer measures the exact size, a second pass with that much memory
 * writes it, and both passes run the same code, so they cannot disagree.
 * The reader never reads past its end: a short read sets `bad` and returns
 * zeros, and the caller checks `bad` once per record.
 *
 * Header-only and pure (no I/O, no allocation): the core, the order manager
 * and matchd's snapshot container share it.
 */
#ifndef MC_SERIAL_H
#define MC_SERIAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct mc_wbuf
{
	uint8_t *p; /* NULL: only count */
	size_t cap;
	size_t len; /* bytes written or counted; may exceed cap */
} mc_wbuf;

typedef struct mc_rbuf
{
	const uint8_t *p;
	size_t len;
	size_t off;
	int bad; /* a read ran past the end */
} mc_rbuf;

static inline void
mc_put_bytes(mc_wbuf *w, const void *src, size_t n)
{
	if (w->p != NULL && w->len + n <= w->cap)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static inline void
mc_put_u64(mc_wbuf *w, uint64_t v)
{
	if (w->p != NULL && w->len + 8 <= w->cap)
		for (int i = 0; i < 8; i++)
			w->p[w->len + (size_t)i] = (uint8_t)(v >> (8 * i));
	w->len += 8;
}

static inline void
mc_put_u32(mc_wbuf *w, uint32_t v)
{
	if (w->p != NULL && w->len + 4 <= w->cap)
		for (int i = 0; i < 4; i++)
			w->p[w->len + (size_t)i] = (uint8_t)(v >> (8 * i));
	w->len += 4;
}

static inline void
mc_put_u8(mc_wbuf *w, uint8_t v)
{
	if (w->p != NULL && w->len + 1 <= w->cap)
		w->p[w->len] = v;
	w->len += 1;
}

static inline void
mc_put_i64(mc_wbuf *w, int64_t v)
{
	mc_put_u64(w, (uint64_t)v);
}

static inline const uint8_t *
mc_get_bytes(mc_rbuf *r, size_t n)
{
	const uint8_t *q;

	if (r->len - r->off < n)
	{
		r->bad = 1;
		r->off = r->len;
		return NULL;
	}
	q = r->p + r->off;
	r->off += n;
	return q;
}

static inline uint64_t
mc_get_u64(mc_rbuf *r)
{
	const uint8_t *q = mc_get_bytes(r, 8);
	uint64_t v = 0;

	if (q != NULL)
		for (int i = 0; i < 8; i++)
			v |= (uint64_t)q[i] << (8 * i);
	return v;
}

static inline uint32_t
mc_get_u32(mc_rbuf *r)
{
	const uint8_t *q = mc_get_bytes(r, 4);
	uint32_t v = 0;

	if (q != NULL)
		for (int i = 0; i < 4; i++)
			v |= (uint32_t)q[i] << (8 * i);
	return v;
}

static inline uint8_t
mc_get_u8(mc_rbuf *r)
{
	const uint8_t *q = mc_get_bytes(r, 1);

	return q ? q[0] : 0;
}

static inline int64_t
mc_get_i64(mc_rbuf *r)
{
	return (int64_t)mc_get_u64(r);
}

#endif
