/*
 * test_fixorder.c - FIX order entry messages <-> exchange_wire requests
 * (daemon/gateway/fixorder.c): every refusal of NewOrderSingle, cancel and
 * replace with its level, reason, tag and SQLSTATE; exact prices on the tick
 * grid; the request records; ExecutionReport and OrderCancelReject bytes;
 * the order types and options of 1.8/1.9 (stop, stop limit, post-only, good
 * till date: their refusals and the detail matchd reads) and the mapping of
 * the order-event stream to ExecutionReports (a stop's life cycle).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixorder.h"
#include "fixtest.h"

#define HDR "49=DEMO_BROKER_A|56=PGX|34=2|52=20261207-09:30:00|"
#define NOS "35=D|" HDR "11=C1|1=ACC1|55=ACME|54=1|60=20261207-09:30:00.250|"

static char buf[4096];
static fix_msg M;

/* ACME: 0.01; BOND: 0.005 (units 5 at scale 3); WHOLE: 1 */
static bool
lookup(void *ctx, const char *sym, size_t len, fixo_tick *out)
{
	(void)ctx;
	if (len == 4 && memcmp(sym, "ACME", 4) == 0)
		*out = (fixo_tick){1, 2};
	else if (len == 4 && memcmp(sym, "BOND", 4) == 0)
		*out = (fixo_tick){5, 3};
	else if (len == 5 && memcmp(sym, "WHOLE", 5) == 0)
		*out = (fixo_tick){1, 0};
	else
		return false;
	return true;
}

static bool
decode(const char *body, fixo_order *o, fixo_reject *r)
{
	size_t n = fixt_frame(buf, sizeof(buf), body), used;

	assert_int_equal(fix_parse(buf, n, &M, &used), FIX_OK);
	assert_int_equal(M.bad_reason, FIX_NO_REASON);
	return fixo_decode(&M, lookup, NULL, o, r);
}

static void
limit_order(void **state)
{
	fixo_order o;
	fixo_reject r;
	pgx_record rec;

	(void)state;
	assert_true(decode(NOS "38=100|40=2|44=101.25|59=1|", &o, &r));
	assert_int_equal(o.msgtype, 'D');
	assert_int_equal(o.side, PGX_SIDE_BUY);
	assert_int_equal(o.order_type, PGX_TYPE_LIMIT);
	assert_int_equal(o.time_in_force, PGX_TIF_GTC);
	assert_int_equal(o.quantity, 100);
	assert_true(o.has_price);
	assert_int_equal(o.price, 10125);
	assert_true(o.transact_time == 1796635800250000LL);
	fixo_new_record(&o, &rec);
	assert_int_equal(rec.kind, PGX_KIND_NEW_ORDER);
	assert_int_equal(rec.present, (1u << PGX_F_PRICE) | (1u << PGX_F_QUANTITY));
	assert_int_equal(rec.ints[PGX_F_PRICE], 10125);
	assert_int_equal(rec.ints[PGX_F_QUANTITY], 100);
	assert_int_equal(rec.strs[PGX_S_ACCOUNT].len, 4);
	assert_memory_equal(rec.strs[PGX_S_ACCOUNT].ptr, "ACC1", 4);
	assert_memory_equal(rec.strs[PGX_S_SYMBOL].ptr, "ACME", 4);
	assert_memory_equal(rec.strs[PGX_S_CLIENT_ORDER_ID].ptr, "C1", 2);
	assert_int_equal(rec.strs[PGX_S_DETAIL].len, PGX_STR_NULL);
	{
		/* the record encodes as a request matchd decodes back to itself */
		uint8_t frame[PGX_FRAME_MAX];
		pgx_str role = {"demo_broker_a", 13}, role2;
		pgx_record back;
		size_t n = pgx_encode_request(frame, 7, role, &rec);

		assert_true(n > 0);
		assert_true(pgx_decode_request(frame + PGX_FRAME_HEADER, n - PGX_FRAME_HEADER,
		                               &role2, &back));
		assert_int_equal(back.ints[PGX_F_PRICE], 10125);
	}
}

static void
market_and_tif(void **state)
{
	fixo_order o;
	fixo_reject r;
	pgx_record rec;

	(void)state;
	/* market, no TimeInForce: day, sent as ioc */
	assert_true(decode(NOS "38=5|40=1|", &o, &r));
	assert_int_equal(o.order_type, PGX_TYPE_MARKET);
	assert_int_equal(o.time_in_force, PGX_TIF_IOC);
	fixo_new_record(&o, &rec);
	assert_int_equal(rec.present, 1u << PGX_F_QUANTITY);
	assert_true(decode(NOS "38=5|40=1|59=4|", &o, &r));
	assert_int_equal(o.time_in_force, PGX_TIF_FOK);
	assert_true(decode(NOS "38=5|40=2|44=1|59=0|", &o, &r));
	assert_int_equal(o.time_in_force, PGX_TIF_DAY);
	assert_true(decode(NOS "38=5|40=2|44=1|59=3|", &o, &r));
	assert_int_equal(o.time_in_force, PGX_TIF_IOC);
	/* a quantity as a float with zero decimals is the same quantity */
	assert_true(decode(NOS "38=5.00|40=1|", &o, &r));
	assert_int_equal(o.quantity, 5);
}

static void
prices_on_the_grid(void **state)
{
	fixo_order o;
	fixo_reject r;

	(void)state;
	assert_true(decode(
	    "35=D|" HDR "11=C1|1=ACC1|55=BOND|54=2|60=20261207-09:30:00|38=1|40=2|44=99.995|",
	    &o, &r));
	assert_int_equal(o.price, 19999);
	assert_int_equal(o.side, PGX_SIDE_SELL);
	assert_false(decode(
	    "35=D|" HDR "11=C1|1=ACC1|55=BOND|54=2|60=20261207-09:30:00|38=1|40=2|44=99.996|",
	    &o, &r));
	assert_int_equal(r.kind, FIXO_REJ_ORDER);
	assert_string_equal(r.sqlstate, PGX_SQLSTATE_PRICE_OFF_TICK);
	assert_string_equal(r.text, "price 99.996 is not a multiple of the tick size 0.005");
	assert_false(decode(NOS "38=1|40=2|44=1.001|", &o, &r));
	assert_string_equal(r.sqlstate, PGX_SQLSTATE_PRICE_OFF_TICK);
	assert_string_equal(r.text, "price 1.001 is not a multiple of the tick size 0.01");
	assert_true(decode(NOS "38=1|40=2|44=1.0100|", &o, &r));
	assert_int_equal(o.price, 101);
	assert_true(decode("35=D|" HDR
	                   "11=C1|1=ACC1|55=WHOLE|54=2|60=20261207-09:30:00|38=1|40=2|44=7|",
	                   &o, &r));
	assert_int_equal(o.price, 7);
}

