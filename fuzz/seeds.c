/*
 * seeds.c - writes the fuzz targets' seed corpora (fuzz/corpus/<target>/seed-*)
 * from real traffic: the sessions the daemon's tests run (test_snapshot's
 * setup and request mix, daemon/tests/plreq.c's req_random), through matchd's
 * pipeline, with the bytes each decoder is given in production:
 *
 *   request, frame  the connection's bytes: request frames (pgx_encode_request)
 *                   and market-data queries, as the extension sends them
 *   batch, replay   the journal batches the pipeline built (bb_*), one per
 *                   slice of commands (batch) and one per session from seq 1
 *                   (replay: it must start at the beginning)
 *   wallets         pl_flush_wallets after each slice
 *   snapshot        snap_save after each accepted close, without its trailer
 *   books           the books' section (mc_engine_save) of the same states
 *   feed            the UDP payloads matchd's real sender (daemon/matchd/feed.c)
 *                   put on a loopback socket for each committed batch
 *   jsonkv          the details of the journal records, with the keys
 *                   matchd reads
 *
 * Deterministic (fixed seeds); usage: seeds DIR (make -C fuzz seeds).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batchbuf.h"
#include "engine.h"
#include "exchange_wire.h"
#include "feed.h"
#include "fuzzutil.h"
#include "pipeline.h"
#include "plreq.h"
#include "snapshot.h"
#include "testutil.h"

#define DAY_US 86400000000LL

static const char *root;
static int counter[16];

static const char *const targets[] = {"request",  "frame", "batch", "replay", "wallets",
                                      "snapshot", "books", "feed",  "jsonkv"};

static void die(const char *what) __attribute__((noreturn));

static void
die(const char *what)
{
	fprintf(stderr, "seeds: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
emit(int target, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/seed-%03d", root, targets[target],
	         counter[target]++);
	if ((f = fopen(path, "wb")) == NULL || fwrite(buf, 1, len, f) != len ||
	    fclose(f) != 0)
		die(path);
}

enum
{
	T_REQUEST,
	T_FRAME,
	T_BATCH,
	T_REPLAY,
	T_WALLETS,
	T_SNAPSHOT,
	T_BOOKS,
	T_FEED,
	T_JSONKV
};

/* ---- a growable byte string ------------------------------------------------- */

typedef struct bytes
{
	uint8_t *p;
	size_t len, cap;
} bytes;

