/*
 * snapshot.c - matchd's state as one self-checking blob; see snapshot.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdata.h"
#include "om.h"
#include "serial.h"
#include "sha256.h"
#include "snapshot.h"

#define NSECTIONS 4
#define HEADER    (8 + 4 + 4 + NSECTIONS * (4 + 8))

static const char tags[NSECTIONS][5] = {"PIPE", "NAME", "BOOK", "OMGR"};

static void
save_pipe(mc_wbuf *w, const pipeline *pl)
{
	const pl_config *cfg = pl_get_config(pl);
	pl_state st;

	pl_get_state(pl, &st);
	mc_put_u32(w, cfg->max_symbols);
	mc_put_u32(w, cfg->max_accounts);
	mc_put_u32(w, cfg->max_orders);
	mc_put_u32(w, cfg->max_levels);
	mc_put_u32(w, cfg->max_positions);
	mc_put_i64(w, st.last_seq);
	mc_put_i64(w, st.last_ts);
	mc_put_i64(w, st.session_ts);
	mc_put_u32(w, (uint32_t)st.day);
}

static void
save_table(mc_wbuf *w, const mj_table *t)
{
	mc_put_u32(w, t->count);
	for (uint32_t i = 0; i < t->count; i++)
	{
		size_t n = strlen(t->names[i]);

		mc_put_u8(w, (uint8_t)n);
		mc_put_bytes(w, t->names[i], n);
	}
}

static void
save_names(mc_wbuf *w, const pipeline *pl)
{
	save_table(w, &pl_names(pl)->symbols);
	save_table(w, &pl_names(pl)->accounts);
}

int
snap_save(const pipeline *pl, uint8_t **out, size_t *out_len)
{
	return snap_save_as(pl, SNAP_VERSION, out, out_len);
}

/* The books section's format in each snapshot version. */
static uint32_t
core_format_of(uint32_t version)
{
	return version <= 2 ? 1 : MC_SNAP_FORMAT;
}

/* The order manager section's format in each snapshot version. */
static uint32_t
om_format_of(uint32_t version)
{
	return version == 1 ? 1 : OM_SNAP_FORMAT;
}

uint32_t
snap_version(const uint8_t *buf, size_t len)
{
	mc_rbuf r = {buf, len, 8, 0};
	uint32_t v;

	if (len < 8 || memcmp(buf, SNAP_MAGIC, 8) != 0)
		return 0;
	v = mc_get_u32(&r);
	return r.bad ? 0 : v;
}

int
snap_save_as(const pipeline *pl, uint32_t version, uint8_t **out, size_t *out_len)
{
	mc_wbuf w = {NULL, 0, 0};
	size_t len[NSECTIONS], total = HEADER + SHA256_LEN;
	uint8_t *buf;

	/* measure every section with the same code that writes it */
	save_pipe(&w, pl);
	len[0] = w.len;
	w.len = 0;
	save_names(&w, pl);
	len[1] = w.len;
	if (version < 1 || version > SNAP_VERSION)
		return -1;
	if ((len[2] =
	         mc_engine_save_format(pl_engine(pl), NULL, 0, core_format_of(version))) == 0)
		return -1;
	if ((len[3] = om_save_format(pl_om(pl), NULL, 0, om_format_of(version))) ==
	    (size_t)-1)
		return -1;
	for (int i = 0; i < NSECTIONS; i++)
		total += len[i];
	if ((buf = malloc(total)) == NULL)
		return -1;

	w = (mc_wbuf){buf, total, 0};
	mc_put_bytes(&w, SNAP_MAGIC, 8); /* with its NUL */
	mc_put_u32(&w, version);
	mc_put_u32(&w, NSECTIONS);
	for (int i = 0; i < NSECTIONS; i++)
	{
		mc_put_bytes(&w, tags[i], 4);
		mc_put_u64(&w, len[i]);
	}
	save_pipe(&w, pl);
	save_names(&w, pl);
	w.len += mc_engine_save_format(pl_engine(pl), buf + w.len, len[2],
	                               core_format_of(version));
	if (om_save_format(pl_om(pl), buf + w.len, len[3], om_format_of(version)) != len[3])
	{
		free(buf);
		return -1;
	}
	w.len += len[3];
	if (w.len != total - SHA256_LEN)
	{
		/* a section's two passes disagreed: a bug, never a snapshot */
		free(buf);
		return -1;
	}
	sha256(buf, w.len, buf + w.len);
	*out = buf;
	*out_len = total;
	return 0;
}