typedef struct refusal
{
	const char *body;
	fixo_rej_kind kind;
	int reason, tag;
	const char *sqlstate, *text;
} refusal;

static void
check_refusals(const refusal *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		fixo_order o;
		fixo_reject r;

		if (decode(cases[i].body, &o, &r))
			fail_msg("accepted: %s", cases[i].body);
		if (r.kind != cases[i].kind || r.reason != cases[i].reason ||
		    r.tag != cases[i].tag ||
		    (cases[i].sqlstate == NULL) != (r.sqlstate == NULL) ||
		    (r.sqlstate != NULL && strcmp(r.sqlstate, cases[i].sqlstate) != 0) ||
		    strcmp(r.text, cases[i].text) != 0)
			fail_msg("%s: kind %d reason %d tag %d sqlstate %s text '%s'", cases[i].body,
			         r.kind, r.reason, r.tag, r.sqlstate ? r.sqlstate : "-", r.text);
	}
}

static void
new_order_refusals(void **state)
{
	static const refusal cases[] = {
	    {"35=D|" HDR "1=ACC1|55=ACME|54=1|60=20261207-09:30:00|38=1|40=1|",
	     FIXO_REJ_SESSION, 1, 11, NULL, "required tag ClOrdID(11) missing"},
	    {"35=D|" HDR "11=C1|55=ACME|54=1|60=20261207-09:30:00|38=1|40=1|",
	     FIXO_REJ_SESSION, 1, 1, NULL, "required tag Account(1) missing"},
	    {"35=D|" HDR "11=C1|1=ACC1|55=ACME|60=20261207-09:30:00|38=1|40=1|",
	     FIXO_REJ_SESSION, 1, 54, NULL, "required tag Side(54) missing"},
	    {"35=D|" HDR "11=C1|1=ACC1|55=ACME|54=5|60=20261207-09:30:00|38=1|40=1|",
	     FIXO_REJ_SESSION, 5, 54, NULL, "Side(54) must be 1 (buy) or 2 (sell)"},
	    {"35=D|" HDR "11=C1|1=ACC1|54=1|60=20261207-09:30:00|38=1|40=1|",
	     FIXO_REJ_SESSION, 1, 55, NULL, "required tag Symbol(55) missing"},
	    {"35=D|" HDR "11=C1|1=ACC1|55=NOPE|54=1|60=20261207-09:30:00|38=1|40=1|",
	     FIXO_REJ_ORDER, 1, 55, PGX_SQLSTATE_UNKNOWN_SYMBOL, "unknown symbol \"NOPE\""},
	    {"35=D|" HDR "11=C1|1=ACC1|55=ACME|54=1|38=1|40=1|", FIXO_REJ_SESSION, 1, 60,
	     NULL, "required tag TransactTime(60) missing"},
	    {"35=D|" HDR "11=C1|1=ACC1|55=ACME|54=1|60=2026-12-07|38=1|40=1|",
	     FIXO_REJ_SESSION, 6, 60, NULL,
	     "TransactTime(60) is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])"},
	    {"35=D|" HDR
	     "11=C1234567890123456|1=ACC1|55=ACME|54=1|60=20261207-09:30:00|38=1|40=1|",
	     FIXO_REJ_SESSION, 5, 11, NULL, "ClOrdID(11) is longer than 16 bytes"},
	    /* found by fuzz/fix: matchd refuses a request whose strings are not text */
	    {"35=D|" HDR "11=C1|1=\xff\xc5"
	     "C1|55=ACME|54=1|60=20261207-09:30:00|38=1|40=1|",
	     FIXO_REJ_SESSION, 6, 1, NULL, "Account(1) is not UTF-8 text"},
	    {"35=D|" HDR "11=C\x80|1=ACC1|55=ACME|54=1|60=20261207-09:30:00|38=1|40=1|",
	     FIXO_REJ_SESSION, 6, 11, NULL, "ClOrdID(11) is not UTF-8 text"},
	    {NOS "40=1|", FIXO_REJ_SESSION, 1, 38, NULL, "required tag OrderQty(38) missing"},
	    {NOS "38=ten|40=1|", FIXO_REJ_SESSION, 6, 38, NULL,
	     "OrderQty(38) is not a number"},
	    {NOS "38=0|40=1|", FIXO_REJ_ORDER, 13, 38, PGX_SQLSTATE_BAD_QUANTITY,
	     "quantity must be between 1 and 1000000000, not 0"},
	    {NOS "38=-5|40=1|", FIXO_REJ_ORDER, 13, 38, PGX_SQLSTATE_BAD_QUANTITY,
	     "quantity must be between 1 and 1000000000, not -5"},
	    {NOS "38=1000000001|40=1|", FIXO_REJ_ORDER, 13, 38, PGX_SQLSTATE_BAD_QUANTITY,
	     "quantity must be between 1 and 1000000000, not 1000000001"},
	    {NOS "38=1.5|40=1|", FIXO_REJ_ORDER, 13, 38, PGX_SQLSTATE_BAD_QUANTITY,
	     "quantity must be between 1 and 1000000000, not 1.5"},
	    {NOS "38=1|", FIXO_REJ_SESSION, 1, 40, NULL, "required tag OrdType(40) missing"},
	    {NOS "38=1|40=5|", FIXO_REJ_ORDER, 11, 40, NULL,
	     "OrdType(40) 5 is not supported: 1 (market), 2 (limit), 3 (stop) or 4 (stop "
	     "limit)"},
	    {NOS "38=1|40=2|59=5|44=1|", FIXO_REJ_ORDER, 11, 59, NULL,
	     "TimeInForce(59) 5 is not supported: 0 (day), 1 (good till cancel), 3 "
	     "(immediate or cancel), 4 (fill or kill) or 6 (good till date)"},
	    {NOS "38=1|40=2|", FIXO_REJ_ORDER, 99, 44, PGX_SQLSTATE_BAD_PRICE,
	     "a limit order needs a price"},
	    {NOS "38=1|40=1|44=10|", FIXO_REJ_ORDER, 99, 44, PGX_SQLSTATE_BAD_PRICE,
	     "a market order has no price"},
	    {NOS "38=1|40=1|59=1|", FIXO_REJ_ORDER, 99, 59, PGX_SQLSTATE_BAD_PRICE,
	     "a market order cannot be good till cancelled"},
	    {NOS "38=1|40=2|44=0|", FIXO_REJ_ORDER, 99, 44, PGX_SQLSTATE_BAD_PRICE,
	     "price must be positive, not 0"},
	    {NOS "38=1|40=2|44=-1.00|", FIXO_REJ_ORDER, 99, 44, PGX_SQLSTATE_BAD_PRICE,
	     "price must be positive, not -1.00"},
	    {NOS "38=1|40=2|44=1,5|", FIXO_REJ_SESSION, 6, 44, NULL,
	     "Price(44) is not a decimal number"},
	    {NOS "38=1|40=2|44=999999999999999999|", FIXO_REJ_ORDER, 99, 44,
	     PGX_SQLSTATE_BAD_PRICE, "price 999999999999999999 is out of range"},
	};

	(void)state;
	check_refusals(cases, sizeof(cases) / sizeof(cases[0]));
}

