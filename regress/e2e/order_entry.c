/*
 * order_entry.c - end-to-end order entry through libpq: two brokers trade
 * through exchange.submit_order & co. against a real matchd; checks the
 * responses, executions, notifications, and that neither broker can see or
 * touch the other's orders.  Connects with the PG* variables of the stack;
 * the roles e2e_broker_x / e2e_broker_y and their accounts X1 / Y1 exist.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

static int checks, failures;

#define CHECK(cond, ...)                                                                 \
	do                                                                                   \
	{                                                                                    \
		checks++;                                                                        \
		if (cond)                                                                        \
			printf("ok %d - ", checks);                                                  \
		else                                                                             \
		{                                                                                \
			printf("not ok %d - ", checks);                                              \
			failures++;                                                                  \
		}                                                                                \
		printf(__VA_ARGS__);                                                             \
		printf("\n");                                                                    \
	} while (0)

static PGconn *
connect_as(const char *user)
{
	const char *keys[] = {"user", "application_name", NULL};
	const char *vals[] = {user, "e2e_order_entry", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 0);

	if (PQstatus(c) != CONNECTION_OK)
	{
		fprintf(stderr, "connect as %s: %s", user, PQerrorMessage(c));
		exit(2);
	}
	return c;
}

/* Runs sql; returns the result (caller clears). */
static PGresult *
run(PGconn *c, const char *sql)
{
	return PQexec(c, sql);
}

static const char *
sqlstate(PGresult *r)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return s ? s : "00000";
}

/* Expects one row; returns column col of it ("" when absent). */
static const char *
val(PGresult *r, const char *col)
{
	int f = PQfnumber(r, col);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1 || f < 0)
		return "";
	return PQgetvalue(r, 0, f);
}

static void
expect_error(PGconn *c, const char *sql, const char *state, const char *what)
{
	PGresult *r = run(c, sql);

	CHECK(PQresultStatus(r) == PGRES_FATAL_ERROR && strcmp(sqlstate(r), state) == 0,
	      "%s -> %s (got %s: %s)", what, state, sqlstate(r),
	      PQresultStatus(r) == PGRES_FATAL_ERROR
	          ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
	          : "no error");
	PQclear(r);
}

/* Waits up to ms for a notification on c; returns it or NULL. */
static PGnotify *
wait_notify(PGconn *c, int ms)
{
	PGnotify *n;
	struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};

	for (int waited = 0; waited <= ms; waited += 50)
	{
		PQconsumeInput(c);
		if ((n = PQnotifies(c)) != NULL)
			return n;
		poll(&p, 1, 50);
	}
	return NULL;
}

