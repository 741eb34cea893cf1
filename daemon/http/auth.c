/*
 * auth.c - Basic and Bearer authentication, checked by PostgreSQL (auth.h).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "auth.h"
#include "log.h"
#include "route.h"

#define CACHE_SLOTS   512
#define FAIL_SLOTS    256
#define FAIL_WINDOW_S 60

typedef struct
{
	unsigned char digest[32];
	char role[DB_ROLE_MAX];
	time_t expires;
} cache_entry;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static cache_entry cache[CACHE_SLOTS];
static unsigned char salt[32];
static char *auth_conninfo;
static int cache_seconds = 10;

/* failed passwords per role name in the current window (auth.h) */
typedef struct
{
	char role[DB_ROLE_MAX];
	time_t window_start;
	int failures;
} fail_entry;

static fail_entry fails[FAIL_SLOTS];
static int max_failures = 20;

void
auth_init(const char *conninfo, int seconds, int failures)
{
	auth_conninfo = conninfo ? strdup(conninfo) : NULL;
	cache_seconds = seconds < 0 ? 0 : seconds;
	max_failures = failures < 1 ? 1 : failures;
	if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
		for (size_t i = 0; i < sizeof(salt); i++) /* never on Linux >= 3.17 */
			salt[i] = (unsigned char)(rand() ^ (int)time(NULL));
}

static void
digest_of(char kind, const char *a, const char *b, unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 32;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, salt, sizeof(salt));
	EVP_DigestUpdate(ctx, &kind, 1);
	EVP_DigestUpdate(ctx, a, strlen(a) + 1);
	if (b)
		EVP_DigestUpdate(ctx, b, strlen(b) + 1);
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

static bool
cache_get(const unsigned char d[32], char *role)
{
	bool hit = false;
	time_t now = time(NULL);
	cache_entry *e = &cache[(d[0] | (d[1] << 8)) % CACHE_SLOTS];

	pthread_mutex_lock(&mu);
	if (e->expires > now && memcmp(e->digest, d, 32) == 0)
	{
		memcpy(role, e->role, DB_ROLE_MAX);
		hit = true;
	}
	pthread_mutex_unlock(&mu);
	return hit;
}

static void
cache_put(const unsigned char d[32], const char *role)
{
	cache_entry *e = &cache[(d[0] | (d[1] << 8)) % CACHE_SLOTS];

	if (cache_seconds == 0)
		return;
	pthread_mutex_lock(&mu);
	memcpy(e->digest, d, 32);
	snprintf(e->role, sizeof(e->role), "%s", role);
	e->expires = time(NULL) + cache_seconds;
	pthread_mutex_unlock(&mu);
}

/*
 * The role's failure slot (FNV-1a of the name).  Two roles that share a slot
 * share a count: a collision can only make the throttle earlier, never let a
 * guesser through.  Called with mu held.
 */
static fail_entry *
fail_slot(const char *role, time_t now)
{
	uint32_t h = 2166136261u;
	fail_entry *e;

	for (const char *p = role; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	e = &fails[h % FAIL_SLOTS];
	if (strcmp(e->role, role) != 0 || now - e->window_start >= FAIL_WINDOW_S)
	{
		snprintf(e->role, sizeof(e->role), "%s", role);
		e->window_start = now;
		e->failures = 0;
	}
	return e;
}

/* true when the role may try a password now */
static bool
may_try(const char *role, char *msg, size_t size)
{
	time_t now = time(NULL);
	fail_entry *e;
	bool ok;
	long wait;

	pthread_mutex_lock(&mu);
	e = fail_slot(role, now);
	ok = e->failures < max_failures;
	wait = (long)(e->window_start + FAIL_WINDOW_S - now);
	pthread_mutex_unlock(&mu);
	if (!ok)
		snprintf(msg, size,
		         "too many failed passwords for this user in the last %d s: try again "
		         "in %ld s",
		         FAIL_WINDOW_S, wait);
	return ok;
}

static void
count_result(const char *role, bool failed)
{
	time_t now = time(NULL);
	fail_entry *e;
	int n;

	pthread_mutex_lock(&mu);
	e = fail_slot(role, now);
	e->failures = failed ? e->failures + 1 : 0;
	n = e->failures;
	pthread_mutex_unlock(&mu);
	if (failed && n == max_failures)
		mlog(LOG_WARN,
		     "Basic authentication as %s: %d failed passwords in %d s, refused without "
		     "asking PostgreSQL until the window ends",
		     role, n, FAIL_WINDOW_S);
}

/* a PostgreSQL role name as the daemon accepts it (it is quoted as an identifier anyway)
 */
static bool
role_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= DB_ROLE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"')
			return false;
	return true;
}

