#include "core/strbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char strbuf_empty[1];

void *chm_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("chm: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *chm_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("chm: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *chm_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(chm_xmalloc(n), s, n);
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	if (want <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < want)
		cap *= 2;
	sb->buf = chm_xrealloc(sb->cap ? sb->buf : NULL, cap);
	if (!sb->cap)
		sb->buf[0] = '\0';
	sb->cap = cap;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addc(struct strbuf *sb, char c)
{
	strbuf_grow(sb, 1);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0) {
		strbuf_grow(sb, (size_t)n);
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, again);
		sb->len += (size_t)n;
	}
	va_end(again);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->cap)
		sb->buf[0] = '\0';
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->cap)
		free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

char *strbuf_detach(struct strbuf *sb)
{
	char *p = sb->cap ? sb->buf : chm_xstrdup(strbuf_empty);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void strbuf_add_copy_text(struct strbuf *sb, const char *s, size_t len)
{
	strbuf_grow(sb, len + 8);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		const char *esc = NULL;
		switch (c) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: break;
		}
		if (esc) {
			strbuf_add(sb, esc, 2);
		} else {
			if (sb->len + 2 > sb->cap)
				strbuf_grow(sb, 1 + (len - i));
			sb->buf[sb->len++] = c;
		}
	}
	sb->buf[sb->len] = '\0';
}

size_t strbuf_add_copy_text_decoded(struct strbuf *sb, const char *field, size_t len)
{
	size_t start = sb->len;
	strbuf_grow(sb, len);
	for (size_t i = 0; i < len; i++) {
		char c = field[i];
		if (c == '\\' && i + 1 < len) {
			switch (field[++i]) {
			case 't': c = '\t'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			default: c = field[i]; break; /* "\\\\" */
			}
		}
		sb->buf[sb->len++] = c;
	}
	sb->buf[sb->len] = '\0';
	return sb->len - start;
}

size_t chm_double_text(double d, char *buf)
{
	/* |k| < 9e15 < 2^53: k and k / 1e6 are exact, the division rounds
	 * once, as float8in rounds the decimal k / 10^6 once */
	if (d > -9e9 && d < 9e9 && !(d == 0 && signbit(d))) {
		long long k = llround(d * 1e6);
		if ((double)k / 1e6 == d) {
			char digits[24], *p = buf;
			unsigned long long u = k < 0 ? 0ULL - (unsigned long long)k : (unsigned long long)k;
			unsigned long long whole = u / 1000000, frac = u % 1000000;
			int n = 0;
			if (k < 0)
				*p++ = '-';
			do
				digits[n++] = (char)('0' + whole % 10);
			while (whole /= 10);
			while (n)
				*p++ = digits[--n];
			if (frac) {
				*p++ = '.';
				for (unsigned long long div = 100000; frac; div /= 10) {
					*p++ = (char)('0' + frac / div);
					frac %= div;
				}
			}
			*p = '\0';
			return (size_t)(p - buf);
		}
	}
	return (size_t)snprintf(buf, CHM_DOUBLE_BUFSZ, "%.17g", d);
}

void strbuf_add_double(struct strbuf *sb, double d)
{
	char buf[CHM_DOUBLE_BUFSZ];
	strbuf_add(sb, buf, chm_double_text(d, buf));
}

void strbuf_add_int(struct strbuf *sb, long long v)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	strbuf_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}
