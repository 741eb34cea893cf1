/*
 * auth.h - who sends a request: HTTP Basic (a broker's PostgreSQL login role
 * and password, checked by PostgreSQL: the daemon opens a connection as that
 * role with that password to --auth-conninfo, where pg_hba.conf asks for
 * scram-sha-256) or an API key (Authorization: Bearer, checked by
 * exchange.api_key_broker, which compares SHA-256 hashes).
 *
 * A credential that checked out is remembered for --auth-cache seconds as
 * the SHA-256 of a per-process random salt and the credential (never the
 * password itself), mapped to the broker role; the password lives only in
 * the request's memory while it is checked.
 *
 * Failed passwords are counted per role name: after --max-auth-failures (20)
 * in a 60 s window the role's Basic logins are refused with AUTH_THROTTLED
 * (429) without asking PostgreSQL until the window ends, from any address —
 * each guess would otherwise cost PostgreSQL a connection and a SCRAM
 * exchange, and the per-address connection limit does not stop a guesser
 * with many addresses.  A credential in the cache still passes (the broker
 * who already logged in is not locked out by a guesser); a success clears
 * the count.
 */
#ifndef HTTPD_AUTH_H
#define HTTPD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

void auth_init(const char *auth_conninfo, int cache_seconds, int max_failures);

typedef enum
{
	AUTH_NONE = 0, /* no Authorization header: anonymous */
	AUTH_OK,       /* role is set */
	AUTH_BAD,      /* malformed header or wrong credentials: 401 */
	AUTH_DOWN,     /* PostgreSQL could not say: 503 */
	AUTH_THROTTLED /* too many failed passwords for the role lately: 429 */
} auth_result;

/* header: the Authorization header or NULL; role: DB_ROLE_MAX bytes */
auth_result auth_check(const char *header, char *role, char *msg, size_t size);

#endif
