#include "jscan.h"

#include <string.h>

#include "redact.h"

#define MAX_DEPTH 256
#define MAX_KEYS 64

struct ctx {
	struct jscan *js;
	const char *end;
	int rc;
};

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p just past the opening quote; returns just past the closing one. */
static const char *string(struct ctx *c, const char *p, struct jspan *sp)
{
	const char *end = c->end, *start = p;
	char esc = 0;

	while (p < end) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '"') {
			if (sp) {
				sp->p = start;
				sp->n = (size_t)(p - start);
				sp->type = 's';
				sp->escaped = esc;
			}
			return p + 1;
		}
		if (ch < 0x20) {
			c->rc = JSCAN_INVALID;
			return NULL;
		}
		if (ch == '\\') {
			esc = 1;
			if (p + 1 >= end) {
				c->rc = JSCAN_INVALID;
				return NULL;
			}
			switch (p[1]) {
			case '/':
				/* an escaped "://" is a URL all the same */
				c->js->suspicious = 1;
				/* fall through */
			case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				c->rc = JSCAN_BAIL; /* surrogates and \u0000: jansson decides */
				return NULL;
			default:
				c->rc = JSCAN_INVALID;
				return NULL;
			}
		}
		if (ch < 0x80) {
			/* "://" a URL, '=' perhaps password=... (redact.c) */
			if ((ch == '/' && p - start >= 2 && p[-1] == '/' && p[-2] == ':') || ch == '=')
				c->js->suspicious = 1;
			p++;
			continue;
		}
		/* UTF-8: the shortest form, no surrogates, at most U+10FFFF */
		size_t len;
		unsigned min, cp;
		if (ch >= 0xc2 && ch <= 0xdf) { len = 2; min = 0x80; }
		else if (ch >= 0xe0 && ch <= 0xef) { len = 3; min = 0x800; }
		else if (ch >= 0xf0 && ch <= 0xf4) { len = 4; min = 0x10000; }
		else { c->rc = JSCAN_INVALID; return NULL; }
		if ((size_t)(end - p) < len) {
			c->rc = JSCAN_INVALID;
			return NULL;
		}
		cp = ch & (0x3f >> (len - 1));
		for (size_t i = 1; i < len; i++) {
			if (((unsigned char)p[i] & 0xc0) != 0x80) {
				c->rc = JSCAN_INVALID;
				return NULL;
			}
			cp = (cp << 6) | ((unsigned char)p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			c->rc = JSCAN_INVALID;
			return NULL;
		}
		p += len;
	}
	c->rc = JSCAN_INVALID;
	return NULL;
}

static const char *number(struct ctx *c, const char *p)
{
	const char *end = c->end, *start = p;
	int digits = 0;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
		digits++;
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++, digits++;
	} else {
		c->rc = JSCAN_INVALID;
		return NULL;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9') {
			c->rc = JSCAN_INVALID;
			return NULL;
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++, digits++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		c->rc = JSCAN_BAIL; /* overflow rules: jansson decides */
		return NULL;
	}
	if (digits > 15 || p - start > 24) {
		c->rc = JSCAN_BAIL;
		return NULL;
	}
	return p;
}

static const char *value(struct ctx *c, const char *p, int depth, struct jspan *sp,
			 struct jmember *members, size_t max, size_t *nmembers);

