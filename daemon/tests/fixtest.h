/*
 * fixtest.h - helpers of the FIX tests: framing a message from readable text
 * ('|' for SOH) with an independently computed BodyLength and CheckSum, so
 * that the tests do not trust the builder they check.
 */
#ifndef FIX_FIXTEST_H
#define FIX_FIXTEST_H

#include <stdio.h>
#include <string.h>

/* "8=FIX.4.4|9=<len>|" + body + "10=<sum>|" into out; body uses '|' for SOH
 * and must end in '|'.  Returns the length. */
static inline size_t
fixt_frame(char *out, size_t cap, const char *body)
{
	size_t blen = strlen(body), n;
	unsigned sum = 0;

	n = (size_t)snprintf(out, cap, "8=FIX.4.4\0019=%zu\001", blen);
	for (size_t i = 0; i < blen; i++)
		out[n + i] = body[i] == '|' ? '\001' : body[i];
	n += blen;
	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)out[i];
	n += (size_t)snprintf(out + n, cap - n, "10=%03u\001", sum % 256);
	return n;
}

/* out with SOH shown as '|' (for messages in assertions). */
static inline const char *
fixt_show(const char *msg, size_t len)
{
	static char buf[4096];
	size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;

	for (size_t i = 0; i < n; i++)
		buf[i] = msg[i] == '\001' ? '|' : msg[i];
	buf[n] = '\0';
	return buf;
}

#endif
