/* jscan: a validating JSON scanner that builds no tree, for the hot path of
 * chm-normalize. It checks one value as strictly as jansson does for the
 * cases it accepts, and gives up ("bail") on what it does not handle itself
 * (\u escapes, escaped keys, huge numbers, objects with very many keys, deep
 * nesting), so the caller can fall back to jansson for that input. On the
 * way it notes what redaction would change (a key naming a secret, a string
 * with "://"), so clean records can be copied as they are. */
#ifndef CHM_JSCAN_H
#define CHM_JSCAN_H

#include <stddef.h>

enum jscan_result { JSCAN_OK = 0, JSCAN_INVALID = -1, JSCAN_BAIL = -2 };

struct jspan {
	const char *p;   /* for a string: its content, without quotes */
	size_t n;
	char type;       /* 's' string, 'n' number, 't' true, 'f' false, 'z' null, '{' object, '[' array */
	char escaped;    /* a string with backslash escapes: p..n is not its value */
};

struct jmember {
	struct jspan key, val;
};

struct jscan {
	int suspicious;              /* redaction might change something */
	/* members of the top-level object, and of its member named inner_key */
	struct jmember *top;
	size_t top_max, ntop;
	const char *inner_key;
	struct jmember *inner;
	size_t inner_max, ninner;
	int has_inner;
};

/* Scans s[0..len): one object and nothing but whitespace after it. */
int jscan_object_line(struct jscan *js, const char *s, size_t len);

/* 1 when span is the string s exactly (no escapes). */
int jspan_is(const struct jspan *sp, const char *s);
/* The member named key, or NULL. */
const struct jmember *jscan_find(const struct jmember *m, size_t n, const char *key);

#endif
