/*
 * fixmsg.h - the FIX 4.4 tag=value codec: framing, fields, typed getters and
 * a builder.  Pure: no I/O, no clock, no allocation (the caller owns every
 * buffer; a parsed message points into the bytes it was parsed from).
 *
 * Contract of fix_parse (one message from the front of a byte buffer):
 *   - FIX_NEED_MORE: the bytes are a proper prefix of a message that may
 *     still be well framed; read more and call again.
 *   - FIX_GARBLED: the front is not a well-framed FIX 4.4 message (it does
 *     not start "8=FIX.4.4<SOH>9=", BodyLength is not a canonical number up
 *     to FIX_BODY_MAX, the body does not end in SOH exactly where 9 says,
 *     "10=" with three digits and SOH does not follow, the checksum differs,
 *     or the third field is not MsgType(35)).  *used is how many bytes to
 *     drop: up to the next "8=FIX" (the resync point); the session layer
 *     drops garbled messages silently, as the spec says.
 *   - FIX_OK: *used bytes form one message; m's fields point into buf.  A
 *     well-framed message may still be invalid at the field level (a tag
 *     that is not a positive integer up to FIX_TAG_MAX, an empty value, a
 *     tag given twice, more than FIX_MAX_FIELDS fields): then m->bad_reason
 *     is the SessionRejectReason(373) and m->bad_tag the tag concerned
 *     (0 when none can be named), for a session-level Reject; the fields
 *     read up to the problem are kept.  FIX_NO_REASON otherwise.
 * The profile has no repeating groups, so a duplicate tag is always invalid.
 *
 * The builder writes 8, 9 (computed), 35, then whatever fields are added,
 * then 10 (computed).  fix_build_header adds the standard header fields
 * 49, 56, 34, 52 in that order.
 */
#ifndef FIX_FIXMSG_H
#define FIX_FIXMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FIX_SOH        '\001'
#define FIX_BEGIN      "8=FIX.4.4\001"
#define FIX_MAX_FIELDS 64
#define FIX_TAG_MAX    99999
#define FIX_BODY_MAX   16384 /* larger BodyLength: garbled */
#define FIX_NO_REASON  (-1)

/* SessionRejectReason(373), FIX 4.4 */
enum
{
	FIX_SRR_INVALID_TAG = 0,
	FIX_SRR_REQUIRED_TAG_MISSING = 1,
	FIX_SRR_TAG_NOT_DEFINED = 2,
	FIX_SRR_UNDEFINED_TAG = 3,
	FIX_SRR_TAG_WITHOUT_VALUE = 4,
	FIX_SRR_VALUE_INCORRECT = 5,
	FIX_SRR_INCORRECT_FORMAT = 6,
	FIX_SRR_COMPID_PROBLEM = 9,
	FIX_SRR_SENDINGTIME = 10,
	FIX_SRR_INVALID_MSGTYPE = 11,
	FIX_SRR_TAG_TWICE = 13,
	FIX_SRR_OUT_OF_ORDER = 14,
	FIX_SRR_OTHER = 99
};

typedef enum fix_parse_rc
{
	FIX_GARBLED = -1,
	FIX_NEED_MORE = 0,
	FIX_OK = 1
} fix_parse_rc;

typedef struct fix_field
{
	int tag;
	uint32_t len;
	const char *val; /* not terminated: len bytes */
} fix_field;

typedef struct fix_msg
{
	const char *raw; /* the whole message, 8= .. 10=xxx<SOH> */
	size_t raw_len;
	int nfields; /* 8, 9, 35, ..., 10 included */
	fix_field f[FIX_MAX_FIELDS];
	int bad_reason; /* FIX_NO_REASON or a SessionRejectReason */
	int bad_tag;
} fix_msg;

fix_parse_rc fix_parse(const char *buf, size_t len, fix_msg *m, size_t *used);

/* The field with tag, or NULL. */
const fix_field *fix_get(const fix_msg *m, int tag);
/* Whether the message's MsgType equals type (a C string). */
bool fix_is_type(const fix_msg *m, const char *type);
/* Whether a MsgType is defined by FIX 4.4 (the 35 values of its dictionary). */
bool fix_msgtype_known(const char *type, size_t len);
/* Whether a MsgType is a session-level (admin) message: 0 1 2 3 4 5 A. */
bool fix_msgtype_admin(const char *type, size_t len);

/* ---- typed values: 0 on success, else a FIX_V_* and *out untouched ---------------- */
enum
{
	FIX_V_OK = 0,
	FIX_V_FORMAT = -1,    /* not the type's syntax */
	FIX_V_RANGE = -2,     /* does not fit int64 */
	FIX_V_PRECISION = -3, /* more decimals than the scale holds */
};

/* int: optional '-', then digits. */
int fix_val_int(const fix_field *f, int64_t *out);
/* A non-negative int without sign (MsgSeqNum, lengths). */
int fix_val_uint(const fix_field *f, int64_t *out);
/* float/Price/Qty as value * 10^scale exactly (scale 0..18): "12.340" at scale 2
 * is 1234; "12.345" at scale 2 is FIX_V_PRECISION (never rounded). */
int fix_val_decimal(const fix_field *f, int scale, int64_t *out);
int fix_val_char(const fix_field *f, char *out);
/* Boolean: 'Y' or 'N'. */
int fix_val_bool(const fix_field *f, bool *out);
/* UTCTimestamp "YYYYMMDD-HH:MM:SS[.sss]" as microseconds since 1970-01-01 UTC
 * (a leap second 60 is accepted and counts as the next second's start). */
int fix_val_utc(const fix_field *f, int64_t *out);

/* Decimal text of value / 10^scale (no exponent, no trailing zero trimming:
 * exactly scale decimals, none when scale is 0).  Returns the length written
 * (at most 21 + 1 for the point), buf needs 24 bytes. */
size_t fix_format_decimal(char *buf, int64_t value, int scale);
/* "YYYYMMDD-HH:MM:SS.sss" of microseconds since 1970 (years 1970..9999), 21 bytes;
 * returns 0 out of range. */
size_t fix_format_utc(char *buf, int64_t us);

/* ---- the builder --------------------------------------------------------------------
 */
typedef struct fix_builder
{
	char *buf;
	size_t cap;
	size_t len; /* bytes of the body written so far (after the reserve) */
	bool overflow;
} fix_builder;

/* Starts a message of msgtype in buf[0..cap). */
void fix_build_begin(fix_builder *b, char *buf, size_t cap, const char *msgtype);
/* 49, 56, 34, 52 */
void fix_build_header(fix_builder *b, const char *sender, const char *target, int64_t seq,
                      int64_t sending_us);
void fix_add(fix_builder *b, int tag, const char *val, size_t len);
void fix_add_str(fix_builder *b, int tag, const char *val);
void fix_add_int(fix_builder *b, int tag, int64_t v);
void fix_add_char(fix_builder *b, int tag, char c);
void fix_add_decimal(fix_builder *b, int tag, int64_t value, int scale);
void fix_add_utc(fix_builder *b, int tag, int64_t us);
/* Computes 9 and 10; returns the message's length at buf, or 0 when it did not
 * fit (or the body exceeds FIX_BODY_MAX, or a value was empty or held SOH). */
size_t fix_build_end(fix_builder *b);

#endif
