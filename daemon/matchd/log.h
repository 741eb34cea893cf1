/*
 * log.h - matchd's log: one line per event worth knowing, with a level.
 *
 *	2026-11-23T09:30:00.123456Z matchd[4242] INFO: ready: 3 symbols, ...
 *
 * Lines go to stderr (the service manager or `make start` keeps them); a
 * line is written with one call so lines of the two threads never mix.
 */
#ifndef MJ_LOG_H
#define MJ_LOG_H

enum log_level
{
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3
};

extern int log_level;
/* the program name of each line: "matchd" unless set (gatewayd) */
extern const char *log_ident;

/* -1 for an unknown name; names: error, warn, info, debug. */
int log_level_parse(const char *name);
void mlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
