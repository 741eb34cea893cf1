/*
 * frame.c - fuzzes the bytes matchd reads from its order-entry socket:
 * server_next_frame() (daemon/matchd/server.c, the loop of server_read) cuts
 * the stream into frames, and each frame is decoded the way main.c's
 * on_frame does: pgx_decode_request() for PGX_MSG_REQUEST,
 * pgx_decode_md_query() for PGX_MSG_MD_QUERY (include/exchange_wire.h).
 *
 * Input: the bytes of one connection, as they arrive.
 *
 * Invariants beyond "no crash, no leak, no UB":
 *   - framing: a frame is at least a header and at most PGX_FRAME_MAX bytes,
 *     never extends past what was read, and the frames tile the stream; the
 *     result does not depend on how the bytes were split into reads (the
 *     stream is framed again after every possible first-read length up to
 *     64: a frame is handed over only when whole);
 *   - decode -> encode is the identity: an accepted request re-encodes
 *     (pgx_encode_request) to exactly the frame's bytes, an accepted
 *     market-data query (pgx_encode_md_query) too: one value, one encoding,
 *     and nothing accepted that the extension could not have sent;
 *   - strings of an accepted request point inside the frame's body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_wire.h"
#include "fuzzutil.h"
#include "server.h"

static uint8_t out[PGX_FRAME_MAX];

static void
check_str(pgx_str s, const uint8_t *body, size_t len, const char *what)
{
	if (s.len == PGX_STR_NULL)
		return;
	FZ_CHECK(s.len == 0 || ((const uint8_t *)s.ptr >= body &&
	                        (const uint8_t *)s.ptr + s.len <= body + len),
	         "%s points outside the frame", what);
}

static void
on_frame(const uint8_t *frame, uint32_t length, uint16_t type, uint64_t id)
{
	const uint8_t *body = frame + PGX_FRAME_HEADER;
	size_t len = length - PGX_FRAME_HEADER;

	if (type == PGX_MSG_REQUEST)
	{
		pgx_str role;
		pgx_record rec;
		size_t n;

		if (!pgx_decode_request(body, len, &role, &rec))
			return;
		check_str(role, body, len, "role");
		for (int i = 0; i < PGX_S__COUNT; i++)
			check_str(rec.strs[i], body, len, "a record string");
		n = pgx_encode_request(out, id, role, &rec);
		FZ_CHECK(n == length, "request of %u bytes re-encodes to %zu (role %u bytes)",
		         length, n, role.len);
		FZ_CHECK(memcmp(out, frame, n) == 0, "request re-encodes to other bytes");
	}
	else if (type == PGX_MSG_MD_QUERY)
	{
		pgx_md_query q;
		size_t n;

		if (!pgx_decode_md_query(body, len, &q))
			return;
		check_str(q.symbol, body, len, "symbol");
		n = pgx_encode_md_query(out, id, &q);
		FZ_CHECK(n == length, "query of %u bytes re-encodes to %zu", length, n);
		FZ_CHECK(memcmp(out, frame, n) == 0, "query re-encodes to other bytes");
	}
}

/* Frames data[0..size) as server_read does when the first read brought
 * `first` bytes and the next one the rest; returns the frames and fills
 * ends[] with where each ended (or -1 where the connection was dropped). */
static int
frame_all(const uint8_t *data, size_t size, size_t first, long *ends, int cap, int decode)
{
	size_t off = 0, have = first < size ? first : size;
	int n = 0;

	for (int read = 0; read < 2; read++)
	{
		for (;;)
		{
			uint32_t length;
			uint16_t type;
			uint64_t id;
			int rc = server_next_frame(data + off, have - off, &length, &type, &id);

			if (rc < 0)
			{
				if (n < cap)
					ends[n] = -1;
				return n + 1;
			}
			if (rc == 0)
				break;
			FZ_CHECK(length >= PGX_FRAME_HEADER && length <= PGX_FRAME_MAX &&
			             length <= have - off,
			         "frame of %u bytes with %zu available", length, have - off);
			if (decode)
				on_frame(data + off, length, type, id);
			off += length;
			if (n < cap)
				ends[n] = (long)off;
			n++;
		}
		have = size;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long want[64], got[64];
	int n = frame_all(data, size, size, want, 64, 1);

	for (size_t first = 0; first <= 64 && first < size; first++)
	{
		int m = frame_all(data, size, first, got, 64, 0);

		FZ_CHECK(m == n, "%d frames in one read, %d after a first read of %zu", n, m,
		         first);
		for (int i = 0; i < n && i < 64; i++)
			FZ_CHECK(got[i] == want[i],
			         "frame %d ends elsewhere after a first read of %zu", i, first);
	}
	return 0;
}
