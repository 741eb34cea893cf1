/*
 * api.h - the REST endpoints: each checks its parameters, runs one SQL
 * statement as the broker's role (or the daemon's own role for public market
 * data) through the existing SQL functions and views, and answers the JSON
 * that PostgreSQL built (prices as decimal strings, times ISO 8601 UTC);
 * errors are {error, sqlstate, message} with the status of the SQLSTATE
 * (route.c, docs/rest.md).
 */
#ifndef HTTPD_API_H
#define HTTPD_API_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "route.h"

#define API_ARGS_MAX 16

typedef struct
{
	int status;
	jbuf body;
	const char *content_type;
	const char *header_name; /* one extra header, or NULL */
	char header_value[128];
} http_answer;

typedef struct
{
	route rt;
	const char *role; /* "" = anonymous */
	const char *body;
	size_t body_len;
	/* the query string's arguments (decoded), in order */
	const char *arg_name[API_ARGS_MAX];
	const char *arg_value[API_ARGS_MAX];
	int nargs;
	bool too_many_args;
} api_request;

void answer_init(http_answer *a);
void answer_free(http_answer *a);
void answer_error(http_answer *a, int status, const char *sqlstate, const char *message);

/* every JSON endpoint but the streams and the OpenAPI document */
void api_handle(const api_request *rq, http_answer *a);

/* the argument name's value, or NULL */
const char *api_arg(const api_request *rq, const char *name);
/* 0, or a 400 answered when an argument is not one of allowed (NULL-terminated) */
int api_check_args(const api_request *rq, const char *const *allowed, http_answer *a);

#endif