#define CXL "35=F|" HDR "11=C2|41=C1|1=ACC1|55=ACME|54=1|60=20261207-09:30:01|"
#define RPL "35=G|" HDR "11=C3|41=C1|1=ACC1|55=ACME|54=1|60=20261207-09:30:01|"

static void
cancel_and_replace(void **state)
{
	fixo_order o;
	fixo_reject r;
	pgx_record rec;

	(void)state;
	assert_true(decode(CXL "37=42|", &o, &r));
	assert_int_equal(o.msgtype, 'F');
	assert_int_equal(o.order_id, 42);
	assert_memory_equal(o.orig_clordid.ptr, "C1", 2);
	assert_true(fixo_cancel_record(&o, o.order_id, &rec));
	assert_int_equal(rec.kind, PGX_KIND_CANCEL_ORDER);
	assert_int_equal(rec.present, 1u << PGX_F_ORDER_ID);
	assert_int_equal(rec.ints[PGX_F_ORDER_ID], 42);
	assert_true(decode(CXL, &o, &r));
	assert_int_equal(o.order_id, 0);
	assert_false(fixo_cancel_record(&o, 0, &rec));

	/* replace: OrderQty is the new total; 30 of it filled leaves 70 open */
	assert_true(decode(RPL "37=42|38=100|40=2|44=100.50|", &o, &r));
	assert_true(fixo_amend_record(&o, 42, 30, &rec, &r));
	assert_int_equal(rec.kind, PGX_KIND_AMEND_ORDER);
	assert_int_equal(rec.ints[PGX_F_QUANTITY], 70);
	assert_int_equal(rec.ints[PGX_F_PRICE], 10050);
	assert_int_equal(rec.present, (1u << PGX_F_ORDER_ID) | (1u << PGX_F_QUANTITY) |
	                                  (1u << PGX_F_PRICE));
	assert_false(fixo_amend_record(&o, 42, 100, &rec, &r));
	assert_int_equal(r.kind, FIXO_REJ_CANCEL);
	assert_string_equal(r.text, "OrderQty(38) 100 is not above the 100 already filled");
	assert_false(fixo_amend_record(&o, 0, 0, &rec, &r));
	assert_int_equal(r.reason, FIXO_CRR_UNKNOWN_ORDER);

	/* status request: no Account needed */
	assert_true(decode("35=H|" HDR "11=C1|55=ACME|54=1|37=42|", &o, &r));
	assert_int_equal(o.msgtype, 'H');
	assert_int_equal(o.account.len, PGX_STR_NULL);
}

