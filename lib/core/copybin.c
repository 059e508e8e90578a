#include "core/copybin.h"

#include <string.h>

/* PostgreSQL counts time from 2000-01-01 UTC: 10957 days after 1970's. */
#define PG_EPOCH_USEC (INT64_C(10957) * 86400 * 1000000)

/* v as BYTES big-endian bytes at b (network order, as COPY wants). */
static void store_be(char *b, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		b[i] = (char)(v & 0xff);
		v >>= 8;
	}
}

static void put_be(struct strbuf *sb, uint64_t v, int bytes)
{
	char b[8];
	store_be(b, v, bytes);
	strbuf_add(sb, b, (size_t)bytes);
}

void copybin_header(struct strbuf *sb)
{
	/* signature, flags (no OIDs), header extension length */
	strbuf_add(sb, "PGCOPY\n\377\r\n\0", 11);
	put_be(sb, 0, 4);
	put_be(sb, 0, 4);
}

void copybin_trailer(struct strbuf *sb)
{
	put_be(sb, 0xffff, 2);
}

void copybin_tuple(struct strbuf *sb, int fields)
{
	put_be(sb, (uint64_t)fields, 2);
}

void copybin_null(struct strbuf *sb)
{
	put_be(sb, 0xffffffffu, 4);
}

void copybin_int4(struct strbuf *sb, int32_t v)
{
	put_be(sb, 4, 4);
	put_be(sb, (uint32_t)v, 4);
}

void copybin_int8(struct strbuf *sb, int64_t v)
{
	put_be(sb, 8, 4);
	put_be(sb, (uint64_t)v, 8);
}

void copybin_float8(struct strbuf *sb, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	put_be(sb, 8, 4);
	put_be(sb, bits, 8);
}

void copybin_timestamptz(struct strbuf *sb, int64_t usec)
{
	copybin_int8(sb, usec - PG_EPOCH_USEC);
}

void copybin_text(struct strbuf *sb, const char *p, size_t n)
{
	put_be(sb, n, 4);
	strbuf_add(sb, p, n);
}

/* Writes a field whose length is known only after it: four bytes kept for
 * the length, filled in when the bytes are there. */
static void add_unescaped_field(struct strbuf *sb, const char *prefix, size_t prefix_len,
				const char *p, size_t n)
{
	size_t at = sb->len;
	put_be(sb, 0, 4);
	strbuf_add(sb, prefix, prefix_len);
	size_t len = prefix_len + strbuf_add_copy_text_decoded(sb, p, n);
	store_be(sb->buf + at, len, 4);
}

void copybin_text_unescape(struct strbuf *sb, const char *p, size_t n)
{
	add_unescaped_field(sb, "", 0, p, n);
}

void copybin_jsonb_unescape(struct strbuf *sb, const char *p, size_t n)
{
	add_unescaped_field(sb, "\1", 1, p, n);
}
