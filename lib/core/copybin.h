/* copybin: rows in PostgreSQL's binary COPY format (COPY ... FROM STDIN
 * (FORMAT binary)): the header, each tuple's field count, each field as its
 * length and its type's binary form, and the trailer.
 *
 * Why: the server parses a binary field with no text conversion (a time is
 * eight bytes, not a string to read). chm-load's staging COPY of an unchanged
 * 1M-run replay took 2.8 s as text and 1.6 s as binary on the same rows.
 *
 * Only the types chm-load stages are here. A text field is written from its
 * COPY text form (the loader keeps rows as COPY text), unescaped on the way;
 * the server still checks its encoding, as COPY text does. */
#ifndef CHM_COPYBIN_H
#define CHM_COPYBIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

void copybin_header(struct strbuf *sb);
void copybin_trailer(struct strbuf *sb);
void copybin_tuple(struct strbuf *sb, int fields);

void copybin_null(struct strbuf *sb);
void copybin_int4(struct strbuf *sb, int32_t v);
void copybin_int8(struct strbuf *sb, int64_t v);
void copybin_float8(struct strbuf *sb, double v);
/* usec: microseconds since 1970-01-01 UTC (chmtime.h) */
void copybin_timestamptz(struct strbuf *sb, int64_t usec);
/* A text (or enum, whose binary form is its label) from raw bytes. */
void copybin_text(struct strbuf *sb, const char *p, size_t n);
/* A text from its COPY text form (strbuf_add_copy_text's escapes, undone by
 * strbuf_add_copy_text_decoded). */
void copybin_text_unescape(struct strbuf *sb, const char *p, size_t n);
/* A jsonb from its JSON text in COPY text form: jsonb's binary form is a
 * version byte, 1, and the JSON text. */
void copybin_jsonb_unescape(struct strbuf *sb, const char *p, size_t n);

#endif
