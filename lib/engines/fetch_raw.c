/* The items of a page as the partner wrote them: the bytes of each array
 * element, with only the whitespace between tokens taken out (so an item is
 * one NDJSON line), numbers, key order and string escapes untouched. jansson
 * would print 0.1 as 0.10000000000000001. Runs only on a body jansson has
 * already parsed, so it may assume valid JSON; any surprise returns -1 and the
 * caller prints jansson's form instead. */
#include <string.h>

#include "core/strbuf.h"
#include "engines/fetch_int.h"

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && is_ws(p[i]))
		i++;
	return i;
}

/* The end of the string starting at p[i] == '"' (index after the quote), or 0. */
static size_t string_end(const char *p, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '"')
			return i + 1;
	}
	return 0;
}

/* Copies (out may be NULL) the value at p[i] without whitespace; index after it, or 0. */
static size_t scan_value(const char *p, size_t i, size_t n, struct strbuf *out)
{
	if (i >= n)
		return 0;
	if (p[i] == '"') {
		size_t e = string_end(p, i, n);
		if (e && out)
			strbuf_add(out, p + i, e - i);
		return e;
	}
	if (p[i] == '{' || p[i] == '[') {
		int depth = 0;
		while (i < n) {
			char c = p[i];
			if (c == '"') {
				size_t e = string_end(p, i, n);
				if (!e)
					return 0;
				if (out)
					strbuf_add(out, p + i, e - i);
				i = e;
				continue;
			}
			if (!is_ws(c) && out)
				strbuf_addc(out, c);
			if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']') {
				if (--depth == 0)
					return i + 1;
			}
			i++;
		}
		return 0;
	}
	size_t s = i;
	while (i < n && !is_ws(p[i]) && p[i] != ',' && p[i] != '}' && p[i] != ']')
		i++;
	if (i == s)
		return 0;
	if (out)
		strbuf_add(out, p + s, i - s);
	return i;
}

/* The index of the value of key (raw, unescaped compare) in the object at p[i], or 0. */
static size_t member(const char *p, size_t i, size_t n, const char *key, size_t keylen)
{
	i = skip_ws(p, i, n);
	if (i >= n || p[i] != '{')
		return 0;
	i = skip_ws(p, i + 1, n);
	while (i < n && p[i] == '"') {
		size_t ke = string_end(p, i, n);
		if (!ke)
			return 0;
		int match = ke - i - 2 == keylen && memcmp(p + i + 1, key, keylen) == 0;
		i = skip_ws(p, ke, n);
		if (i >= n || p[i] != ':')
			return 0;
		i = skip_ws(p, i + 1, n);
		if (match)
			return i;
		i = scan_value(p, i, n, NULL);
		if (!i)
			return 0;
		i = skip_ws(p, i, n);
		if (i < n && p[i] == ',')
			i = skip_ws(p, i + 1, n);
	}
	return 0;
}

int chm_fetch_raw_compact(const char *s, size_t n, struct strbuf *out)
{
	strbuf_reset(out);
	return scan_value(s, 0, n, out) == n ? 0 : -1;
}

int chm_fetch_raw_items(const char *body, size_t n, const char *path, struct strbuf *out,
			size_t *offs, size_t nitems)
{
	size_t i = skip_ws(body, 0, n);
	const char *seg = path ? path : "";

	strbuf_reset(out);
	while (*seg) {
		size_t sl = strcspn(seg, ".");
		i = member(body, i, n, seg, sl);
		if (!i)
			return -1;
		seg += sl;
		if (*seg == '.')
			seg++;
	}
	i = skip_ws(body, i, n);
	if (i >= n || body[i] != '[')
		return -1;
	i = skip_ws(body, i + 1, n);
	size_t k = 0;
	if (i < n && body[i] == ']')
		return nitems == 0 ? 0 : -1;
	while (i < n) {
		if (k >= nitems)
			return -1;
		offs[k++] = out->len;
		i = scan_value(body, i, n, out);
		if (!i)
			return -1;
		i = skip_ws(body, i, n);
		if (i < n && body[i] == ',') {
			i = skip_ws(body, i + 1, n);
			continue;
		}
		if (i < n && body[i] == ']')
			break;
		return -1;
	}
	if (k != nitems)
		return -1;
	offs[k] = out->len;
	return 0;
}
