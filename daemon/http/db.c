/*
 * db.c - connection pools per broker role (db.h).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

#define DB_POOLS    256
#define DB_IDLE_MAX 32

typedef struct
{
	char role[DB_ROLE_MAX];
	PGconn *idle[DB_IDLE_MAX];
	int nidle;
	int nopen; /* idle and in use */
	bool used;
} pool;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t returned = PTHREAD_COND_INITIALIZER;
static int max_open = 32;
static pool pools[DB_POOLS];
static char *base_conninfo;
static int max_idle = 4;
static int stmt_timeout_ms;
static unsigned long n_opened, n_reused;

void
db_init(const char *conninfo, int max_idle_per_role, int max_open_per_role,
        int statement_timeout_ms)
{
	max_open = max_open_per_role < 1 ? 1 : max_open_per_role;
	base_conninfo = strdup(conninfo);
	max_idle = max_idle_per_role < 1             ? 1
	           : max_idle_per_role > DB_IDLE_MAX ? DB_IDLE_MAX
	                                             : max_idle_per_role;
	stmt_timeout_ms = statement_timeout_ms;
}

void
db_shutdown(void)
{
	pthread_mutex_lock(&mu);
	for (int i = 0; i < DB_POOLS; i++)
	{
		for (int k = 0; k < pools[i].nidle; k++)
			PQfinish(pools[i].idle[k]);
		pools[i].nidle = 0;
	}
	pthread_mutex_unlock(&mu);
	free(base_conninfo);
	base_conninfo = NULL;
}

static pool *
find_pool(const char *role, bool create)
{
	pool *free_slot = NULL;

	for (int i = 0; i < DB_POOLS; i++)
	{
		if (pools[i].used && strcmp(pools[i].role, role) == 0)
			return &pools[i];
		if (!pools[i].used && free_slot == NULL)
			free_slot = &pools[i];
	}
	if (!create || free_slot == NULL)
		return NULL;
	snprintf(free_slot->role, sizeof(free_slot->role), "%s", role);
	free_slot->used = true;
	free_slot->nidle = 0;
	free_slot->nopen = 0;
	return free_slot;
}

PGconn *
db_connect_plain(char *msg, size_t size)
{
	const char *keys[] = {"dbname", "application_name", NULL};
	const char *vals[] = {base_conninfo, "pgx-httpd", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);

	if (PQstatus(c) != CONNECTION_OK)
	{
		snprintf(msg, size, "cannot connect to PostgreSQL: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void
copy_error(PGresult *r, char sqlstate[6], char *msg, size_t size)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	snprintf(sqlstate, 6, "%s", s ? s : "XX000");
	snprintf(msg, size, "%s", m ? m : "error");
}

/* one connection of role less: a waiter may open one */
static void
closed(const char *role)
{
	pool *p;

	pthread_mutex_lock(&mu);
	if ((p = find_pool(role, false)) != NULL && p->nopen > 0)
		p->nopen--;
	pthread_cond_broadcast(&returned);
	pthread_mutex_unlock(&mu);
}

PGconn *
db_take(const char *role, char sqlstate[6], char *msg, size_t size)
{
	PGconn *c = NULL;
	pool *p;
	PGresult *r;
	char setup[256];

	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&mu);
	if ((p = find_pool(role, true)) == NULL)
	{
		pthread_mutex_unlock(&mu);
		snprintf(sqlstate, 6, "53300");
		snprintf(msg, size, "too many broker roles at once");
		return NULL;
	}
	/* at most max_open connections a role: the others wait for one (backpressure) */
	while (p->nidle == 0 && p->nopen >= max_open)
		if (pthread_cond_timedwait(&returned, &mu, &until) != 0)
		{
			pthread_mutex_unlock(&mu);
			snprintf(sqlstate, 6, "53300");
			snprintf(msg, size, "all %d connections of the role are busy", max_open);
			return NULL;
		}
	if (p->nidle > 0)
	{
		c = p->idle[--p->nidle];
		n_reused++;
	}
	else
		p->nopen++;
	pthread_mutex_unlock(&mu);
	if (c != NULL)
		return c;
	if ((c = db_connect_plain(msg, size)) == NULL)
	{
		snprintf(sqlstate, 6, "08006");
		closed(role);
		return NULL;
	}
	if (role[0] != '\0')
	{
		char *id = PQescapeIdentifier(c, role, strlen(role));

		if (id == NULL)
		{
			snprintf(sqlstate, 6, "22023");
			snprintf(msg, size, "bad role name");
			PQfinish(c);
			closed(role);
			return NULL;
		}
		snprintf(setup, sizeof(setup), "SET ROLE %s", id);
		PQfreemem(id);
		r = PQexec(c, setup);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
		{
			copy_error(r, sqlstate, msg, size);
			if (strcmp(sqlstate, "42501") == 0)
				snprintf(
				    msg, size,
				    "role \"%s\" is not enabled for the REST API (exchange.rest_enable)",
				    role);
			PQclear(r);
			PQfinish(c);
			closed(role);
			return NULL;
		}
		PQclear(r);
	}
	if (stmt_timeout_ms > 0)
	{
		snprintf(setup, sizeof(setup), "SET statement_timeout = %d", stmt_timeout_ms);
		PQclear(PQexec(c, setup));
	}
	pthread_mutex_lock(&mu);
	n_opened++;
	pthread_mutex_unlock(&mu);
	return c;
}

void
db_give(const char *role, PGconn *c)
{
	pool *p;

	if (c == NULL)
		return;
	if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE)
	{
		PQfinish(c);
		closed(role);
		return;
	}
	pthread_mutex_lock(&mu);
	p = find_pool(role, true);
	if (p != NULL && p->nidle < max_idle)
	{
		p->idle[p->nidle++] = c;
		c = NULL;
		pthread_cond_broadcast(&returned);
	}
	pthread_mutex_unlock(&mu);
	if (c != NULL)
	{
		PQfinish(c);
		closed(role);
	}
}

void
db_stats(unsigned long *opened, unsigned long *reused)
{
	pthread_mutex_lock(&mu);
	*opened = n_opened;
	*reused = n_reused;
	pthread_mutex_unlock(&mu);
}