int
main(void)
{
	PGconn *x = connect_as("e2e_broker_x");
	PGconn *y = connect_as("e2e_broker_y");
	PGconn *admin = connect_as("postgres");
	PGresult *r;
	PGnotify *n;
	char sql[512], buy_id[32];
	int got_own = 0, got_other = 0;

	PQclear(run(y, "LISTEN exchange_executions"));
	PQclear(run(x, "LISTEN \"exchange_book_E2E\""));

	/* a resting buy */
	r = run(x, "SELECT * FROM exchange.submit_order('X1', 'E2E', 'buy', 100, 10.00)");
	CHECK(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1,
	      "submit buy: one row (%s)", PQresultErrorMessage(r));
	snprintf(buy_id, sizeof(buy_id), "%s", val(r, "id"));
	CHECK(strcmp(val(r, "status"), "new") == 0, "buy status new (got %s)",
	      val(r, "status"));
	CHECK(strcmp(val(r, "remaining_quantity"), "100") == 0 &&
	          strcmp(val(r, "filled_quantity"), "0") == 0,
	      "buy remaining 100, filled 0");
	CHECK(val(r, "creation_time")[0] != '\0', "buy has a creation time (%s)",
	      val(r, "creation_time"));
	CHECK(PQgetisnull(r, 0, PQfnumber(r, "reject_reason")), "no reject reason");
	PQclear(r);

	/* the book channel heard of it at commit */
	n = wait_notify(x, 2000);
	CHECK(n != NULL && strstr(n->extra, "\"E2E\"") != NULL,
	      "book notification for E2E (%s)", n ? n->extra : "none");
	if (n)
		PQfreemem(n);

	/* a marketable sell from the other broker: fills at the resting price */
	r = run(y, "SELECT * FROM exchange.submit_order('Y1', 'E2E', 'sell', 40, 9.99)");
	CHECK(strcmp(val(r, "status"), "filled") == 0 &&
	          strcmp(val(r, "filled_quantity"), "40") == 0,
	      "sell fills 40 at once (status %s, filled %s) %s", val(r, "status"),
	      val(r, "filled_quantity"), PQresultErrorMessage(r));
	PQclear(r);

	/* broker y hears of its fill on exchange_executions */
	for (int i = 0; i < 4 && (n = wait_notify(y, 2000)) != NULL; i++)
	{
		if (strstr(n->extra, "\"Y1\""))
			got_own = 1;
		if (strstr(n->extra, "\"X1\""))
			got_other = 1;
		PQfreemem(n);
	}
	CHECK(got_own, "broker y received a fill notification naming its account Y1");
	(void)got_other;

	/* executions: each broker sees its own side only */
	r = run(x, "SELECT order_id, side, price, quantity, account, order_type "
	           "FROM exchange.executions('E2E')");
	CHECK(PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 4), "X1") == 0 &&
	          strcmp(PQgetvalue(r, 0, 1), "buy") == 0 &&
	          strcmp(PQgetvalue(r, 0, 2), "10.00") == 0 &&
	          strcmp(PQgetvalue(r, 0, 3), "40") == 0 &&
	          strcmp(PQgetvalue(r, 0, 0), buy_id) == 0,
	      "broker x sees exactly its execution: buy 40 @ 10.00 (%d rows) %s",
	      PQntuples(r), PQresultErrorMessage(r));
	PQclear(r);
	r = run(y, "SELECT account, side FROM exchange.executions('E2E')");
	CHECK(PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "Y1") == 0 &&
	          strcmp(PQgetvalue(r, 0, 1), "sell") == 0,
	      "broker y sees exactly its execution (%d rows)", PQntuples(r));
	PQclear(r);
	r = run(admin, "SELECT count(*) FROM exchange.executions('E2E')");
	CHECK(strcmp(PQgetvalue(r, 0, 0), "2") == 0, "the exchange sees both sides");
	PQclear(r);

	/* neither broker can touch the other's account or order */
	snprintf(sql, sizeof(sql), "SELECT * FROM exchange.cancel_order('X1', %s)", buy_id);
	expect_error(y, sql, "42501", "broker y cancels with x's account");
	snprintf(sql, sizeof(sql), "SELECT * FROM exchange.cancel_order('Y1', %s)", buy_id);
	expect_error(y, sql, "PX030", "broker y cancels x's order through its own account");
	expect_error(y, "SELECT * FROM exchange.submit_order('X1', 'E2E', 'buy', 1, 10.00)",
	             "42501", "broker y submits for x's account");

	/* bad input never reaches the book */
	expect_error(x, "SELECT * FROM exchange.submit_order('X1', 'NOPE', 'buy', 10, 1)",
	             "PX020", "unknown symbol");
	expect_error(x, "SELECT * FROM exchange.submit_order('X1', 'E2E', 'buy', 10, 10.001)",
	             "PX010", "price off the tick");
	expect_error(x, "SELECT * FROM exchange.submit_order('X1', 'E2E', 'buy', 13, 10.00)",
	             "PX013", "quantity off the lot");
	expect_error(x, "SELECT * FROM exchange.submit_order('X1', 'E2E', 'buy', 0, 10.00)",
	             "PX012", "zero quantity");
	expect_error(x, "SELECT * FROM exchange.submit_order('X1', 'E2E', 'buy', 10)",
	             "PX011", "limit order without a price");
	expect_error(x,
	             "SELECT * FROM exchange.submit_order('X1', 'E2E', 'buy', 10, 10.00, "
	             "'market', 'ioc')",
	             "PX011", "market order with a price");
	expect_error(x, "SELECT * FROM exchange.cancel_order('X1', 987654321)", "PX030",
	             "cancel of an unknown order");

	/* amend down keeps priority; then cancel */
	snprintf(sql, sizeof(sql), "SELECT * FROM exchange.amend_order('X1', %s, 30)",
	         buy_id);
	r = run(x, sql);
	CHECK(strcmp(val(r, "status"), "partially_filled") == 0 &&
	          strcmp(val(r, "remaining_quantity"), "30") == 0 &&
	          strcmp(val(r, "filled_quantity"), "40") == 0,
	      "amend to 30 open: partially_filled, remaining 30, filled 40 (%s %s %s) %s",
	      val(r, "status"), val(r, "remaining_quantity"), val(r, "filled_quantity"),
	      PQresultErrorMessage(r));
	PQclear(r);
	snprintf(sql, sizeof(sql), "SELECT * FROM exchange.cancel_order('X1', %s)", buy_id);
	r = run(x, sql);
	CHECK(strcmp(val(r, "status"), "canceled") == 0 &&
	          strcmp(val(r, "remaining_quantity"), "0") == 0,
	      "cancel: canceled, nothing open (%s)", val(r, "status"));
	PQclear(r);
	expect_error(x, sql, "PX030", "cancel twice");

	/* SET ROLE counts: the superuser acting as broker x */
	PQclear(run(admin, "SET ROLE e2e_broker_x"));
	r = run(admin, "SELECT * FROM exchange.submit_order('X1', 'E2E', 'sell', 10, 10.40, "
	               "client_order_id => 'cl-1')");
	CHECK(strcmp(val(r, "status"), "new") == 0, "SET ROLE e2e_broker_x may trade X1 (%s)",
	      PQresultErrorMessage(r));
	PQclear(r);
	PQclear(run(admin, "RESET ROLE"));

	/* a market order against the resting sell (within the 5% collar around the
	 * last trade of 10.00): fills, IOC never rests */
	r = run(y,
	        "SELECT * FROM exchange.submit_order('Y1', 'E2E', 'buy', 20, order_type => "
	        "'market', time_in_force => 'ioc')");
	CHECK(strcmp(val(r, "status"), "canceled") == 0 &&
	          strcmp(val(r, "filled_quantity"), "10") == 0,
	      "market buy 20 fills 10 and cancels the rest (%s, filled %s, reason %s)",
	      val(r, "status"), val(r, "filled_quantity"), val(r, "reject_reason"));
	PQclear(r);

	/* the journal agrees with what was acknowledged */
	r = run(admin,
	        "SELECT count(*) FILTER (WHERE kind = 'new_order'), "
	        "count(*) FILTER (WHERE kind = 'trade'), max(seq) = (SELECT last_seq FROM "
	        "exchange.streams WHERE name = 'main') FROM exchange.journal WHERE symbol = "
	        "'E2E'");
	CHECK(
	    strcmp(PQgetvalue(r, 0, 0), "4") == 0 && strcmp(PQgetvalue(r, 0, 1), "2") == 0 &&
	        strcmp(PQgetvalue(r, 0, 2), "t") == 0,
	    "journal: 4 new orders, 2 trades, ends at the sequencer's last seq (%s, %s, %s)",
	    PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
	PQclear(r);

	PQfinish(x);
	PQfinish(y);
	PQfinish(admin);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
