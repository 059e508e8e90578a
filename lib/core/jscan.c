#include "core/jscan.h"

#include <stdlib.h>
#include <string.h>

#include "core/redact.h"

#define MAX_DEPTH 256
#define MAX_KEYS 64
#define CHECK_MAX 4096  /* an escaped string longer than this stays suspicious */

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

/* Whether redaction would change the string whose bytes (between the
 * quotes) are s[0..n): redact.c's own rule, on the string's value. */
static void check_redact(struct jscan *js, const char *s, size_t n, int escaped)
{
	char buf[CHECK_MAX];
	size_t len;

	if (!escaped) {
		js->suspicious = chm_redact_text_changes(s, n);
		return;
	}
	if (n > sizeof(buf) || jspan_unescape(s, n, buf, &len) < 0) {
		js->suspicious = 1;
		return;
	}
	js->suspicious = chm_redact_text_changes(buf, len);
}

/* p just past the opening quote; returns just past the closing one. */
static const char *string(struct ctx *c, const char *p, struct jspan *sp)
{
	const char *end = c->end, *start = p;
	char esc = 0, cand = 0;

	while (p < end) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '"') {
			if (cand && !c->js->suspicious && !c->js->no_redaction)
				check_redact(c->js, start, (size_t)(p - start), esc);
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
				cand = 1;
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
			/* the marks of redact.c's text rules (name=value, name: value,
			 * URLs, user/pw@host, "Bearer x"): redact.c decides */
			if (ch == '=' || ch == ':' || ch == '@' || ch == ' ')
				cand = 1;
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
			 struct jmember *members, size_t max, size_t *nmembers, int node);

/* A node for a member (key) or an element (key NULL) of the value at node
 * parent, after sibling prev; -1 when not recorded, -2 on overflow (bail). */
static int tree_add(struct ctx *c, int parent, int prev, int depth, const struct jspan *key)
{
	struct jscan *js = c->js;
	if (parent < 0 || depth > js->tree_depth)
		return -1;
	if (js->nnodes == js->nodes_max) {
		c->rc = JSCAN_BAIL;
		return -2;
	}
	int k = (int)js->nnodes++;
	struct jnode *nd = &js->nodes[k];
	memset(nd, 0, sizeof(*nd));
	if (key)
		nd->key = *key;
	nd->first = nd->next = -1;
	if (prev >= 0)
		js->nodes[prev].next = k;
	else
		js->nodes[parent].first = k;
	return k;
}

static const char *object(struct ctx *c, const char *p, int depth, struct jmember *members,
			  size_t max, size_t *nmembers, int node)
{
	int prev = -1;
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
		if (!c->js->no_redaction &&
		    (chm_redact_key(key.p, key.n) || chm_redact_pair_key(key.p, key.n)))
			c->js->suspicious = 1;
		p = ws(p, end);
		if (p >= end || *p != ':') {
			c->rc = JSCAN_INVALID;
			return NULL;
		}
		p = ws(p + 1, end);
		struct jscan *js = c->js;
		int inner = members && members == js->top && js->inner_key &&
			    key.n == strlen(js->inner_key) && memcmp(key.p, js->inner_key, key.n) == 0;
		int k = tree_add(c, node, prev, depth + 1, &key);
		if (k == -2)
			return NULL;
		if (inner)
			p = value(c, p, depth + 1, &val, js->inner, js->inner_max, &js->ninner, k);
		else
			p = value(c, p, depth + 1, &val, NULL, 0, NULL, k);
		if (!p)
			return NULL;
		if (k >= 0) {
			js->nodes[k].val = val;
			prev = k;
		}
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

static const char *array(struct ctx *c, const char *p, int depth, int node)
{
	const char *end = c->end;
	int prev = -1;
	p = ws(p, end);
	if (p < end && *p == ']')
		return p + 1;
	for (;;) {
		struct jspan v;
		int k = tree_add(c, node, prev, depth + 1, NULL);
		if (k == -2)
			return NULL;
		p = value(c, p, depth + 1, &v, NULL, 0, NULL, k);
		if (!p)
			return NULL;
		if (k >= 0) {
			c->js->nodes[k].val = v;
			prev = k;
		}
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
			 struct jmember *members, size_t max, size_t *nmembers, int node)
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
		q = object(c, p + 1, depth, members, max, nmembers, node);
		sp->type = '{';
		break;
	case '[':
		q = array(c, p + 1, depth, node);
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
	js->nnodes = 0;
	const char *p = ws(s, s + len);
	if (p >= c.end || *p != '{')
		return JSCAN_BAIL;
	int root = -1;
	if (js->nodes && js->nodes_max) {
		root = 0;
		js->nnodes = 1;
		memset(&js->nodes[0], 0, sizeof(js->nodes[0]));
		js->nodes[0].first = js->nodes[0].next = -1;
	}
	p = value(&c, p, 0, &sp, js->top, js->top_max, &js->ntop, root);
	if (!p)
		return c.rc;
	if (root == 0)
		js->nodes[0].val = sp;
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

int jscan_child(const struct jscan *js, int node, const char *key)
{
	if (node < 0 || (size_t)node >= js->nnodes || js->nodes[node].val.type != '{')
		return -1;
	size_t kl = strlen(key);
	for (int i = js->nodes[node].first; i >= 0; i = js->nodes[i].next) {
		const struct jspan *k = &js->nodes[i].key;
		if (k->n == kl && memcmp(k->p, key, kl) == 0)
			return i;
	}
	return -1;
}

int jscan_path(const struct jscan *js, int node, const char *path)
{
	char key[128];
	const char *p = path;
	while (node >= 0 && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (js->nodes[node].val.type == '[' && n && *p >= '0' && *p <= '9') {
			/* an array index, read as chm_json_path (record.c) reads it */
			unsigned long idx = strtoul(p, NULL, 10);
			int e = js->nodes[node].first;
			while (e >= 0 && idx--)
				e = js->nodes[e].next;
			node = e;
			p += n;
			if (*p == '.')
				p++;
			continue;
		}
		if (n >= sizeof(key))
			return -1;
		memcpy(key, p, n);
		key[n] = '\0';
		node = jscan_child(js, node, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return node;
}

int jspan_unescape(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\\') {
			if (++i >= n)
				return -1;
			switch (s[i]) {
			case '"': ch = '"'; break;
			case '\\': ch = '\\'; break;
			case '/': ch = '/'; break;
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			default: return -1; /* \u: jscan bails on it before anyone asks */
			}
		}
		out[o++] = ch;
	}
	*outlen = o;
	return 0;
}
