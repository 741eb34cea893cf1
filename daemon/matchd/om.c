/*
 * om.c - the order manager hook: a pass-through until risk checks exist.
 */
#include "om.h"

int
om_check(pgx_str role, const pgx_record *req, char sqlstate[6], char *message,
         size_t message_size)
{
	(void)role;
	(void)req;
	(void)sqlstate;
	(void)message;
	(void)message_size;
	return 0;
}