static void
add(bytes *b, const void *src, size_t n)
{
	if (b->len + n > b->cap)
	{
		b->cap = (b->len + n) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			die("realloc");
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

/* ---- the feed: matchd's sender on loopback ----------------------------------- */

static int rx;
static feed *fd_feed;

static void
feed_open(int64_t epoch)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int rcvbuf = 8 << 20;
	feed_config c;
	char dest[64], err[256];

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket");
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(rx, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(rx, (struct sockaddr *)&sa, &len) != 0)
		die("bind");
	snprintf(dest, sizeof(dest), "127.0.0.1:%u", ntohs(sa.sin_port));
	feed_config_init(&c);
	if (feed_option(&c, FEED_OPT_ADDR, dest) != 0)
		exit(1);
	if ((fd_feed = feed_create(&c, epoch, 0, err, sizeof(err))) == NULL)
	{
		fprintf(stderr, "seeds: %s\n", err);
		exit(1);
	}
}

/* Appends every packet waiting on the socket to b as u16 length + bytes. */
static void
feed_collect(bytes *b)
{
	static uint8_t pkt[65536];
	struct pollfd p = {.fd = rx, .events = POLLIN};

	while (poll(&p, 1, 20) > 0)
	{
		ssize_t n = recv(rx, pkt, sizeof(pkt), 0);
		uint8_t len[2];

		if (n < 0)
			die("recv");
		len[0] = (uint8_t)n;
		len[1] = (uint8_t)(n >> 8);
		add(b, len, 2);
		add(b, pkt, (size_t)n);
	}
}

static void
feed_close(bytes *b)
{
	feed_destroy(fd_feed);
	feed_collect(b);
	close(rx);
}

/* ---- sessions ------------------------------------------------------------------- */

static const req_mix MIX = {.new_order = 500,
                            .cancel = 620,
                            .amend = 700,
                            .deposit = 770,
                            .withdraw = 800,
                            .credit = 840,
                            .debit = 860,
                            .kyc = 875,
                            .suspend = 900,
                            .account_limits = 920,
                            .symbol_limits = 940,
                            .halt = 960,
                            .open = 990};

typedef struct session
{
	pipeline *pl;
	batchbuf slice;   /* the batch of the current slice */
	bytes all;        /* every record since seq 1 (after a header) */
	uint32_t all_n;   /* records in it */
	bytes stream;     /* the connection's bytes */
	bytes packets;    /* the feed's payloads */
	int64_t ts, last; /* the clock, and when the last frame was sent */
	uint8_t *wallets;
	size_t wcap;
} session;

/* Sends r as the extension would (the frame goes to the stream), and runs it;
 * 1 when it was sequenced. */
static int
submit(session *s, const pgx_record *r, pl_result *res)
{
	uint8_t frame[PGX_FRAME_MAX];
	pgx_record cmd;
	pl_error err;
	size_t n;
	pgx_str role = s_("broker_a");

	/* the request id carries the time since the previous frame (request.c) */
	n = pgx_encode_request(frame, (uint64_t)(s->ts - s->last), role, r);
	s->last = s->ts;
	if (n == 0)
	{
		fprintf(stderr, "seeds: a request does not encode\n");
		exit(1);
	}
	add(&s->stream, frame, n);
	if (pl_stamp(s->pl, role, r, s->ts, &cmd, &err) != 0)
		return 0;
	if (pl_apply(s->pl, &cmd, &s->slice, res, &err) != 0)
	{
		fprintf(stderr, "seeds: pl_apply: %s\n", err.message);
		exit(1);
	}
	return 1;
}

/* A market-data query frame into the stream (answered by matchd, not run here). */
static void
query(session *s, uint8_t what, const char *symbol, uint32_t depth, uint32_t resolution)
{
	uint8_t frame[PGX_FRAME_MAX];
	pgx_md_query q = {what, depth, resolution, s_(symbol)};
	size_t n = pgx_encode_md_query(frame, 0, &q);

	add(&s->stream, frame, n);
}

static const char *const detail_keys[] = {"currency",
                                          "tick_value",
                                          "reference_ticks",
                                          "kyc_status",
                                          "role",
                                          "max_order_quantity",
                                          "max_order_notional",
                                          "max_daily_notional",
                                          "max_open_orders",
                                          "orders_per_second",
                                          "burst",
                                          "price_band_bps",
                                          "market_collar_bps",
                                          "maker_fee_bps",
                                          "taker_fee_bps",
                                          "reason",
                                          "broker"};

/* The batch of the slice: seeds of batch, wallets, jsonkv; feed it. */
static void
end_slice(session *s, int emit_seeds)
{
	const uint8_t *p;
	size_t used;
	pgx_record r;
	size_t wlen;
	int n;

	if (s->slice.commands == 0)
		return;
	bb_finish(&s->slice);
	feed_publish(fd_feed, s->slice.buf, s->slice.len);
	feed_collect(&s->packets);
	add(&s->all, s->slice.buf + PGX_BATCH_HEADER, s->slice.len - PGX_BATCH_HEADER);
	s->all_n += s->slice.records;
	if (emit_seeds && s->slice.len < 16384)
		emit(T_BATCH, s->slice.buf, s->slice.len);
	if ((n = pl_flush_wallets(s->pl, &s->wallets, &s->wcap, &wlen)) < 0)
		die("pl_flush_wallets");
	if (emit_seeds && n > 0 && wlen < 16384)
		emit(T_WALLETS, s->wallets, wlen);
	/* every distinct detail of the slice, with each key matchd reads */
	for (p = s->slice.buf + PGX_BATCH_HEADER;
	     emit_seeds && p < s->slice.buf + s->slice.len; p += used)
	{
		pgx_str d;
		static char seen[64][512];
		static int nseen;
		int dup = 0;

		if (pgx_decode_record(p, (size_t)(s->slice.buf + s->slice.len - p), &r, &used) !=
		    PGX_DECODE_OK)
			break;
		d = r.strs[PGX_S_DETAIL];
		if (d.len == PGX_STR_NULL || d.len >= 500)
			continue;
		for (int i = 0; i < nseen; i++)
			dup |= strlen(seen[i]) == d.len && memcmp(seen[i], d.ptr, d.len) == 0;
		if (dup || nseen == 64)
			continue;
		memcpy(seen[nseen], d.ptr, d.len);
		seen[nseen++][d.len] = '\0';
		for (size_t k = 0; k < sizeof(detail_keys) / sizeof(detail_keys[0]); k++)
		{
			bytes b = {0};
			uint8_t klen = (uint8_t)strlen(detail_keys[k]);

			if (strstr(seen[nseen - 1], detail_keys[k]) == NULL && k != 0)
				continue;
			add(&b, &klen, 1);
			add(&b, detail_keys[k], klen);
			add(&b, d.ptr, d.len);
			emit(T_JSONKV, b.p, b.len);
			free(b.p);
		}
	}
	bb_reset(&s->slice);
}

/* A state after a close: a snapshot (without trailer) and its books. */
static void
snapshot_seeds(session *s)
{
	uint8_t *blob, *books;
	size_t len, n = mc_engine_save(pl_engine(s->pl), NULL, 0);

	if (snap_save(s->pl, &blob, &len) != 0 || (books = malloc(n)) == NULL)
		die("snap_save");
	if (len < 65536)
		emit(T_SNAPSHOT, blob, len - 32);
	mc_engine_save(pl_engine(s->pl), books, n);
	if (n < 65536)
		emit(T_BOOKS, books, n);
	free(blob);
	free(books);
}

/* test_snapshot's setup: four symbols (one in EUR), six verified accounts with
 * cash and shares, the market open. */
static void
setup(session *s)
{
	pl_result res;

	for (int i = 0; i < REQ_NSYMBOLS; i++)
	{
		pgx_record r = req_symbol(req_symbols[i]);

		if (i == 3)
			r.strs[PGX_S_DETAIL] = s_("{\"currency\": \"EUR\", \"tick_value\": 5, "
			                          "\"reference_ticks\": 10000}");
		submit(s, &r, &res);
	}
	for (int i = 0; i < REQ_NACCOUNTS; i++)
	{
		pgx_record r = req_account(req_accounts[i]);

		r.strs[PGX_S_DETAIL] = s_("{\"broker\": \"b\", \"kyc_status\": \"verified\"}");
		submit(s, &r, &res);
		r = req_cash(PGX_KIND_DEPOSIT, req_accounts[i], 50000000, "USD");
		submit(s, &r, &res);
		r = req_cash(PGX_KIND_DEPOSIT, req_accounts[i], 50000000, "EUR");
		submit(s, &r, &res);
		for (int k = 0; k < REQ_NSYMBOLS; k++)
		{
			r = req_shares(PGX_KIND_CREDIT_SHARES, req_accounts[i], req_symbols[k], 5000);
			submit(s, &r, &res);
		}
	}
	pgx_record open = req_blank(PGX_KIND_MARKET_OPEN);
	submit(s, &open, &res);
}

/*
 * One session of ncommands random commands after the setup, in slices of
 * `slice` commands (one journal batch each).  Emits everything but the
 * stream when emit_seeds; returns nothing, the stream stays in s.
 */
static void
run(session *s, uint64_t seed, int ncommands, int slice, int emit_seeds)
{
	uint64_t rs = seed;
	int64_t ids[256];
	int nids = 0;

	memset(s, 0, sizeof(*s));
	if ((s->pl = pl_create(&FZ_CFG)) == NULL || bb_init(&s->slice, 0) != 0)
		die("pl_create");
	pl_set_position(s->pl, 0, 0, FZ_DAY);
	s->ts = s->last = FZ_T0;
	feed_open((int64_t)seed);
	setup(s);
	end_slice(s, emit_seeds);
	for (int i = 0; i < ncommands; i++)
	{
		pgx_record r = req_random(&rs, &MIX, ids, nids);
		pl_result res;

		s->ts += (int64_t)rng_below(&rs, 4000);
		if (r.kind == PGX_KIND_MARKET_CLOSE)
			s->ts += DAY_US; /* the next open belongs to the next calendar day */
		if (rng_below(&rs, 50) == 0)
			query(s, (uint8_t)(1 + rng_below(&rs, 4)), req_symbols[rng_below(&rs, 4)],
			      (uint32_t)rng_below(&rs, 20), rng_below(&rs, 2) ? 60 : 1);
		if (submit(s, &r, &res))
		{
			if (r.kind == PGX_KIND_NEW_ORDER && res.remaining > 0)
			{
				ids[nids % 256] = res.order_id;
				nids = nids < 256 ? nids + 1 : 256;
			}
			if (r.kind == PGX_KIND_MARKET_CLOSE && res.status == PGX_STATUS_NEW)
			{
				end_slice(s, emit_seeds);
				snapshot_seeds(s);
			}
		}
		if ((i + 1) % slice == 0)
			end_slice(s, emit_seeds);
	}
	end_slice(s, emit_seeds);
	feed_close(&s->packets);
}

static void
done(session *s)
{
	pl_destroy(s->pl);
	bb_free(&s->slice);
	free(s->all.p);
	free(s->stream.p);
	free(s->packets.p);
	free(s->wallets);
}

/* Cuts a stream into pieces of about `size` bytes at frame boundaries. */
static void
emit_stream(int target, const bytes *b, size_t size)
{
	size_t start = 0, off = 0;

	while (off < b->len)
	{
		off += pgx_get_u32(b->p + off);
		if (off - start >= size || off == b->len)
		{
			emit(target, b->p + start, off - start);
			if (target == T_REQUEST)
				return; /* a request stream must start at the beginning */
			start = off;
		}
	}
}

int
main(int argc, char **argv)
{
	char path[4096];

	if (argc != 2)
	{
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	root = argv[1];
	for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++)
	{
		snprintf(path, sizeof(path), "%s/%s", root, targets[t]);
		mkdir(root, 0777);
		if (mkdir(path, 0777) != 0 && errno != EEXIST)
			die(path);
	}
	for (uint64_t seed = 1; seed <= 6; seed++)
	{
		session s;
		uint8_t hdr[PGX_BATCH_HEADER];
		bytes all = {0};

		/* short sessions whose whole stream and journal are seeds */
		run(&s, seed, 40 + 60 * (int)seed, 25, seed <= 3);
		if (seed <= 4)
		{
			emit_stream(T_REQUEST, &s.stream, (size_t)-1);
			pgx_encode_header(hdr, s.all_n);
			add(&all, hdr, sizeof(hdr));
			add(&all, s.all.p, s.all.len);
			emit(T_REPLAY, all.p, all.len);
		}
		if (seed <= 2)
			emit_stream(T_FRAME, &s.stream, 4096);
		emit(T_FEED, s.packets.p, s.packets.len < 60000 ? s.packets.len : 60000);
		free(all.p);
		done(&s);
	}
	for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++)
		printf("%s: %d seeds\n", targets[t], counter[t]);
	return 0;
}
