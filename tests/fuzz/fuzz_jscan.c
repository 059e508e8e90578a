/* libFuzzer target: jscan, the tree-less JSON scanner of chm-normalize's fast
 * path. Invariant: it agrees with jansson (strict, duplicates refused):
 * what it accepts jansson parses as an object, what it calls invalid
 * jansson refuses too. Lines with a NUL byte never reach it (chm_norm_file).
 * The tree it records (the fast path's lookups) holds what jansson holds:
 * the same members, and strings whose unescaped bytes are jansson's. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"

/* The node k (at depth) against jansson's v: same type, same members in
 * the recorded depth, strings equal once unescaped. */
static int check_tree(const struct jscan *js, int k, json_t *v, int depth)
{
	const struct jnode *nd = &js->nodes[k];
	static char buf[65536];
	size_t len;

	switch (nd->val.type) {
	case 's':
		if (!json_is_string(v) || nd->val.n > sizeof(buf))
			return json_is_string(v) ? 0 : -1;
		if (jspan_unescape(nd->val.p, nd->val.n, buf, &len) != 0)
			return -1;
		return len == json_string_length(v) && memcmp(buf, json_string_value(v), len) == 0 ? 0 : -1;
	case '{': {
		if (!json_is_object(v))
			return -1;
		if (depth >= js->tree_depth)
			return nd->first == -1 ? 0 : -1;
		size_t count = 0;
		for (int i = nd->first; i >= 0; i = js->nodes[i].next, count++) {
			/* a key of any length: a line may hold one of 1 KB */
			const struct jspan *kp = &js->nodes[i].key;
			char *key = malloc(kp->n + 1);
			memcpy(key, kp->p, kp->n);
			key[kp->n] = '\0';
			/* the first of that name: keys are unique */
			json_t *m = jscan_child(js, k, key) == i ? json_object_get(v, key) : NULL;
			free(key);
			if (!m || check_tree(js, i, m, depth + 1))
				return -1;
		}
		return count == json_object_size(v) ? 0 : -1;
	}
	case '[': {
		if (!json_is_array(v))
			return -1;
		if (depth >= js->tree_depth)
			return nd->first == -1 ? 0 : -1;
		size_t count = 0;
		for (int i = nd->first; i >= 0; i = js->nodes[i].next, count++) {
			char idx[32];
			snprintf(idx, sizeof(idx), "%zu", count);
			if (count >= json_array_size(v) || js->nodes[i].key.p ||
			    jscan_path(js, k, idx) != i ||
			    check_tree(js, i, json_array_get(v, count), depth + 1))
				return -1;
		}
		return count == json_array_size(v) ? 0 : -1;
	}
	case 'n':
		return json_is_number(v) ? 0 : -1;
	case 't':
		return json_is_true(v) ? 0 : -1;
	case 'f':
		return json_is_false(v) ? 0 : -1;
	case 'z':
		return json_is_null(v) ? 0 : -1;
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jmember top[16], inner[48];
	struct jscan js = { 0 };
	static struct jnode nodes[256];
	const char *s = (const char *)data;

	if (memchr(s, '\0', size) || memchr(s, '\n', size))
		return 0;
	js.top = top;
	js.top_max = 16;
	js.inner_key = "record";
	js.inner = inner;
	js.inner_max = 48;
	js.nodes = nodes;
	js.nodes_max = 256;
	js.tree_depth = size % 7; /* any depth: what is recorded must be right */
	int rc = jscan_object_line(&js, s, size);
	if (rc == JSCAN_BAIL)
		return 0;
	json_t *v = json_loadb(s, size, JSON_REJECT_DUPLICATES, NULL);
	if (rc == JSCAN_OK && !json_is_object(v)) {
		fprintf(stderr, "jscan accepts what jansson refuses\n");
		abort();
	}
	if (rc == JSCAN_INVALID && v && json_is_object(v)) {
		fprintf(stderr, "jscan refuses what jansson accepts\n");
		abort();
	}
	if (rc == JSCAN_OK) {
		if (js.ntop != json_object_size(v)) {
			fprintf(stderr, "jscan counts %zu members, jansson %zu\n", js.ntop, json_object_size(v));
			abort();
		}
		for (size_t i = 0; i < js.ntop; i++) {
			const struct jspan *val = &top[i].val;
			if (val->type == 's' && !val->escaped) {
				char key[256];
				if (top[i].key.escaped || top[i].key.n >= sizeof(key))
					continue;
				memcpy(key, top[i].key.p, top[i].key.n);
				key[top[i].key.n] = '\0';
				json_t *m = json_object_get(v, key);
				if (!json_is_string(m) || json_string_length(m) != val->n ||
				    memcmp(json_string_value(m), val->p, val->n) != 0) {
					fprintf(stderr, "jscan string of \"%s\" differs from jansson's\n", key);
					abort();
				}
			}
		}
	}
	if (rc == JSCAN_OK && check_tree(&js, 0, v, 0) != 0) {
		fprintf(stderr, "jscan's tree differs from jansson's value\n");
		abort();
	}
	json_decref(v);
	return 0;
}
