/* libFuzzer target: jscan, the tree-less JSON scanner of chm-normalize's fast
 * path. Invariant: it agrees with jansson (strict, duplicates refused):
 * what it accepts jansson parses as an object, what it calls invalid
 * jansson refuses too. Lines with a NUL byte never reach it (chm_norm_file). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jmember top[16], inner[48];
	struct jscan js = { 0 };
	const char *s = (const char *)data;

	if (memchr(s, '\0', size) || memchr(s, '\n', size))
		return 0;
	js.top = top;
	js.top_max = 16;
	js.inner_key = "record";
	js.inner = inner;
	js.inner_max = 48;
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
	json_decref(v);
	return 0;
}
