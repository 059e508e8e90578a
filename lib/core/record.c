#include "core/record.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/enums.h"
#include "core/strbuf.h"

json_t *chm_json_loadb(const char *s, size_t len, size_t flags, json_error_t *jerr)
{
	/* \u0000 is valid JSON; the string getters refuse it where CHM reads a
	 * name, and free text and payloads keep it as U+FFFD */
	flags |= JSON_ALLOW_NUL;
	json_t *v = json_loadb(s, len, flags, jerr);
	/* jansson refuses an integer beyond 64 bits ("too big integer"), which
	 * is valid JSON and which an OpenLineage facet may hold: read such a
	 * document with its integers as doubles. The bytes CHM stores are the
	 * source's (chm_record_member_span), and a field CHM reads must still
	 * fit its column. */
	if (!v && strstr(jerr->text, "too big"))
		v = json_loadb(s, len, flags | JSON_DECODE_INT_AS_REAL, jerr);
	return v;
}

const char *chm_json_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static const char *skip_string(const char *p, const char *end)
{
	/* p at the opening quote; returns just past the closing one */
	p++;
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q)
			return end;
		const char *b = q;
		while (b > p && b[-1] == '\\')
			b--;
		if ((q - b) % 2 == 0)
			return q + 1;
		p = q + 1;
	}
}

/* Past the value at p (a scalar ends before its ',' or closing bracket).
 * *nvals (may be NULL) grows by the commas and brackets in it: about the
 * number of values it holds, which is what a jansson tree of it costs. */
static const char *skip_value(const char *p, const char *end, size_t *nvals)
{
	int depth = 0;
	size_t k = 1;
	while (p < end) {
		char c = *p;
		if (c == '"') {
			p = skip_string(p, end);
			if (depth == 0)
				break;
			continue;
		}
		if (c == ',')
			k++;
		if (c == '{' || c == '[') {
			depth++;
			k++;
		} else if (c == '}' || c == ']') {
			depth--;
			if (depth == 0) {
				p++;
				break;
			}
			if (depth < 0)
				break;
		} else if (depth == 0 && (c == ',')) {
			k--;
			break;
		}
		p++;
	}
	if (nvals)
		*nvals += k;
	return p;
}

int chm_record_member_span(const char *s, size_t len, const char *key, const char **vs, size_t *vlen)
{
	const char *p = s, *end = s + len;
	size_t klen = strlen(key);

	p = chm_json_skip_ws(p, end);
	if (p >= end || *p != '{')
		return 0;
	p++;
	for (;;) {
		p = chm_json_skip_ws(p, end);
		if (p >= end || *p != '"')
			return 0;
		const char *k = p + 1;
		p = skip_string(p, end);
		int match = (size_t)(p - 1 - k) == klen && memcmp(k, key, klen) == 0;
		p = chm_json_skip_ws(p, end);
		if (p >= end || *p != ':')
			return 0;
		p = chm_json_skip_ws(p + 1, end);
		const char *v = p;
		p = skip_value(p, end, NULL);
		if (match) {
			const char *ve = p;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
				ve--;
			*vs = v;
			*vlen = (size_t)(ve - v);
			return 1;
		}
		p = chm_json_skip_ws(p, end);
		if (p >= end || *p != ',')
			return 0;
		p++;
	}
}

int chm_json_array_find(struct chm_json_array *a, const char *s, size_t len, const char *path)
{
	const char *end = s + len, *v = chm_json_skip_ws(s, end);
	size_t vlen;

	if (v >= end || (*v != '{' && *v != '['))
		return 0;
	a->doc = v;
	a->doc_end = skip_value(v, end, NULL);
	vlen = (size_t)(a->doc_end - v);
	for (const char *seg = path ? path : ""; *seg;) {
		char key[256];
		size_t kl = strcspn(seg, ".");
		if (kl >= sizeof(key))
			return 0;
		memcpy(key, seg, kl);
		key[kl] = '\0';
		if (!chm_record_member_span(v, vlen, key, &v, &vlen))
			return 0;
		seg += kl;
		if (*seg == '.')
			seg++;
	}
	if (vlen < 2 || v[0] != '[' || v[vlen - 1] != ']')
		return 0;
	a->open = v;
	a->close = v + vlen;
	chm_json_array_rewind(a);
	return 1;
}

void chm_json_array_rewind(struct chm_json_array *a)
{
	a->p = a->open + 1;
	a->index = 0;
}

int chm_json_array_next(struct chm_json_array *a, const char **es, size_t *elen, size_t *nvals)
{
	const char *last = a->close - 1; /* the ']' */
	const char *p = chm_json_skip_ws(a->p, last);

	if (p == last)
		return 0;
	if (a->index > 0) {
		if (*p != ',')
			return a->p = p, -1;
		p = chm_json_skip_ws(p + 1, last);
		if (p == last)
			return a->p = p, -1; /* a trailing comma */
	}
	size_t k = 0;
	const char *e = skip_value(p, last, &k);
	a->p = e;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	if (e == p)
		return -1; /* an empty element: ",," */
	*es = p;
	*elen = (size_t)(e - p);
	if (nvals)
		*nvals = k;
	a->index++;
	return 1;
}