static void
cancel_and_replace_refusals(void **state)
{
	static const refusal cases[] = {
	    {"35=F|" HDR "11=C2|1=ACC1|55=ACME|54=1|60=20261207-09:30:01|", FIXO_REJ_SESSION,
	     1, 41, NULL, "required tag OrigClOrdID(41) missing"},
	    {CXL "37=0|", FIXO_REJ_SESSION, 6, 37, NULL,
	     "OrderID(37) must be the exchange's order id, a positive integer"},
	    {CXL "37=abc|", FIXO_REJ_SESSION, 6, 37, NULL,
	     "OrderID(37) must be the exchange's order id, a positive integer"},
	    {"35=F|" HDR "11=C2|41=C1|1=ACC1|55=ACME|54=1|", FIXO_REJ_SESSION, 1, 60, NULL,
	     "required tag TransactTime(60) missing"},
	    {RPL "38=10|40=2|44=1.005|", FIXO_REJ_CANCEL, 99, 44, PGX_SQLSTATE_PRICE_OFF_TICK,
	     "price 1.005 is not a multiple of the tick size 0.01"},
	    {RPL "38=0|40=2|44=1|", FIXO_REJ_CANCEL, 99, 38, PGX_SQLSTATE_BAD_QUANTITY,
	     "quantity must be between 1 and 1000000000, not 0"},
	    {RPL "38=10|44=1|", FIXO_REJ_SESSION, 1, 40, NULL,
	     "required tag OrdType(40) missing"},
	    {"35=G|" HDR
	     "11=C3|41=C1|1=ACC1|55=NOPE|54=1|60=20261207-09:30:01|38=1|40=2|44=1|",
	     FIXO_REJ_CANCEL, 99, 55, PGX_SQLSTATE_UNKNOWN_SYMBOL, "unknown symbol \"NOPE\""},
	    {"35=H|" HDR "11=C1|54=1|", FIXO_REJ_SESSION, 1, 55, NULL,
	     "required tag Symbol(55) missing"},
	};

	(void)state;
	check_refusals(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
other_types_are_not_decoded(void **state)
{
	fixo_order o;
	fixo_reject r;

	(void)state;
	assert_false(decode("35=E|" HDR "66=L|", &o, &r));
	assert_int_equal(r.kind, FIXO_REJ_NONE);
}

static void
execution_reports(void **state)
{
	char out[1024], want[1024];
	fix_builder b;
	fixo_exec e;
	size_t n, w;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.exec_type = 'F';
	e.ord_status = fixo_ord_status(PGX_STATUS_PARTIALLY_FILLED, 30);
	e.order_id = 42;
	e.exec_id = 1001;
	e.clordid = (pgx_str){"C1", 2};
	e.orig_clordid = (pgx_str){NULL, PGX_STR_NULL};
	e.account = (pgx_str){"ACC1", 4};
	e.symbol = (pgx_str){"ACME", 4};
	e.side = PGX_SIDE_BUY;
	e.order_qty = 100;
	e.cum_qty = 30;
	e.leaves_qty = 70;
	e.px_qty = 10125 * 10 + 10100 * 20; /* 10 at 101.25, 20 at 101.00 */
	e.last_px = 10100;
	e.last_qty = 20;
	e.has_price = true;
	e.price = 10125;
	e.tick = (fixo_tick){1, 2};
	e.ord_rej_reason = -1;
	e.transact_time = 1796635800250000LL;
	fix_build_begin(&b, out, sizeof(out), "8");
	fix_build_header(&b, "PGX", "DEMO_BROKER_A", 9, 1796635800251000LL);
	assert_true(fixo_exec_report(&b, &e));
	n = fix_build_end(&b);
	w = fixt_frame(
	    want, sizeof(want),
	    "35=8|49=PGX|56=DEMO_BROKER_A|34=9|52=20261207-09:30:00.251|37=42|11=C1|"
	    "17=1001|150=F|39=1|1=ACC1|55=ACME|54=1|38=100|44=101.25|32=20|31=101.00|"
	    "151=70|14=30|6=101.083333|60=20261207-09:30:00.250|");
	if (n != w || memcmp(out, want, n) != 0)
		fail_msg("got  %s", fixt_show(out, n));

	/* a rejected order: no OrderID, the reason and the SQL text */
	memset(&e, 0, sizeof(e));
	e.exec_type = '8';
	e.ord_status = fixo_ord_status(PGX_STATUS_REJECTED, 0);
	e.exec_id = 1002;
	e.clordid = (pgx_str){"C9", 2};
	e.symbol = (pgx_str){"ACME", 4};
	e.side = PGX_SIDE_SELL;
	e.tick = (fixo_tick){1, 2};
	e.ord_rej_reason = fixo_ord_rej_reason(PGX_SQLSTATE_INSUFFICIENT_SHARES);
	e.text = "insufficient shares";
	e.transact_time = 1796635800250000LL;
	fix_build_begin(&b, out, sizeof(out), "8");
	fix_build_header(&b, "PGX", "DEMO_BROKER_A", 10, 1796635800251000LL);
	assert_true(fixo_exec_report(&b, &e));
	n = fix_build_end(&b);
	w = fixt_frame(want, sizeof(want),
	               "35=8|49=PGX|56=DEMO_BROKER_A|34=10|52=20261207-09:30:00.251|37=NONE|"
	               "11=C9|17=1002|150=8|39=8|103=3|55=ACME|54=2|151=0|14=0|6=0|"
	               "60=20261207-09:30:00.250|58=insufficient shares|");
	if (n != w || memcmp(out, want, n) != 0)
		fail_msg("got  %s", fixt_show(out, n));

	/* a price that overflows at the grid's scale cannot be written */
	e.has_price = true;
	e.price = INT64_MAX / 2;
	e.tick = (fixo_tick){5, 3};
	fix_build_begin(&b, out, sizeof(out), "8");
	assert_false(fixo_exec_report(&b, &e));
}

static void
cancel_reject_and_mappings(void **state)
{
	char out[512], want[512];
	fix_builder b;
	size_t n, w;

	(void)state;
	fix_build_begin(&b, out, sizeof(out), "9");
	fix_build_header(&b, "PGX", "DEMO_BROKER_A", 11, 1796635800251000LL);
	fixo_cancel_reject(&b, 0, (pgx_str){"C2", 2}, (pgx_str){"C1", 2}, '8', '1',
	                   FIXO_CRR_UNKNOWN_ORDER, "unknown order");
	n = fix_build_end(&b);
	w = fixt_frame(want, sizeof(want),
	               "35=9|49=PGX|56=DEMO_BROKER_A|34=11|52=20261207-09:30:00.251|37=NONE|"
	               "11=C2|41=C1|39=8|434=1|102=1|58=unknown order|");
	if (n != w || memcmp(out, want, n) != 0)
		fail_msg("got  %s", fixt_show(out, n));
	assert_int_equal(fixo_ord_rej_reason(PGX_SQLSTATE_UNKNOWN_SYMBOL), 1);
	assert_int_equal(fixo_ord_rej_reason(PGX_SQLSTATE_MARKET_CLOSED), 2);
	assert_int_equal(fixo_ord_rej_reason(PGX_SQLSTATE_MAX_ORDER_NOTIONAL), 3);
	assert_int_equal(fixo_ord_rej_reason(PGX_SQLSTATE_DUPLICATE_CLORDID), 6);
	assert_int_equal(fixo_ord_rej_reason(PGX_SQLSTATE_OFF_LOT), 13);
	assert_int_equal(fixo_ord_rej_reason(PGX_SQLSTATE_UNKNOWN_ACCOUNT), 15);
	assert_int_equal(fixo_ord_rej_reason(PGX_SQLSTATE_SYMBOL_HALTED), 99);
	assert_int_equal(fixo_ord_rej_reason(NULL), 99);
	assert_int_equal(fixo_ord_status(PGX_STATUS_EXPIRED, 0), 'C');
	assert_int_equal(fixo_ord_status(PGX_STATUS_CANCELED, 5), '4');
	assert_int_equal(fixo_ord_status(PGX_STATUS_FILLED, 5), '2');
}

static void
price_text_round_trips(void **state)
{
	static const fixo_tick ticks[] = {{1, 2}, {5, 3}, {1, 0}, {25, 4}, {1, 9}};

	(void)state;
	for (size_t t = 0; t < sizeof(ticks) / sizeof(ticks[0]); t++)
		for (int64_t p = 1; p < 100000; p += 997)
		{
			char s[32];
			fix_field f = {44, 0, s};
			int64_t back;

			f.len = (uint32_t)fixo_format_price(s, p, ticks[t]);
			assert_true(f.len > 0);
			assert_int_equal(fixo_parse_price(&f, ticks[t], &back), FIX_V_OK);
			assert_true(back == p);
		}
}

/* 2026-12-08 21:00:00 UTC: since 1970, and since 2000 (the journal's epoch) */
#define EXPIRE_1970 1796763600000000LL
#define EXPIRE_2000 850078800000000LL

/* A request with o's record and detail survives matchd's decoder, and the
 * detail carries exactly want. */
static void
check_request(const fixo_order *o, const char *want_detail)
{
	char detail[160];
	uint8_t frame[PGX_FRAME_MAX];
	pgx_str role = {"demo_broker_a", 13}, role2;
	pgx_record rec, back;
	size_t n = fixo_new_detail(o, "DEMO_BROKER_A", detail, sizeof(detail));

	assert_int_equal(n, strlen(want_detail));
	assert_string_equal(detail, want_detail);
	fixo_new_record(o, &rec);
	rec.strs[PGX_S_DETAIL] = (pgx_str){detail, (uint16_t)n};
	assert_true(pgx_json_is_object(rec.strs[PGX_S_DETAIL]));
	n = pgx_encode_request(frame, 7, role, &rec);
	assert_true(n > 0);
	assert_true(pgx_decode_request(frame + PGX_FRAME_HEADER, n - PGX_FRAME_HEADER, &role2,
	                               &back));
	assert_int_equal(back.order_type, o->order_type);
	assert_int_equal(back.time_in_force, o->time_in_force);
}

static void
stop_orders(void **state)
{
	fixo_order o;
	fixo_reject r;
	pgx_record rec;

	(void)state;
	/* stop limit: a limit price and a stop price, both in ticks */
	assert_true(decode(NOS "38=12|40=4|44=10.20|99=10.10|59=1|", &o, &r));
	assert_int_equal(o.order_type, PGX_TYPE_STOP_LIMIT);
	assert_int_equal(o.time_in_force, PGX_TIF_GTC);
	assert_true(o.has_price);
	assert_int_equal(o.price, 1020);
	assert_true(o.has_stop_px);
	assert_int_equal(o.stop_px, 1010);
	fixo_new_record(&o, &rec);
	assert_int_equal(rec.present, (1u << PGX_F_PRICE) | (1u << PGX_F_QUANTITY));
	assert_int_equal(rec.ints[PGX_F_PRICE], 1020);
	check_request(&o, "{\"fix_session\": \"DEMO_BROKER_A\", \"stop_price\": 1010}");

	/* stop: no price, day sent as ioc, the stop price alone */
	assert_true(decode(NOS "38=4|40=3|99=10.15|", &o, &r));
	assert_int_equal(o.order_type, PGX_TYPE_STOP);
	assert_int_equal(o.time_in_force, PGX_TIF_IOC);
	assert_false(o.has_price);
	assert_int_equal(o.stop_px, 1015);
	fixo_new_record(&o, &rec);
	assert_int_equal(rec.present, 1u << PGX_F_QUANTITY);
	check_request(&o, "{\"fix_session\": \"DEMO_BROKER_A\", \"stop_price\": 1015}");
	assert_true(decode(NOS "38=4|40=3|99=10.15|59=4|", &o, &r));
	assert_int_equal(o.time_in_force, PGX_TIF_FOK);

	/* a stop price on the symbol's own grid (0.005), exactly */
	assert_true(decode("35=D|" HDR "11=C1|1=ACC1|55=BOND|54=2|60=20261207-09:30:00|38=1|"
	                   "40=3|99=99.995|",
	                   &o, &r));
	assert_int_equal(o.stop_px, 19999);

	/* no options: the detail is the session alone */
	assert_true(decode(NOS "38=1|40=2|44=1|", &o, &r));
	check_request(&o, "{\"fix_session\": \"DEMO_BROKER_A\"}");
	/* a session name that would need escaping is never written */
	{
		char d[64];

		assert_int_equal(fixo_new_detail(&o, "A\"B", d, sizeof(d)), 0);
		assert_int_equal(fixo_new_detail(&o, "DEMO_BROKER_A", d, 20), 0);
	}
}

static void
post_only_and_gtd(void **state)
{
	fixo_order o;
	fixo_reject r;

	(void)state;
	assert_true(decode(NOS "38=1|40=2|44=1|18=6|59=6|126=20261208-21:00:00|", &o, &r));
	assert_true(o.post_only);
	assert_int_equal(o.time_in_force, PGX_TIF_GTD);
	assert_true(o.has_expire);
	assert_true(o.expire_us == EXPIRE_1970);
	check_request(&o, "{\"fix_session\": \"DEMO_BROKER_A\", \"post_only\": true, "
	                  "\"expire_time\": 850078800000000}");
	/* the expire time must lie ahead, as submit_order requires */
	assert_true(fixo_check_expire(&o, EXPIRE_1970 - 1, &r));
	assert_false(fixo_check_expire(&o, EXPIRE_1970, &r));
	assert_int_equal(r.kind, FIXO_REJ_ORDER);
	assert_int_equal(r.reason, FIXO_ORR_OTHER);
	assert_int_equal(r.tag, 126);
	assert_string_equal(r.sqlstate, "22023");
	assert_string_equal(r.text,
	                    "ExpireTime(126) 20261208-21:00:00.000 has passed already");

	/* post-only day and gtc; ExecInst is a list of values */
	assert_true(decode(NOS "38=1|40=2|44=1|18=6|", &o, &r));
	assert_true(o.post_only);
	assert_int_equal(o.time_in_force, PGX_TIF_DAY);
	assert_true(fixo_check_expire(&o, INT64_MAX, &r));
	assert_true(decode(NOS "38=1|40=2|44=1|18=6 6|59=1|", &o, &r));
	assert_true(o.post_only);
	check_request(&o, "{\"fix_session\": \"DEMO_BROKER_A\", \"post_only\": true}");
	/* gtd without post-only; and all three keys in one object */
	assert_true(
	    decode(NOS "38=1|40=4|44=1|99=2|59=6|126=20261208-21:00:00.500|", &o, &r));
	assert_false(o.post_only);
	assert_true(o.expire_us == EXPIRE_1970 + 500000);
	check_request(&o, "{\"fix_session\": \"DEMO_BROKER_A\", \"expire_time\": "
	                  "850078800500000, \"stop_price\": 200}");
}

static void
option_refusals(void **state)
{
	static const refusal cases[] = {
	    /* stop and stop limit */
	    {NOS "38=1|40=3|", FIXO_REJ_ORDER, 99, 99, "22004",
	     "a stop order needs a stop price: StopPx(99)"},
	    {NOS "38=1|40=4|44=1|", FIXO_REJ_ORDER, 99, 99, "22004",
	     "a stop_limit order needs a stop price: StopPx(99)"},
	    {NOS "38=1|40=4|99=1|", FIXO_REJ_ORDER, 99, 44, PGX_SQLSTATE_BAD_PRICE,
	     "a stop_limit order needs a price"},
	    {NOS "38=1|40=3|44=1|99=1|", FIXO_REJ_ORDER, 99, 44, PGX_SQLSTATE_BAD_PRICE,
	     "a stop order has no price"},
	    {NOS "38=1|40=2|44=1|99=1|", FIXO_REJ_ORDER, 99, 99, "22023",
	     "StopPx(99) is only for OrdType(40) 3 (stop) and 4 (stop limit)"},
	    {NOS "38=1|40=1|99=1|", FIXO_REJ_ORDER, 99, 99, "22023",
	     "StopPx(99) is only for OrdType(40) 3 (stop) and 4 (stop limit)"},
	    {NOS "38=1|40=3|99=0|", FIXO_REJ_ORDER, 99, 99, PGX_SQLSTATE_BAD_PRICE,
	     "stop price must be positive, not 0"},
	    {NOS "38=1|40=3|99=-2|", FIXO_REJ_ORDER, 99, 99, PGX_SQLSTATE_BAD_PRICE,
	     "stop price must be positive, not -2"},
	    {NOS "38=1|40=3|99=10.005|", FIXO_REJ_ORDER, 99, 99, PGX_SQLSTATE_PRICE_OFF_TICK,
	     "stop price 10.005 is not a multiple of the tick size 0.01"},
	    {NOS "38=1|40=3|99=999999999999999999|", FIXO_REJ_ORDER, 99, 99,
	     PGX_SQLSTATE_BAD_PRICE, "stop price 999999999999999999 is out of range"},
	    {NOS "38=1|40=3|99=ten|", FIXO_REJ_SESSION, 6, 99, NULL,
	     "StopPx(99) is not a decimal number"},
	    {NOS "38=1|40=3|99=1|59=1|", FIXO_REJ_ORDER, 99, 59, PGX_SQLSTATE_BAD_PRICE,
	     "a stop order cannot be good till cancelled"},
	    {NOS "38=1|40=3|99=1|59=6|126=20261208-21:00:00|", FIXO_REJ_ORDER, 99, 59,
	     PGX_SQLSTATE_BAD_PRICE, "a stop order cannot be good till date"},
	    {NOS "38=1|40=1|59=6|126=20261208-21:00:00|", FIXO_REJ_ORDER, 99, 59,
	     PGX_SQLSTATE_BAD_PRICE, "a market order cannot be good till date"},
	    /* the auctions' times in force */
	    {NOS "38=1|40=2|44=1|59=2|", FIXO_REJ_ORDER, 11, 59, "0A000",
	     "TimeInForce(59) 2 (at the opening) is not supported: the exchange has no "
	     "auctions yet"},
	    {NOS "38=1|40=2|44=1|59=7|", FIXO_REJ_ORDER, 11, 59, "0A000",
	     "TimeInForce(59) 7 (at the close) is not supported: the exchange has no "
	     "auctions yet"},
	    /* good till date */
	    {NOS "38=1|40=2|44=1|59=6|", FIXO_REJ_ORDER, 99, 126, "22004",
	     "a good-till-date order needs an expire time: ExpireTime(126)"},
	    {NOS "38=1|40=2|44=1|59=1|126=20261208-21:00:00|", FIXO_REJ_ORDER, 99, 126,
	     "22023", "ExpireTime(126) is only for TimeInForce(59) 6 (good till date)"},
	    {NOS "38=1|40=2|44=1|126=20261208-21:00:00|", FIXO_REJ_ORDER, 99, 126, "22023",
	     "ExpireTime(126) is only for TimeInForce(59) 6 (good till date)"},
	    {NOS "38=1|40=2|44=1|59=6|126=2026-12-08|", FIXO_REJ_SESSION, 6, 126, NULL,
	     "ExpireTime(126) is not a UTCTimestamp (YYYYMMDD-HH:MM:SS[.sss])"},
	    /* post-only: a limit order that may rest */
	    {NOS "38=1|40=1|18=6|", FIXO_REJ_ORDER, 99, 18, "22023",
	     "a post-only order must be a limit order that may rest"},
	    {NOS "38=1|40=2|44=1|18=6|59=3|", FIXO_REJ_ORDER, 99, 18, "22023",
	     "a post-only order must be a limit order that may rest"},
	    {NOS "38=1|40=2|44=1|18=6|59=4|", FIXO_REJ_ORDER, 99, 18, "22023",
	     "a post-only order must be a limit order that may rest"},
	    {NOS "38=1|40=4|44=1|99=1|18=6|59=1|", FIXO_REJ_ORDER, 99, 18, "22023",
	     "a post-only order must be a limit order that may rest"},
	    /* other instructions are refused, not ignored */
	    {NOS "38=1|40=2|44=1|18=G|", FIXO_REJ_ORDER, 11, 18, NULL,
	     "ExecInst(18) G is not supported: only 6 (participate don't initiate: "
	     "post-only)"},
	    {NOS "38=1|40=2|44=1|18=6 G|", FIXO_REJ_ORDER, 11, 18, NULL,
	     "ExecInst(18) G is not supported: only 6 (participate don't initiate: "
	     "post-only)"},
	    {NOS "38=1|40=2|44=1|18=66|", FIXO_REJ_ORDER, 11, 18, NULL,
	     "ExecInst(18) 66 is not supported: only 6 (participate don't initiate: "
	     "post-only)"},
	    {NOS "38=1|40=2|44=1|18=6 |", FIXO_REJ_SESSION, 6, 18, NULL,
	     "ExecInst(18) must be values separated by single spaces"},
	    {NOS "38=1|40=2|44=1|18= 6|", FIXO_REJ_SESSION, 6, 18, NULL,
	     "ExecInst(18) must be values separated by single spaces"},
	    {NOS "38=1|40=2|44=1|18=6  6|", FIXO_REJ_SESSION, 6, 18, NULL,
	     "ExecInst(18) must be values separated by single spaces"},
	    /* a replace follows the same rules, refused by OrderCancelReject */
	    {RPL "38=10|40=4|44=1|", FIXO_REJ_CANCEL, 99, 99, "22004",
	     "a stop_limit order needs a stop price: StopPx(99)"},
	    {RPL "38=10|40=3|99=1.005|", FIXO_REJ_CANCEL, 99, 99, PGX_SQLSTATE_PRICE_OFF_TICK,
	     "stop price 1.005 is not a multiple of the tick size 0.01"},
	    {RPL "38=10|40=3|44=1|99=1|", FIXO_REJ_CANCEL, 99, 44, PGX_SQLSTATE_BAD_PRICE,
	     "a stop order has no price"},
	    {RPL "38=10|40=2|44=1|59=2|", FIXO_REJ_CANCEL, 99, 59, "0A000",
	     "TimeInForce(59) 2 (at the opening) is not supported: the exchange has no "
	     "auctions yet"},
	};

	(void)state;
	check_refusals(cases, sizeof(cases) / sizeof(cases[0]));
}

/* An event record of seq/idx about order id (the stream's records). */
static pgx_record
event(int kind, int64_t seq, int32_t idx, int64_t id)
{
	pgx_record r;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < PGX_S__COUNT; i++)
		r.strs[i].len = PGX_STR_NULL;
	r.kind = (uint8_t)kind;
	r.seq = seq;
	r.idx = idx;
	r.ints[PGX_F_ORDER_ID] = id;
	r.present = 1u << PGX_F_ORDER_ID;
	return r;
}

static void
set(pgx_record *r, int field, int64_t v)
{
	r->ints[field] = v;
	r->present |= (uint8_t)(1u << field);
}

/* The ExecutionReport of e as bytes, SOH as '|', without the header. */
static const char *
report_body(const fixo_exec *e)
{
	static char out[1024];
	fix_builder b;
	size_t n;
	char *body, *trailer;

	fix_build_begin(&b, out, sizeof(out), "8");
	fix_build_header(&b, "PGX", "DEMO_BROKER_A", 9, 1796635800251000LL);
	assert_true(fixo_exec_report(&b, e));
	n = fix_build_end(&b);
	assert_true(n > 0);
	body = strstr((char *)fixt_show(out, n), "52=20261207-09:30:00.251|");
	assert_non_null(body);
	/* the CheckSum is fixmsg's, tested there */
	trailer = strstr(body, "|10=");
	assert_non_null(trailer);
	trailer[1] = '\0';
	return body + strlen("52=20261207-09:30:00.251|");
}

static void
stop_life_cycle(void **state)
{
	fixo_order o;
	fixo_reject r;
	fixo_state s;
	fixo_exec e;
	pgx_record ev;
	char text[128];
	const int64_t now = 1796635800250000LL;

	(void)state;
	assert_true(decode(NOS "38=12|40=4|44=10.20|99=10.10|59=1|", &o, &r));
	fixo_state_init(&s, &o);
	assert_true(s.waiting);
	/* not yet acknowledged: the stream's records are not about it */
	ev = event(PGX_KIND_TRIGGERED, 100, 3, 0);
	assert_false(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	s.id = 100; /* matchd's answer: accepted, waiting */
	s.open = true;
	fixo_exec_of(&s, '0', FIXO_EXEC_ID(100, 0, 0), now, &e);
	assert_string_equal(report_body(&e),
	                    "37=100|11=C1|17=4000000|150=0|39=0|1=ACC1|55=ACME|54=1|38=12|"
	                    "40=4|44=10.20|99=10.10|59=1|151=12|14=0|6=0|"
	                    "60=20261207-09:30:00.250|");

	/* its accepted record ({"stop": true}) and records of other orders: nothing */
	ev = event(PGX_KIND_ACCEPTED, 100, 1, 100);
	ev.strs[PGX_S_DETAIL] =
	    (pgx_str){PGX_DETAIL_STOP_EVENT, sizeof(PGX_DETAIL_STOP_EVENT) - 1};
	assert_true(pgx_record_is_waiting_stop(&ev));
	assert_false(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	ev = event(PGX_KIND_TRIGGERED, 150, 3, 99);
	assert_false(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	ev = event(PGX_KIND_TRADE, 150, 1, 98);
	set(&ev, PGX_F_CONTRA_ORDER_ID, 97);
	set(&ev, PGX_F_QUANTITY, 5);
	assert_false(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	assert_true(s.waiting);

	/* the trigger: Restated (FIX 4.4 has no Triggered ExecType), still New */
	ev = event(PGX_KIND_TRIGGERED, 200, 2, 100);
	set(&ev, PGX_F_PRICE, 1010);
	set(&ev, PGX_F_QUANTITY, 12);
	set(&ev, PGX_F_REMAINING, 12);
	assert_true(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	assert_false(s.waiting);
	assert_true(s.open);
	assert_string_equal(
	    report_body(&e),
	    "37=100|11=C1|17=8000004|150=D|39=0|1=ACC1|55=ACME|54=1|38=12|"
	    "40=4|44=10.20|99=10.10|59=1|378=8|151=12|14=0|6=0|"
	    "60=20261207-09:30:00.250|58=triggered: the last trade reached the "
	    "stop price 10.10|");
	/* the same record again (a replay) is not a second trigger */
	assert_false(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));

	/* it trades 6 as the taker, then rests: the second accepted reports nothing */
	ev = event(PGX_KIND_TRADE, 200, 3, 100);
	set(&ev, PGX_F_CONTRA_ORDER_ID, 55);
	set(&ev, PGX_F_PRICE, 1016);
	set(&ev, PGX_F_QUANTITY, 6);
	set(&ev, PGX_F_REMAINING, 6);
	set(&ev, PGX_F_CONTRA_REMAINING, 0);
	assert_true(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	assert_int_equal(e.exec_type, 'F');
	assert_int_equal(e.ord_status, '1');
	assert_int_equal(e.exec_id, FIXO_EXEC_ID(200, 3, 0));
	assert_int_equal(e.last_qty, 6);
	assert_int_equal(e.leaves_qty, 6);
	ev = event(PGX_KIND_ACCEPTED, 200, 4, 100);
	assert_false(pgx_record_is_waiting_stop(&ev));
	assert_false(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));

	/* later it is the maker: filled, closed, nothing more */
	ev = event(PGX_KIND_TRADE, 300, 1, 301);
	set(&ev, PGX_F_CONTRA_ORDER_ID, 100);
	set(&ev, PGX_F_PRICE, 1020);
	set(&ev, PGX_F_QUANTITY, 6);
	set(&ev, PGX_F_REMAINING, 0);
	set(&ev, PGX_F_CONTRA_REMAINING, 0);
	assert_true(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	assert_int_equal(e.exec_id, FIXO_EXEC_ID(300, 1, 1));
	assert_string_equal(
	    report_body(&e),
	    "37=100|11=C1|17=12000003|150=F|39=2|1=ACC1|55=ACME|54=1|38=12|"
	    "40=4|44=10.20|99=10.10|59=1|32=6|31=10.20|151=0|14=12|6=10.180000|"
	    "60=20261207-09:30:00.250|");
	assert_false(s.open);
	ev = event(PGX_KIND_CANCELED, 301, 1, 100);
	assert_false(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));

	/* a waiting stop canceled, and one expired: reported as usual */
	assert_true(decode(NOS "38=4|40=3|99=10.15|", &o, &r));
	fixo_state_init(&s, &o);
	s.id = 400;
	s.open = true;
	ev = event(PGX_KIND_CANCELED, 401, 1, 400);
	ev.strs[PGX_S_REASON] = (pgx_str){"user_cancel", 11};
	ev.strs[PGX_S_DETAIL] =
	    (pgx_str){PGX_DETAIL_STOP_EVENT, sizeof(PGX_DETAIL_STOP_EVENT) - 1};
	assert_true(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	assert_string_equal(report_body(&e),
	                    "37=400|11=C1|17=16040002|150=4|39=4|1=ACC1|55=ACME|54=1|38=4|"
	                    "40=3|99=10.15|59=3|151=0|14=0|6=0|60=20261207-09:30:00.250|"
	                    "58=user_cancel|");
	assert_false(s.open);
	fixo_state_init(&s, &o);
	s.id = 500;
	s.open = true;
	ev = event(PGX_KIND_EXPIRED, 501, 1, 500);
	ev.strs[PGX_S_REASON] = (pgx_str){"day_expired", 11};
	assert_true(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	assert_int_equal(e.exec_type, 'C');
	assert_int_equal(e.ord_status, 'C');
	assert_string_equal(e.text, "day_expired");

	/* a triggered stop that finds nothing to trade: its remainder canceled */
	fixo_state_init(&s, &o);
	s.id = 600;
	s.open = true;
	ev = event(PGX_KIND_TRIGGERED, 700, 2, 600);
	set(&ev, PGX_F_PRICE, 1015);
	set(&ev, PGX_F_REMAINING, 4);
	assert_true(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	assert_int_equal(e.exec_type, 'D');
	ev = event(PGX_KIND_CANCELED, 700, 3, 600);
	ev.strs[PGX_S_REASON] = (pgx_str){"market_remainder", 16};
	assert_true(fixo_on_event(&s, &ev, now, &e, text, sizeof(text)));
	assert_int_equal(e.exec_type, '4');
	assert_string_equal(e.text, "market_remainder");
}

static void
option_echoes(void **state)
{
	fixo_order o;
	fixo_reject r;
	fixo_state s;
	fixo_exec e;

	(void)state;
	/* post-only, good till date: 18=6, 59=6 and 126 on its reports */
	assert_true(decode(NOS "38=3|40=2|44=1.50|18=6|59=6|126=20261208-21:00:00|", &o, &r));
	fixo_state_init(&s, &o);
	s.id = 7;
	s.open = true;
	fixo_exec_of(&s, 'I', 0, 1796635800250000LL, &e);
	assert_string_equal(
	    report_body(&e),
	    "37=7|11=C1|17=0|150=I|39=0|1=ACC1|55=ACME|54=1|38=3|40=2|44=1.50|"
	    "59=6|126=20261208-21:00:00.000|18=6|151=3|14=0|6=0|"
	    "60=20261207-09:30:00.250|");
	assert_int_equal(fixo_ord_type_char(PGX_TYPE_STOP_LIMIT), '4');
	assert_int_equal(fixo_ord_type_char(0), 0);
	assert_int_equal(fixo_tif_char(PGX_TIF_GTD), '6');
	assert_int_equal(fixo_tif_char(PGX_TIF_AT_CLOSE), '7');
	assert_int_equal(fixo_tif_char(0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(limit_order),
	    cmocka_unit_test(market_and_tif),
	    cmocka_unit_test(prices_on_the_grid),
	    cmocka_unit_test(new_order_refusals),
	    cmocka_unit_test(cancel_and_replace),
	    cmocka_unit_test(cancel_and_replace_refusals),
	    cmocka_unit_test(other_types_are_not_decoded),
	    cmocka_unit_test(execution_reports),
	    cmocka_unit_test(cancel_reject_and_mappings),
	    cmocka_unit_test(price_text_round_trips),
	    cmocka_unit_test(stop_orders),
	    cmocka_unit_test(post_only_and_gtd),
	    cmocka_unit_test(option_refusals),
	    cmocka_unit_test(stop_life_cycle),
	    cmocka_unit_test(option_echoes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
