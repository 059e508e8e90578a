/* vendor: a partner's JSON runs API described by a mapping file, so a new
 * partner needs no C (README.md, "Vendor mappings"). The mapping says where a
 * page keeps its items, which field is the run id, the status, the times,
 * the duration, the rows and the error, how statuses map, and where the
 * cursor is (for chm-fetch). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enums.h"
#include "record.h"
#include "source.h"
#include "strbuf.h"

/* Where a page keeps its items (NULL: no pages); how many path components
 * the deepest of the mapping's paths has. */
static const char *map_items_path(const struct chm_vendor_map *m);
static int map_depth(const struct chm_vendor_map *m);
/* The mapping's rules on the values get reads: 0 mapped, -1 with err to
 * reject, CHM_VAL_BAIL when get gave up. */
static int map_vals(const struct chm_vendor_map *m, chm_val_get get, void *ctx,
			       const struct norm_env *env, struct norm_item *it, struct chm_err *err);

struct chm_vendor_map {
	json_t *root;
	const char *name;
	const char *items;           /* path to the items array of a page */
	const char *f_ext, *f_run_id, *f_status, *f_start, *f_end, *f_duration, *f_rows, *f_error;
	double duration_scale;       /* to seconds */
	int time_flags;
	json_t *statuses;            /* source status -> canonical */
	const char *unknown_status;
};

static int cfg_str(json_t *obj, const char *key, const char **out, const char *path,
		   struct chm_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, key,
				   "%s: \"%s\" must be a string", path, key);
	*out = json_string_value(v);
	return 0;
}

struct chm_vendor_map *chm_vendor_map_load(const char *path, struct chm_err *err)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	struct chm_vendor_map *m;

	if (!root) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "mapping", "%s: %s%s%s", path,
			    jerr.line > 0 ? "" : "cannot read: ", jerr.text,
			    jerr.line > 0 ? "" : "");
		return NULL;
	}
	m = chm_xmalloc(sizeof(*m));
	memset(m, 0, sizeof(*m));
	m->root = root;
	m->unknown_status = "running";
	m->duration_scale = 1;
	m->time_flags = SRC_T_EPOCH;
	json_t *fields = json_object_get(root, "fields");
	const char *dunit = NULL, *tunit = NULL;
	if (!json_is_object(root) || !json_is_object(fields)) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "fields",
			    "%s: a mapping is an object with a \"fields\" object", path);
		goto bad;
	}
	if (cfg_str(root, "name", &m->name, path, err) || cfg_str(root, "items", &m->items, path, err) ||
	    cfg_str(root, "unknown_status", &m->unknown_status, path, err) ||
	    cfg_str(root, "duration_unit", &dunit, path, err) ||
	    cfg_str(root, "time_unit", &tunit, path, err) ||
	    cfg_str(fields, "external_id", &m->f_ext, path, err) ||
	    cfg_str(fields, "run_id", &m->f_run_id, path, err) ||
	    cfg_str(fields, "status", &m->f_status, path, err) ||
	    cfg_str(fields, "started_at", &m->f_start, path, err) ||
	    cfg_str(fields, "finished_at", &m->f_end, path, err) ||
	    cfg_str(fields, "duration", &m->f_duration, path, err) ||
	    cfg_str(fields, "rows", &m->f_rows, path, err) ||
	    cfg_str(fields, "error", &m->f_error, path, err))
		goto bad;
	if (!m->name || !*m->name || strpbrk(m->name, "/. ")) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "name",
			    "%s: \"name\" must be a plain word (the envelopes' \"mapping\")", path);
		goto bad;
	}
	if (!m->f_run_id || !m->f_status) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "fields",
			    "%s: fields.run_id and fields.status are required", path);
		goto bad;
	}
	if (!chm_enum_has(chm_run_statuses, m->unknown_status)) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "unknown_status",
			    "%s: unknown_status \"%s\" is not a run status", path, m->unknown_status);
		goto bad;
	}
	if (dunit && strcmp(dunit, "ms") == 0)
		m->duration_scale = 1e-3;
	else if (dunit && strcmp(dunit, "s") != 0) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "duration_unit",
			    "%s: duration_unit must be \"s\" or \"ms\"", path);
		goto bad;
	}
	if (tunit && strcmp(tunit, "s") == 0)
		m->time_flags = SRC_T_EPOCH_S;
	else if (tunit && strcmp(tunit, "ms") == 0)
		m->time_flags = SRC_T_EPOCH_MS;
	else if (tunit && strcmp(tunit, "auto") != 0) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "time_unit",
			    "%s: time_unit must be \"s\", \"ms\" or \"auto\"", path);
		goto bad;
	}
	m->statuses = json_object_get(root, "statuses");
	if (!json_is_object(m->statuses)) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "statuses",
			    "%s: \"statuses\" must map each source status to a run status", path);
		goto bad;
	}
	const char *k;
	json_t *v;
	json_object_foreach(m->statuses, k, v) {
		if (!json_is_string(v) || !chm_enum_has(chm_run_statuses, json_string_value(v))) {
			chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "statuses",
				    "%s: statuses.%s must be one of running, success, failed, canceled, "
				    "skipped", path, k);
			goto bad;
		}
	}
	return m;
