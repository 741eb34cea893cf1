/*
 * pure_lookalikes.c - a fixture of scripts/purity.sh --test (never compiled):
 * a pure file full of look-alikes that the check must not report.  Denied
 * names in comments, such as write(fd, buf, n), printf("x") or time(NULL),
 * do not count; nor do they inside string and character literals, in member
 * calls through the caller's own table, or as parts of longer identifiers.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_wire.h"

typedef struct sink
{
	int (*write)(void *ctx, const char *buf, size_t len);
	int64_t (*time)(void *ctx);
	void *ctx;
} sink;

static int64_t
timestamp(int64_t ts) // not time(), not clock()
{
	return ts;
}

static int
cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int
fixture_lookalikes(sink *out, sink s, int *v, size_t n, const char *fmt, ...)
{
	char msg[128];
	va_list ap;
	int64_t time = timestamp(1); /* a variable may be called time */
	int *copy = malloc(n * sizeof(*copy));
	const char *text = "fopen(\"x\") and exit(1) and \"write(\" in a string";
	char paren = '(', quote = '"';

	if (copy == NULL)
		return -1;
	memcpy(copy, v, n * sizeof(*copy));
	qsort(copy, n, sizeof(*copy), cmp);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s %c%c", text, paren, quote);
	time += out->time(out->ctx) + s.time(s.ctx);
	out->write(out->ctx, msg, strlen(msg));
	s.write(s.ctx, msg, strlen(msg));
	free(copy);
	return (int)time;
}
