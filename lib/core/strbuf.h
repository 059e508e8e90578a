/* strbuf: a growable byte buffer, always NUL-terminated. The owner calls
 * strbuf_release(); after strbuf_detach() the caller owns the bytes. */
#ifndef CHM_STRBUF_H
#define CHM_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in decimal: the hot paths (COPY rows, NDJSON) cannot afford printf. */
void strbuf_add_int(struct strbuf *sb, long long v);
/* d as text that PostgreSQL's float8in reads back as d exactly: a whole
 * number of microseconds (a duration, nearly always) in plain decimal
 * ("293.324736"), anything else as "%.17g". printf's exact conversion of
 * every run's duration took a fifth of chm-load's CPU. buf holds at least
 * CHM_DOUBLE_BUFSZ bytes; returns the text's length. */
#define CHM_DOUBLE_BUFSZ 32
size_t chm_double_text(double d, char *buf);
void strbuf_add_double(struct strbuf *sb, double d);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void strbuf_reset(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb);

/* Appends s as one field of PostgreSQL's COPY text format (backslash escapes). */
void strbuf_add_copy_text(struct strbuf *sb, const char *s, size_t len);
/* The inverse: appends the bytes a field strbuf_add_copy_text wrote stands
 * for; returns how many. */
size_t strbuf_add_copy_text_decoded(struct strbuf *sb, const char *field, size_t len);

/* Out of memory is not an error we can report on: every allocation goes
 * through these, which abort with a message. */
void *chm_xmalloc(size_t n);
void *chm_xrealloc(void *p, size_t n);
char *chm_xstrdup(const char *s);

#endif
