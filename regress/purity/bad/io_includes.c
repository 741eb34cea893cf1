/*
 * io_includes.c - a fixture of scripts/purity.sh --test (never compiled): a
 * "pure" file that includes what only the shell may include.  Each line the
 * check must report is marked PURITY-EXPECT; no other line may be reported.
 */
#define _GNU_SOURCE /* PURITY-EXPECT */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>     /* PURITY-EXPECT */
#include <pthread.h>    /* PURITY-EXPECT */
#include <libpq-fe.h>   /* PURITY-EXPECT */
#include <time.h>       /* PURITY-EXPECT */
#include <sys/socket.h> /* PURITY-EXPECT */
#include <assert.h>     /* PURITY-EXPECT */

#include "exchange_wire.h"
#include "log.h" /* PURITY-EXPECT: a header of the shell (daemon/matchd/) */
#include HEADER  /* PURITY-EXPECT: a computed include */

int
fixture_includes(void)
{
	return 0;
}
