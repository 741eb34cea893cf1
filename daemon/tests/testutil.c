/* testutil.c - see testutil.h. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
evlog_push(evlog *l, const mc_event *ev)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 256;
		l->ev = realloc(l->ev, l->cap * sizeof(mc_event));
		if (l->ev == NULL)
			abort();
	}
	l->ev[l->n++] = *ev;
}

void
evlog_clear(evlog *l)
{
	l->n = 0;
}

void
evlog_free(evlog *l)
{
	free(l->ev);
	memset(l, 0, sizeof(*l));
}

void
evlog_flush(void *ctx, const mc_event *ev, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		evlog_push(ctx, &ev[i]);
}

void
core_apply(mc_engine *e, const mc_command *cmd, evlog *log)
{
	mc_event buf[8];
	mc_sink sink = {buf, 8, 0, 0, evlog_flush, log};

	mc_engine_apply(e, cmd, &sink);
	evlog_flush(log, buf, sink.n);
}

static mc_command
base(uint64_t seq, int kind)
{
	mc_command c;

	memset(&c, 0, sizeof(c));
	c.seq = seq;
	c.timestamp = 1000000 + seq * 10;
	c.kind = (uint8_t)kind;
	return c;
}

mc_command
cmd_new(uint64_t seq, uint64_t id, uint32_t sym, uint32_t acct, int side, int type,
        int tif, int64_t price, int64_t qty)
{
	mc_command c = base(seq, MC_CMD_NEW);

	c.order_id = id;
	c.symbol = sym;
	c.account = acct;
	c.side = (uint8_t)side;
	c.type = (uint8_t)type;
	c.tif = (uint8_t)tif;
	c.price = price;
	c.qty = qty;
	snprintf(c.client_order_id, MC_CLORDID_LEN, "c%llu", (unsigned long long)id);
	return c;
}

mc_command
cmd_cancel(uint64_t seq, uint64_t id, uint32_t acct)
{
	mc_command c = base(seq, MC_CMD_CANCEL);

	c.order_id = id;
	c.account = acct;
	return c;
}

mc_command
cmd_amend(uint64_t seq, uint64_t id, uint32_t acct, int64_t price, int64_t qty)
{
	mc_command c = base(seq, MC_CMD_AMEND);

	c.order_id = id;
	c.account = acct;
	c.price = price;
	c.qty = qty;
	return c;
}

mc_command
cmd_session(uint64_t seq, uint32_t sym, int op)
{
	mc_command c = base(seq, MC_CMD_SESSION);

	c.symbol = sym;
	c.session = (uint8_t)op;
	return c;
}

mc_command
cmd_expire(uint64_t seq, uint64_t id)
{
	mc_command c = base(seq, MC_CMD_EXPIRE);

	c.order_id = id;
	return c;
}

void
fprint_event(FILE *f, const mc_event *ev)
{
	fprintf(f,
	        "  (%llu,%u) %s sym=%u id=%llu acct=%u side=%u px=%lld qty=%lld "
	        "leaves=%lld",
	        (unsigned long long)ev->seq, ev->idx, mc_event_kind_name(ev->kind),
	        ev->symbol, (unsigned long long)ev->order_id, ev->account, ev->side,
	        (long long)ev->price, (long long)ev->qty, (long long)ev->leaves);
	if (ev->kind == MC_EV_TRADE)
		fprintf(f, " maker=%llu macct=%u mleaves=%lld",
		        (unsigned long long)ev->maker_order_id, ev->maker_account,
		        (long long)ev->maker_leaves);
	if (ev->reason)
		fprintf(f, " reason=%s", mc_reason_name(ev->reason));
	if (ev->flags)
		fprintf(f, " flags=%u", ev->flags);
	fputc('\n', f);
}

void
fprint_command(FILE *f, const mc_command *c)
{
	static const char *kinds[] = {"?", "NEW", "CANCEL", "AMEND", "SESSION", "EXPIRE"};

	fprintf(f,
	        "  seq=%llu ts=%llu %s id=%llu sym=%u acct=%u side=%u type=%u tif=%u px=%lld "
	        "qty=%lld session=%u flags=%u expire=%llu stop=%lld\n",
	        (unsigned long long)c->seq, (unsigned long long)c->timestamp,
	        c->kind <= 5 ? kinds[c->kind] : "?", (unsigned long long)c->order_id,
	        c->symbol, c->account, c->side, c->type, c->tif, (long long)c->price,
	        (long long)c->qty, c->session, c->flags, (unsigned long long)c->expire_time,
	        (long long)c->stop_price);
}

uint64_t
env_seed(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	if (s == NULL || *s == '\0')
		return dflt;
	return strtoull(s, NULL, 0);
}

void
test_output_to_stdout(void)
{
	fflush(stdout);
	fflush(stderr);
	setvbuf(stdout, NULL, _IOLBF, 0);
	dup2(STDOUT_FILENO, STDERR_FILENO);
}