bad:
	chm_vendor_map_free(m);
	return NULL;
}

const char *chm_vendor_map_name(const struct chm_vendor_map *m)
{
	return m->name;
}

void chm_vendor_map_free(struct chm_vendor_map *m)
{
	if (!m)
		return;
	json_decref(m->root);
	free(m);
}

static const char *map_items_path(const struct chm_vendor_map *m)
{
	return m->items && *m->items ? m->items : NULL;
}

static int path_depth(const char *p)
{
	int d = 1;
	if (!p)
		return 0;
	for (; *p; p++)
		d += *p == '.';
	return d;
}

static int map_depth(const struct chm_vendor_map *m)
{
	const char *paths[] = { m->items, m->f_ext, m->f_run_id, m->f_status, m->f_start,
				m->f_end, m->f_duration, m->f_rows, m->f_error };
	int d = 0;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (path_depth(paths[i]) > d)
			d = path_depth(paths[i]);
	return d;
}

/* src_id of a value */
static const char *val_id(const struct chm_val *v, struct strbuf *sb)
{
	if (v->type == 's')
		return *v->s ? v->s : NULL;
	if (v->type == 'i') {
		strbuf_reset(sb);
		strbuf_addf(sb, "%lld", v->i);
		return sb->buf;
	}
	return NULL;
}

/* src_time_value of a value */
static int val_time(const struct chm_val *v, const char *field, int flags, int *has, int64_t *usec,
		    struct norm_item *it, struct chm_err *err)
{
	char t = v->type == 0 ? 'z' : v->type == 'i' || v->type == 'r' ? 'n' : v->type;
	if (t != 'z' && t != 's' && t != 'n')
		t = '?';
	return src_time_parts(t, v->s, v->type == 'i' ? (double)v->i : v->d, field, flags, has, usec,
			      it, err);
}

/* src_number of a value */
static int val_number(const struct chm_val *v, double *out)
{
	if (v->type == 'i' || v->type == 'r') {
		*out = v->type == 'i' ? (double)v->i : v->d;
		return isfinite(*out) ? 0 : -1;
	}
	if (v->type == 's')
		return src_number_str(v->s, out);
	return -1;
}

