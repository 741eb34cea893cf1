/*
 * log.c - leveled one-line log to stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int log_level = LOG_INFO;
const char *log_ident = "matchd";

static const char *const names[] = {"error", "warn", "info", "debug"};
static const char *const labels[] = {"ERROR", "WARN", "INFO", "DEBUG"};

int
log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

void
mlog(int level, const char *fmt, ...)
{
	char line[2048];
	struct timespec now;
	struct tm tm;
	size_t n;
	va_list ap;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n,
	                      ".%06ldZ %s[%d] %s: ", now.tv_nsec / 1000, log_ident,
	                      (int)getpid(), labels[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* one write per line: the two threads' lines never interleave */
	(void)!write(STDERR_FILENO, line, n);
}
