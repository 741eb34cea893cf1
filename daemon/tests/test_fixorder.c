/*
 * test_fixorder.c - FIX order entry messages <-> exchange_wire requests
 * (daemon/gateway/fixorder.c): every refusal of NewOrderSingle, cancel and
 * replace with its level, reason, tag and SQLSTATE; exact prices on the tick
 * grid; the request records; ExecutionReport and OrderCancelReject bytes.
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
	    {NOS "38=1|40=3|", FIXO_REJ_ORDER, 11, 40, NULL,
	     "OrdType(40) 3 is not supported: 1 (market) or 2 (limit)"},
	    {NOS "38=1|40=2|59=6|44=1|", FIXO_REJ_ORDER, 11, 59, NULL,
	     "TimeInForce(59) 6 is not supported: 0 (day), 1 (good till cancel), 3 "
	     "(immediate "
	     "or cancel) or 4 (fill or kill)"},
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
