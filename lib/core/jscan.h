/* jscan: a validating JSON scanner that builds no tree, for the hot path of
 * chm-normalize. It checks one value as strictly as jansson does for the
 * cases it accepts, and gives up ("bail") on what it does not handle itself
 * (\u escapes, escaped keys, huge numbers, objects with very many keys, deep
 * nesting), so the caller can fall back to jansson for that input. On the
 * way it notes what redaction might change (a key naming a secret, a string
 * lib/redact.c would change), so clean records can be copied as they are.
 * It can also record a small tree of the values' spans (down to a depth,
 * into a caller's array) for lookups by path. */
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

/* A value in the tree: node 0 is the line's object; an object member has
 * its key, an array element key.p NULL. Children are linked by index. */
struct jnode {
	struct jspan key, val;
	int first, next;  /* first child, next sibling; -1 for none */
};

struct jscan {
	int suspicious;              /* redaction might change something */
	int no_redaction;            /* the caller redacts nothing (chm-load): skip finding out */
	/* members of the top-level object, and of its member named inner_key */
	struct jmember *top;
	size_t top_max, ntop;
	const char *inner_key;
	struct jmember *inner;
	size_t inner_max, ninner;
	int has_inner;
	/* optional: every value down to tree_depth (the object is depth 0)
	 * into nodes; more than nodes_max of them is a bail */
	struct jnode *nodes;
	size_t nodes_max, nnodes;
	int tree_depth;
};

/* Scans s[0..len): one object and nothing but whitespace after it. */
int jscan_object_line(struct jscan *js, const char *s, size_t len);

/* 1 when span is the string s exactly (no escapes). */
int jspan_is(const struct jspan *sp, const char *s);
/* In the tree: the member key of the object at node, or the node at a
 * dotted path below node ("run.facets.parent", "outputs.0.name": a
 * component starting with a digit indexes an array); -1 when there is none. */
int jscan_child(const struct jscan *js, int node, const char *key);
int jscan_path(const struct jscan *js, int node, const char *path);
/* The value of a string's bytes s[0..n) with its escapes (no \u) undone:
 * n bytes at most into out. */
int jspan_unescape(const char *s, size_t n, char *out, size_t *outlen);
/* The member named key, or NULL. */
const struct jmember *jscan_find(const struct jmember *m, size_t n, const char *key);

#endif
