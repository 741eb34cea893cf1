/*
 * io_calls.c - a fixture of scripts/purity.sh --test (never compiled): a
 * "pure" file whose includes are all allowed but whose code does I/O, reads
 * clocks and randomness, and stops the process.  Each line the check must
 * report is marked PURITY-EXPECT; no other line may be reported.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int
fixture_calls(int fd, const char *buf, size_t len)
{
	FILE *f = fopen("/tmp/x", "w");  /* PURITY-EXPECT */
	int64_t t = (int64_t)time(NULL); /* PURITY-EXPECT */
	struct timespec ts;
	char line[64];

	fprintf(stderr, "journal %zu\n", len); /* PURITY-EXPECT */
	printf("%d\n", fd);                    /* PURITY-EXPECT */
	if (write(fd, buf, len) < 0)           /* PURITY-EXPECT */
		abort();                           /* PURITY-EXPECT */
	clock_gettime(CLOCK_MONOTONIC, &ts);   /* PURITY-EXPECT */
	gettimeofday(NULL, NULL);              /* PURITY-EXPECT */
	pthread_mutex_lock(NULL);              /* PURITY-EXPECT */
	PQexec(NULL, "SELECT 1");              /* PURITY-EXPECT */
	t += rand();                           /* PURITY-EXPECT */
	t += random();                         /* PURITY-EXPECT */
	getrandom(&t, sizeof(t), 0);           /* PURITY-EXPECT */
	if (getenv("PGX_DEBUG"))               /* PURITY-EXPECT */
		exit(1);                           /* PURITY-EXPECT */
	signal(15, NULL);                      /* PURITY-EXPECT */
	usleep(1000);                          /* PURITY-EXPECT */
	epoll_wait(fd, NULL, 1, 0);            /* PURITY-EXPECT */
	fd = socket(1, 1, 0);                  /* PURITY-EXPECT */
	fd = open("/dev/urandom", 0);          /* PURITY-EXPECT */
	__asm__ volatile("rdtsc");             /* PURITY-EXPECT */
	snprintf(line, sizeof(line), "%d", fd);
	return (int)t + (f != NULL);
}
