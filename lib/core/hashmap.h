/* hashmap: string keys to int64 values, open addressing. The map owns copies
 * of its keys. Used for the loader's per-batch key counts and the pipeline
 * cache; both are bounded (a batch, the inventory). */
#ifndef CHM_HASHMAP_H
#define CHM_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct hashmap_entry {
	char *key;
	size_t keylen;
	uint64_t hash;
	int64_t value;
};

struct hashmap {
	struct hashmap_entry *slots;
	size_t cap;    /* power of two, or 0 */
	size_t count;
};

#define HASHMAP_INIT { NULL, 0, 0 }

/* A pointer to the value of key, inserting it with value 0 when absent
 * (*created says which). The pointer is valid until the next insert. */
int64_t *hashmap_put(struct hashmap *m, const char *key, size_t keylen, int *created);
/* NULL when absent. */
int64_t *hashmap_get(const struct hashmap *m, const char *key, size_t keylen);
void hashmap_clear(struct hashmap *m);
void hashmap_release(struct hashmap *m);

#endif