static const char *object(struct ctx *c, const char *p, int depth, struct jmember *members,
			  size_t max, size_t *nmembers)
{
	struct jspan keys[MAX_KEYS];
	size_t nkeys = 0;
	const char *end = c->end;

	/* p just past '{' */
	p = ws(p, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		struct jspan key, val;
		if (p >= end || *p != '"') {
			c->rc = JSCAN_INVALID;
			return NULL;
		}
		p = string(c, p + 1, &key);
		if (!p)
			return NULL;
		if (key.escaped || nkeys == MAX_KEYS) {
			c->rc = JSCAN_BAIL;
			return NULL;
		}
		for (size_t i = 0; i < nkeys; i++)
			if (keys[i].n == key.n && memcmp(keys[i].p, key.p, key.n) == 0) {
				c->rc = JSCAN_INVALID; /* duplicate key */
				return NULL;
			}
		keys[nkeys++] = key;
		if (chm_redact_key(key.p, key.n))
			c->js->suspicious = 1;
		p = ws(p, end);
		if (p >= end || *p != ':') {
			c->rc = JSCAN_INVALID;
			return NULL;
		}
		p = ws(p + 1, end);
		struct jscan *js = c->js;
		int inner = members == js->top && js->inner_key && key.n == strlen(js->inner_key) &&
			    memcmp(key.p, js->inner_key, key.n) == 0;
		if (inner)
			p = value(c, p, depth + 1, &val, js->inner, js->inner_max, &js->ninner);
		else
			p = value(c, p, depth + 1, &val, NULL, 0, NULL);
		if (!p)
			return NULL;
		if (inner && val.type == '{')
			js->has_inner = 1;
		if (members) {
			if (*nmembers == max) {
				c->rc = JSCAN_BAIL;
				return NULL;
			}
			members[*nmembers].key = key;
			members[*nmembers].val = val;
			(*nmembers)++;
		}
		p = ws(p, end);
		if (p < end && *p == ',') {
			p = ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			return p + 1;
		c->rc = JSCAN_INVALID;
		return NULL;
	}
}

static const char *array(struct ctx *c, const char *p, int depth)
{
	const char *end = c->end;
	p = ws(p, end);
	if (p < end && *p == ']')
		return p + 1;
	for (;;) {
		struct jspan v;
		p = value(c, p, depth + 1, &v, NULL, 0, NULL);
		if (!p)
			return NULL;
		p = ws(p, end);
		if (p < end && *p == ',') {
			p = ws(p + 1, end);
			continue;
		}
		if (p < end && *p == ']')
			return p + 1;
		c->rc = JSCAN_INVALID;
		return NULL;
	}
}

static const char *lit(struct ctx *c, const char *p, const char *word, size_t n)
{
	if ((size_t)(c->end - p) < n || memcmp(p, word, n) != 0) {
		c->rc = JSCAN_INVALID;
		return NULL;
	}
	return p + n;
}

static const char *value(struct ctx *c, const char *p, int depth, struct jspan *sp,
			 struct jmember *members, size_t max, size_t *nmembers)
{
	const char *start = p, *q;
	if (depth > MAX_DEPTH) {
		c->rc = JSCAN_BAIL;
		return NULL;
	}
	if (p >= c->end) {
		c->rc = JSCAN_INVALID;
		return NULL;
	}
	sp->escaped = 0;
	switch (*p) {
	case '"':
		return string(c, p + 1, sp);
	case '{':
		q = object(c, p + 1, depth, members, max, nmembers);
		sp->type = '{';
		break;
	case '[':
		q = array(c, p + 1, depth);
		sp->type = '[';
		break;
	case 't':
		q = lit(c, p, "true", 4);
		sp->type = 't';
		break;
	case 'f':
		q = lit(c, p, "false", 5);
		sp->type = 'f';
		break;
	case 'n':
		q = lit(c, p, "null", 4);
		sp->type = 'z';
		break;
	default:
		q = number(c, p);
		sp->type = 'n';
		break;
	}
	if (q) {
		sp->p = start;
		sp->n = (size_t)(q - start);
	}
	return q;
}

int jscan_object_line(struct jscan *js, const char *s, size_t len)
{
	struct ctx c = { js, s + len, JSCAN_OK };
	struct jspan sp;

	js->suspicious = 0;
	js->ntop = js->ninner = 0;
	js->has_inner = 0;
	const char *p = ws(s, s + len);
	if (p >= c.end || *p != '{')
		return JSCAN_BAIL;
	p = value(&c, p, 0, &sp, js->top, js->top_max, &js->ntop);
	if (!p)
		return c.rc;
	p = ws(p, c.end);
	return p == c.end ? JSCAN_OK : JSCAN_INVALID;
}

int jspan_is(const struct jspan *sp, const char *s)
{
	size_t n = strlen(s);
	return sp->type == 's' && !sp->escaped && sp->n == n && memcmp(sp->p, s, n) == 0;
}

const struct jmember *jscan_find(const struct jmember *m, size_t n, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i < n; i++)
		if (m[i].key.n == kl && memcmp(m[i].key.p, key, kl) == 0)
			return &m[i];
	return NULL;
}