/* ---- load ---------------------------------------------------------------- */

static int fail(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static int
load_pipe(const pl_config *cfg, mc_rbuf *r, pl_state *st, char *why, size_t size)
{
	pl_config was;

	was.max_symbols = mc_get_u32(r);
	was.max_accounts = mc_get_u32(r);
	was.max_orders = mc_get_u32(r);
	was.max_levels = mc_get_u32(r);
	was.max_positions = mc_get_u32(r);
	st->last_seq = mc_get_i64(r);
	st->last_ts = mc_get_i64(r);
	st->session_ts = mc_get_i64(r);
	st->day = (int32_t)mc_get_u32(r);
	if (r->bad || r->off != r->len)
		return fail(why, size, "the PIPE section has %zu bytes, not 48", r->len);
	/*
	 * Every symbol's order and level limits are these capacities, and the
	 * state hash covers them: with other values the state after a load would
	 * differ from what a replay under the new values builds.
	 */
	if (was.max_orders != cfg->max_orders || was.max_levels != cfg->max_levels)
		return fail(why, size,
		            "the snapshot was taken with --max-orders %u --max-levels %u; this "
		            "matchd has %u and %u (start it with the snapshot's values)",
		            was.max_orders, was.max_levels, cfg->max_orders, cfg->max_levels);
	/* INT64_MAX leaves no next seq (the sequencer and replay add 1 to it) */
	if (st->last_seq < 1 || st->last_seq == INT64_MAX || st->last_ts < 0 ||
	    st->session_ts < 0 || st->session_ts > st->last_ts)
		return fail(why, size, "the sequencer position (seq %lld) is out of range",
		            (long long)st->last_seq);
	return 0;
}

static int
load_table(mj_table *t, mc_rbuf *r, const char *what, char *why, size_t size)
{
	uint32_t n = mc_get_u32(r);

	if (r->bad)
		return fail(why, size, "the NAME section ends early");
	if (n > t->cap)
		return fail(why, size, "%u %s do not fit this matchd's %u (--max-%s)", n, what,
		            t->cap, what);
	for (uint32_t i = 0; i < n; i++)
	{
		uint8_t len = mc_get_u8(r);
		const uint8_t *name = mc_get_bytes(r, len);
		uint32_t id;

		if (r->bad)
			return fail(why, size, "the NAME section ends early");
		if (mj_table_add(t, (const char *)name, len, &id) != MJ_NAME_ADDED || id != i)
			return fail(why, size, "%s name %u is empty, too long or repeated", what, i);
	}
	return 0;
}

pipeline *
snap_load(const pl_config *cfg, const uint8_t *buf, size_t len, char *why, size_t size)
{
	mc_rbuf r = {buf, len, 0, 0};
	mc_rbuf sec[NSECTIONS];
	uint8_t digest[SHA256_LEN];
	size_t off = HEADER;
	pipeline *pl = NULL;
	mj_registry *names;
	pl_state st;
	uint32_t version, n;
	int rc;

	if (len < 8 || memcmp(buf, SNAP_MAGIC, 8) != 0)
		return fail(why, size, "not a matchd snapshot (bad magic)"), NULL;
	r.off = 8;
	version = mc_get_u32(&r);
	if (r.bad)
		return fail(why, size, "truncated: %zu bytes", len), NULL;
	if (version < 1 || version > SNAP_VERSION)
		return fail(why, size,
		            "snapshot format version %u; this matchd reads versions 1 to %d",
		            version, SNAP_VERSION),
		       NULL;
	if (len < HEADER + SHA256_LEN)
		return fail(why, size, "truncated: %zu bytes", len), NULL;
	sha256(buf, len - SHA256_LEN, digest);
	if (memcmp(digest, buf + len - SHA256_LEN, SHA256_LEN) != 0)
		return fail(why, size,
		            "checksum mismatch: the snapshot is corrupt or truncated (%zu bytes)",
		            len),
		       NULL;
	n = mc_get_u32(&r);
	if (n != NSECTIONS)
		return fail(why, size, "%u sections, version %d has %d", n, SNAP_VERSION,
		            NSECTIONS),
		       NULL;
	for (int i = 0; i < NSECTIONS; i++)
	{
		const uint8_t *tag = mc_get_bytes(&r, 4);
		uint64_t slen = mc_get_u64(&r);

		if (r.bad || memcmp(tag, tags[i], 4) != 0)
			return fail(why, size, "section %d is not %s", i, tags[i]), NULL;
		if (slen > len - SHA256_LEN - off)
			return fail(why, size, "section %s runs past the end", tags[i]), NULL;
		sec[i] = (mc_rbuf){buf + off, (size_t)slen, 0, 0};
		off += (size_t)slen;
	}
	if (off != len - SHA256_LEN)
		return fail(why, size, "%zu bytes between the sections and the checksum",
		            len - SHA256_LEN - off),
		       NULL;

	if (load_pipe(cfg, &sec[0], &st, why, size) != 0)
		return NULL;
	if ((pl = pl_create(cfg)) == NULL)
		return fail(why, size, "out of memory"), NULL;
	names = pl_names_rw(pl);
	if (load_table(&names->symbols, &sec[1], "symbols", why, size) != 0 ||
	    load_table(&names->accounts, &sec[1], "accounts", why, size) != 0)
		goto bad;
	if (sec[1].off != sec[1].len)
	{
		fail(why, size, "the NAME section has trailing bytes");
		goto bad;
	}
	if (sec[2].len < 4 ||
	    (sec[2].p[0] | (uint32_t)sec[2].p[1] << 8 | (uint32_t)sec[2].p[2] << 16 |
	     (uint32_t)sec[2].p[3] << 24) != core_format_of(version))
	{
		fail(why, size, "the BOOK section's format does not belong to version %u",
		     version);
		goto bad;
	}
	if ((rc = mc_engine_load(pl_engine_rw(pl), sec[2].p, sec[2].len)) != MC_SNAP_OK)
	{
		fail(why, size, "%s", mc_snap_error(rc));
		goto bad;
	}
	if (sec[3].len < 4 ||
	    (sec[3].p[0] | (uint32_t)sec[3].p[1] << 8 | (uint32_t)sec[3].p[2] << 16 |
	     (uint32_t)sec[3].p[3] << 24) != om_format_of(version))
	{
		fail(why, size, "the OMGR section's format does not belong to version %u",
		     version);
		goto bad;
	}
	if (om_load(pl_om_rw(pl), sec[3].p, sec[3].len, why, size) != 0)
		goto bad;
	/* values each in range can still add up to a state no replay reaches
	 * (shares held beyond those credited, ...): refused, never half-trusted */
	{
		char broken[200];

		if (om_check_invariants(pl_om(pl), broken, sizeof(broken)) != 0)
		{
			fail(why, size, "the order manager's state is inconsistent: %s", broken);
			goto bad;
		}
	}

	/* the parts must describe the same symbols, accounts and orders */
	for (uint32_t i = 0; i < pl_get_config(pl)->max_symbols; i++)
		if ((mc_engine_status(pl_engine(pl), i) >= 0) != (i < names->symbols.count))
		{
			fail(why, size, "the books and the names disagree on symbol %u", i);
			goto bad;
		}
	for (uint32_t i = 0; i < pl_get_config(pl)->max_accounts; i++)
		if (om_account_opened(pl_om(pl), i) != (i < names->accounts.count))
		{
			fail(why, size, "the order manager and the names disagree on account %u", i);
			goto bad;
		}
	for (uint32_t i = 0; i < names->symbols.count; i++)
		if (!om_symbol_listed(pl_om(pl), i))
		{
			fail(why, size, "the order manager does not list symbol %u", i);
			goto bad;
		}
	if (om_open_orders(pl_om(pl)) != mc_engine_order_count(pl_engine(pl)))
	{
		fail(why, size, "the order manager has %u open orders, the books %u",
		     om_open_orders(pl_om(pl)), mc_engine_order_count(pl_engine(pl)));
		goto bad;
	}
	for (uint32_t i = 0; i < names->symbols.count; i++)
		if (md_add_symbol(pl_md_rw(pl), i) != 0)
		{
			fail(why, size, "out of memory for the market-data rings");
			goto bad;
		}
	pl_set_state(pl, &st);
	return pl;
bad:
	pl_destroy(pl);
	return NULL;
}
