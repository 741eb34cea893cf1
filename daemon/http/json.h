/*
 * json.h - the REST daemon's JSON: a strict parser for request bodies and a
 * small writer for the answers the daemon builds itself (errors; the rest of
 * the answers are built by PostgreSQL).
 *
 * A body is one flat JSON object whose fields the endpoint declares: each
 * field a string, a decimal (a JSON string or number of the form
 * -?digits[.digits], never an exponent: it is passed on as text, so no float
 * ever touches a price), an integer (digits, as a number or a string) or a
 * boolean (the JSON literals true and false only, returned as "true" and
 * "false": a string "true" or a 1 is refused, so that a flag such as
 * postOnly never depends on how a client happens to spell it).
 * Refused, with a message naming the field: anything but one object, an
 * unknown field, a duplicate, a wrong type, nesting, a string that is not
 * UTF-8 or holds a control character, a value over JSONP_VALUE_MAX bytes, a
 * body over the caller's limit, trailing bytes.  null means "not given".
 * Pure: no I/O, no allocation (the values are copied into the caller's
 * buffer); fuzzed by fuzz/rest_json.c.
 */
#ifndef HTTPD_JSON_H
#define HTTPD_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSONP_FIELDS_MAX 16
#define JSONP_VALUE_MAX  256

typedef enum
{
	JSONP_STRING = 0,
	JSONP_DECIMAL = 1,
	JSONP_INTEGER = 2,
	JSONP_BOOLEAN = 3
} jsonp_type;

typedef struct
{
	const char *name;
	jsonp_type type;
} jsonp_field;

typedef struct
{
	/* NULL when absent or null; else NUL-terminated (an integer: digits only; a
	 * boolean: "true" or "false") */
	const char *value[JSONP_FIELDS_MAX];
	char store[JSONP_FIELDS_MAX * (JSONP_VALUE_MAX + 1)];
} jsonp_result;

/*
 * Parses body[0..len) against fields[0..nfields) (nfields <= JSONP_FIELDS_MAX).
 * 0 on success; -1 with a message for the client in err.
 */
int jsonp_parse(const char *body, size_t len, const jsonp_field *fields, size_t nfields,
                jsonp_result *out, char *err, size_t errsize);

/* ---- writer: a growing buffer (malloc); on allocation failure it stays failed */
typedef struct
{
	char *data;
	size_t len, cap;
	bool failed;
} jbuf;

void jbuf_init(jbuf *b);
void jbuf_free(jbuf *b);
void jbuf_raw(jbuf *b, const char *s, size_t n);
void jbuf_str(jbuf *b, const char *s); /* appends s NUL-terminated, raw */
/* appends s as a JSON string, quoted; bytes that are not UTF-8 become U+FFFD */
void jbuf_quote(jbuf *b, const char *s);
void jbuf_printf(jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* true when s[0..n) is valid UTF-8 (no overlongs, no surrogates) */
bool utf8_valid(const unsigned char *s, size_t n);

#endif
