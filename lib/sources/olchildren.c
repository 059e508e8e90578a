#include "sources/olchildren.h"

#include <jansson.h>
#include <string.h>

#include "core/state.h"

void chm_ol_children_init(struct chm_ol_children *c, size_t max)
{
	memset(c, 0, sizeof(*c));
	c->max = max < 2 ? 2 : max;
}

void chm_ol_children_release(struct chm_ol_children *c)
{
	hashmap_release(&c->gen[0]);
	hashmap_release(&c->gen[1]);
}

int chm_ol_children_has(const struct chm_ol_children *c, const char *run_id)
{
	size_t n = strlen(run_id);
	return hashmap_get(&c->gen[0], run_id, n) || hashmap_get(&c->gen[1], run_id, n);
}

void chm_ol_children_add(struct chm_ol_children *c, const char *run_id)
{
	size_t n = strlen(run_id);
	if (hashmap_get(&c->gen[0], run_id, n))
		return;
	if (c->gen[0].count >= c->max / 2) {
		/* the newer generation is full: the older one goes */
		hashmap_release(&c->gen[1]);
		c->gen[1] = c->gen[0];
		c->gen[0] = (struct hashmap)HASHMAP_INIT;
	}
	hashmap_put(&c->gen[0], run_id, n, NULL);
}

int chm_ol_children_load(struct chm_ol_children *c, const char *path, struct chm_err *err)
{
	json_t *v = NULL;
	if (chm_state_read(path, &v, err))
		return -1;
	if (!v)
		return 0;
	json_t *ids = json_object_get(v, "openlineage_children");
	if (!json_is_array(ids)) {
		json_decref(v);
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_CHILDREN_FILE, "openlineage_children",
				   "%s: not a children file (an object with \"openlineage_children\": [...])", path);
	}
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
		if (json_is_string(id))
			chm_ol_children_add(c, json_string_value(id));
	json_decref(v);
	return 0;
}

static void add_ids(json_t *arr, const struct hashmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			json_array_append_new(arr, json_stringn(m->slots[i].key, m->slots[i].keylen));
}

int chm_ol_children_save(const struct chm_ol_children *c, const char *path, struct chm_err *err)
{
	json_t *ids = json_array();
	add_ids(ids, &c->gen[1]);
	add_ids(ids, &c->gen[0]);
	json_t *v = json_pack("{s:o}", "openlineage_children", ids);
	int rc = chm_state_write(path, v, err);
	json_decref(v);
	return rc;
}
