/*
 * scheduler.h - trading hours: asks PostgreSQL when the market's schedule
 * last changed state, so that matchd can inject the open and the close.
 *
 * The schedule (time zone, open and close times, weekdays, holidays) lives
 * in SQL, where time zones are done right; exchange.scheduled_session()
 * returns the latest scheduled boundary.  This thread polls it on its own
 * connection (never blocking the event loop) and wakes the loop through an
 * eventfd; the loop decides with pl_schedule_due() and injects the command
 * through the sequencer like any other, so the core never reads a clock.
 */
#ifndef MJ_SCHEDULER_H
#define MJ_SCHEDULER_H

#include <stdint.h>

typedef struct scheduler scheduler;

typedef struct schedule_point
{
	int valid;           /* a schedule exists */
	int is_open;         /* the boundary is an open (else a close) */
	int64_t boundary_ts; /* microseconds since 2000-01-01 UTC */
	int32_t session_day; /* days since 2000-01-01: the session's local date */
} schedule_point;

/* Starts polling every interval_ms; wake_fd (an eventfd) is written after
 * each answer.  NULL when the thread cannot start. */
scheduler *scheduler_start(const char *conninfo, int stream, uint32_t interval_ms,
                           int wake_fd);
/* The latest answer (valid = 0 while there is none). */
void scheduler_get(scheduler *s, schedule_point *out);
void scheduler_stop(scheduler *s);

#endif