void chm_json_array_envelope(const struct chm_json_array *a, struct strbuf *out)
{
	strbuf_add(out, a->doc, (size_t)(a->open - a->doc));
	strbuf_adds(out, "[]");
	strbuf_add(out, a->close, (size_t)(a->doc_end - a->close));
}

json_t *chm_record_parse(const char *line, size_t len, const char **type, struct chm_err *err)
{
	json_error_t jerr;
	json_t *obj;

	*type = NULL;
	if (memchr(line, '\0', len))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_INVALID_JSON, "",
				   "line contains a NUL byte"), NULL;
	obj = chm_json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		enum chm_err_kind code = strstr(jerr.text, "duplicate") ? CHM_E_DUPLICATE_KEY : CHM_E_INVALID_JSON;
		chm_err_set(err, CHM_EX_DATAERR, code, "", "invalid JSON at column %d: %s",
			    jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		chm_err_set(err, CHM_EX_DATAERR, CHM_E_NOT_AN_OBJECT, "", "a record must be a JSON object");
		return NULL;
	}
	json_t *t = json_object_get(obj, "type");
	if (t && json_is_string(t))
		*type = json_string_value(t);
	return obj;
}

int chm_get_string(json_t *obj, const char *key, const char **out, struct chm_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_string(v))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, key, "%s must be a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_VALUE, key, "%s contains a NUL character", key);
	*out = json_string_value(v);
	return 0;
}

int chm_get_int(json_t *obj, const char *key, int64_t min, int64_t *out, struct chm_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 1;
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, key, "%s must be an integer", key);
		if (d < (double)min)
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_OUT_OF_RANGE, key,
					   "%s must be >= %lld", key, (long long)min);
		*out = (int64_t)d;
		return 0;
	}
	if (!json_is_integer(v))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, key, "%s must be an integer", key);
	if (json_integer_value(v) < min)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_OUT_OF_RANGE, key,
				   "%s must be >= %lld", key, (long long)min);
	*out = json_integer_value(v);
	return 0;
}

int chm_get_number(json_t *obj, const char *key, double min, double *out, struct chm_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_number(v))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, key, "%s must be a number", key);
	double d = json_number_value(v);
	if (!isfinite(d) || d < min)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_OUT_OF_RANGE, key, "%s must be >= %g", key, min);
	*out = d;
	return 0;
}

int chm_get_bool(json_t *obj, const char *key, int *out, struct chm_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_boolean(v))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, key, "%s must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

int chm_get_enum(json_t *obj, const char *key, const char *const *names, const char **out,
		 struct chm_err *err)
{
	const char *s;
	int rc = chm_get_string(obj, key, &s, err);
	if (rc)
		return rc;
	for (const char *const *n = names; *n; n++)
		if (strcmp(*n, s) == 0) {
			*out = *n;
			return 0;
		}
	char list[256] = "";
	for (const char *const *n = names; *n; n++) {
		strncat(list, n == names ? "" : ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, *n, sizeof(list) - strlen(list) - 1);
	}
	const char *now = chm_enum_renamed(names, s);
	return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_ENUM, key,
			   "%s \"%.64s\" is not one of: %s%s%s%s", key, s, list,
			   now ? " (a value from before the seed enums: write \"" : "", now ? now : "",
			   now ? "\")" : "");
}

int chm_record_write(FILE *fp, json_t *obj)
{
	if (json_dumpf(obj, fp, JSON_COMPACT) != 0)
		return -1;
	if (putc('\n', fp) == EOF)
		return -1;
	return 0;
}

/* ---- the fast writer ---------------------------------------------------- */

void chm_json_add_string(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;

	strbuf_grow(sb, len + 2);
	sb->buf[sb->len++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(sb, s + start, i - start);
		start = i + 1;
		char esc[6] = { '\\', 0 };
		size_t n = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
			n = 6;
		}
		strbuf_add(sb, esc, n);
	}
	strbuf_add(sb, s + start, len - start);
	strbuf_addc(sb, '"');
}

const char *chm_json_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

json_t *chm_json_path(json_t *root, const char *path)
{
	json_t *cur = root;
	const char *p = path;

	if (!path)
		return root;
	/* jscan_path reads a path by the same rules: the fast paths agree */
	while (cur && *p) {
		size_t n = strcspn(p, ".");
		if (json_is_array(cur) && n && isdigit((unsigned char)*p)) {
			cur = json_array_get(cur, strtoul(p, NULL, 10));
		} else {
			char key[256];
			if (n >= sizeof(key) || !json_is_object(cur))
				return NULL;
			memcpy(key, p, n);
			key[n] = '\0';
			cur = json_object_get(cur, key);
		}
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}