static int map_vals(const struct chm_vendor_map *m, chm_val_get get, void *ctx,
			const struct norm_env *env, struct norm_item *it, struct chm_err *err)
{
	struct chm_run *run = &it->run;
	struct chm_val v;
	char buf[32];

#define GET(path) do { if (get(ctx, (path), &v)) return CHM_VAL_BAIL; } while (0)
	GET(m->f_run_id);
	run->external_run_id = val_id(&v, &env->s->run_id);
	if (!run->external_run_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, m->f_run_id,
				   "the %s record has no run id at \"%s\"", m->name, m->f_run_id);
	if (m->f_ext) {
		GET(m->f_ext);
		it->external_id = val_id(&v, &env->s->ext);
	}
	GET(m->f_status);
	const char *sv = NULL;
	if (v.type == 's')
		sv = v.s;
	else if (v.type == 'i') {
		snprintf(buf, sizeof(buf), "%lld", v.i);
		sv = buf;
	}
	if (!sv)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, m->f_status,
				   "the %s record has no status at \"%s\"", m->name, m->f_status);
	json_t *canon = json_object_get(m->statuses, sv);
	if (canon)
		run->status = json_string_value(canon);
	else
		src_unknown_status(env, it, m->unknown_status, sv);
	if (m->f_start) {
		GET(m->f_start);
		if (val_time(&v, m->f_start, m->time_flags, &run->has_started, &run->started_at, it, err))
			return -1;
	}
	if (m->f_end) {
		GET(m->f_end);
		if (val_time(&v, m->f_end, m->time_flags, &run->has_finished, &run->finished_at, it, err))
			return -1;
	}
	v.type = 0;
	if (m->f_duration)
		GET(m->f_duration);
	if (v.type && v.type != 'z') {
		if (val_number(&v, &run->duration_seconds))
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, m->f_duration,
					   "%s must be a number", m->f_duration);
		run->duration_seconds *= m->duration_scale;
		run->has_duration = 1;
	}
	v.type = 0;
	if (m->f_rows)
		GET(m->f_rows);
	if (v.type && v.type != 'z') {
		double rows;
		if (val_number(&v, &rows) || rows != (double)(int64_t)rows)
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, m->f_rows,
					   "%s must be a whole number", m->f_rows);
		run->has_rows = 1;
		run->rows_processed = (int64_t)rows;
	}
	if (m->f_error) {
		GET(m->f_error);
		if (v.type == 's' && *v.s)
			run->error_message = v.s;
	}
	return 0;
#undef GET
}

/* The value at a path of a jansson record. */
static int json_get(void *ctx, const char *path, struct chm_val *out)
{
	json_t *v = chm_json_path(ctx, path);
	memset(out, 0, sizeof(*out));
	if (!v)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING: out->type = 's'; out->s = json_string_value(v); break;
	case JSON_INTEGER: out->type = 'i'; out->i = (long long)json_integer_value(v); break;
	case JSON_REAL: out->type = 'r'; out->d = json_real_value(v); break;
	case JSON_NULL: out->type = 'z'; break;
	case JSON_TRUE: out->type = 't'; break;
	case JSON_FALSE: out->type = 'f'; break;
	case JSON_OBJECT: out->type = '{'; break;
	case JSON_ARRAY: out->type = '['; break;
	}
	return 0;
}

static int map(json_t *rec, const struct norm_env *env, struct norm_item *it, struct chm_err *err)
{
	return map_vals(env->cfg, json_get, rec, env, it, err);
}

#define VENDOR_DEPTH 8 /* the deepest mapping path the fast reader reads, plus one */

/* The fast reader: the mapping's rules through src_fast_get. */
static int fast(struct src_fast *f, int rec, const struct norm_env *env, struct norm_item *it)
{
	struct src_fast_rec fr = { f, rec };
	const struct chm_vendor_map *m = env->cfg;
	const char *items;
	struct chm_err err;

	/* every path the mapping reads must be in the tree */
	if (!m || 1 + map_depth(m) > VENDOR_DEPTH)
		return -1;
	/* a page of items is the general path's */
	if ((items = map_items_path(m)) && src_fast_type(f, jscan_path(&f->js, rec, items)) == '[')
		return -1;
	return map_vals(m, src_fast_get, &fr, env, it, &err) ? -1 : 0;
}

static const char *page_path(const struct norm_env *env)
{
	return env->cfg ? map_items_path(env->cfg) : NULL;
}

const struct chm_source chm_src_vendor = { "vendor", "vendor_api", NULL, map, fast, VENDOR_DEPTH, "mapping", page_path };
