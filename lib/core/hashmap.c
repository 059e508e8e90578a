#include "core/hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

/* FNV-1a: short keys, no adversary able to pick them against a secret-less map
 * that matters (a batch is bounded). */
static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct hashmap_entry *find(const struct hashmap *m, const char *key, size_t keylen, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct hashmap_entry *e = &m->slots[i];
		if (!e->key)
			return e;
		if (e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
			return e;
	}
}

static void grow(struct hashmap *m)
{
	struct hashmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots)
		m->slots = chm_xmalloc(0); /* aborts: calloc failing means OOM */
	m->count = 0;
	for (size_t i = 0; i < old.cap; i++) {
		if (!old.slots[i].key)
			continue;
		*find(m, old.slots[i].key, old.slots[i].keylen, old.slots[i].hash) = old.slots[i];
		m->count++;
	}
	free(old.slots);
}

int64_t *hashmap_put(struct hashmap *m, const char *key, size_t keylen, int *created)
{
	if ((m->count + 1) * 4 > m->cap * 3)
		grow(m);
	uint64_t h = hash_bytes(key, keylen);
	struct hashmap_entry *e = find(m, key, keylen, h);
	if (created)
		*created = !e->key;
	if (!e->key) {
		e->key = chm_xmalloc(keylen + 1);
		memcpy(e->key, key, keylen);
		e->key[keylen] = '\0';
		e->keylen = keylen;
		e->hash = h;
		e->value = 0;
		m->count++;
	}
	return &e->value;
}

int64_t *hashmap_get(const struct hashmap *m, const char *key, size_t keylen)
{
	if (!m->cap)
		return NULL;
	struct hashmap_entry *e = find(m, key, keylen, hash_bytes(key, keylen));
	return e->key ? &e->value : NULL;
}

void hashmap_clear(struct hashmap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->slots[i].key);
		m->slots[i].key = NULL;
	}
	m->count = 0;
}

void hashmap_release(struct hashmap *m)
{
	hashmap_clear(m);
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
}
