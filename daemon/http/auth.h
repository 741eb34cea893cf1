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
 */
#ifndef HTTPD_AUTH_H
#define HTTPD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

void auth_init(const char *auth_conninfo, int cache_seconds);

typedef enum
{
	AUTH_NONE = 0, /* no Authorization header: anonymous */
	AUTH_OK,       /* role is set */
	AUTH_BAD,      /* malformed header or wrong credentials: 401 */
	AUTH_DOWN      /* PostgreSQL could not say: 503 */
} auth_result;

/* header: the Authorization header or NULL; role: DB_ROLE_MAX bytes */
auth_result auth_check(const char *header, char *role, char *msg, size_t size);

#endif