static auth_result
check_password(const char *user, const char *password, char *msg, size_t size)
{
	const char *keys[] = {"dbname",          "user", "password", "application_name",
	                      "connect_timeout", NULL};
	const char *vals[] = {auth_conninfo, user, password, "pgx-httpd-auth", "5", NULL};
	PGconn *c;
	auth_result res;

	if (auth_conninfo == NULL)
		return snprintf(msg, size, "password authentication is not configured"),
		       AUTH_DOWN;
	c = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(c) == CONNECTION_OK)
		res = AUTH_OK;
	else if (PQconnectionUsedPassword(c) || strstr(PQerrorMessage(c), "password") != NULL)
	{
		res = AUTH_BAD;
		snprintf(msg, size, "bad user name or password");
		mlog(LOG_INFO, "Basic authentication as %s refused by PostgreSQL", user);
	}
	else
	{
		res = AUTH_DOWN;
		snprintf(msg, size, "cannot check the password now");
		mlog(LOG_WARN, "password check for %s: %s", user, PQerrorMessage(c));
	}
	PQfinish(c);
	return res;
}

static auth_result
check_key(const char *key, char *role, char *msg, size_t size)
{
	char state[6];
	PGconn *c = db_take("", state, msg, size);
	PGresult *r;
	const char *params[1] = {key};
	auth_result res;

	if (c == NULL)
		return AUTH_DOWN;
	r = PQexecParams(c, "SELECT exchange.api_key_broker($1)", 1, NULL, params, NULL, NULL,
	                 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
	{
		snprintf(msg, size, "cannot check the API key now");
		mlog(LOG_WARN, "API key check: %s", PQresultErrorMessage(r));
		res = AUTH_DOWN;
	}
	else if (PQgetisnull(r, 0, 0))
	{
		snprintf(msg, size, "unknown or revoked API key");
		res = AUTH_BAD;
	}
	else
	{
		snprintf(role, DB_ROLE_MAX, "%s", PQgetvalue(r, 0, 0));
		res = AUTH_OK;
	}
	PQclear(r);
	db_give("", c);
	return res;
}

auth_result
auth_check(const char *header, char *role, char *msg, size_t size)
{
	unsigned char d[32];

	role[0] = '\0';
	if (header == NULL)
		return AUTH_NONE;
	if (strncasecmp(header, "Basic ", 6) == 0)
	{
		char plain[512];
		char *colon;
		auth_result res;
		const char *b64 = header + 6;

		while (*b64 == ' ')
			b64++;
		if (strlen(b64) > 680 || base64_decode(b64, plain, sizeof(plain)) < 0 ||
		    (colon = strchr(plain, ':')) == NULL)
			return snprintf(msg, size, "malformed Basic credentials"), AUTH_BAD;
		*colon = '\0';
		if (!role_ok(plain) || colon[1] == '\0')
		{
			explicit_bzero(plain, sizeof(plain));
			return snprintf(msg, size, "bad user name or password"), AUTH_BAD;
		}
		digest_of('B', plain, colon + 1, d);
		if (cache_get(d, role))
		{
			explicit_bzero(plain, sizeof(plain));
			return AUTH_OK;
		}
		if (!may_try(plain, msg, size))
		{
			explicit_bzero(plain, sizeof(plain));
			return AUTH_THROTTLED;
		}
		res = check_password(plain, colon + 1, msg, size);
		if (res != AUTH_DOWN)
			count_result(plain, res == AUTH_BAD);
		if (res == AUTH_OK)
		{
			memcpy(role, plain,
			       strlen(plain) + 1); /* role_ok: shorter than DB_ROLE_MAX */
			cache_put(d, role);
		}
		explicit_bzero(plain, sizeof(plain));
		return res;
	}
	if (strncasecmp(header, "Bearer ", 7) == 0)
	{
		const char *key = header + 7;
		auth_result res;

		while (*key == ' ')
			key++;
		if (!param_name(key, 128))
			return snprintf(msg, size, "malformed API key"), AUTH_BAD;
		digest_of('K', key, NULL, d);
		if (cache_get(d, role))
			return AUTH_OK;
		res = check_key(key, role, msg, size);
		if (res == AUTH_OK)
			cache_put(d, role);
		return res;
	}
	snprintf(msg, size, "unsupported authorization scheme (use Basic or Bearer)");
	return AUTH_BAD;
}
