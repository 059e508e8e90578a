/* vendor: a partner's JSON runs API described by a mapping file, so a new
 * partner needs no C (README.md, "Vendor mappings"). The mapping says where a
 * page keeps its items, which field is the run id, the status, the times,
 * the duration, the rows and the error, how statuses map, and how to page
 * through the API: the request path and parameters and where the cursor is.
 * One file, read here for both programs: chm-normalize maps runs by it,
 * chm-fetch pages by it (and needs only the paging keys).
 *
 *   "name":     the mapping's name; raw envelopes carry it as "mapping"
 *   "items":    dot path of the array of runs in a page ("" = the page is the array)
 *   "cursor":   dot path of the next cursor (absent, null or "" ends)
 *   "fields":   dot paths in an item: run_id (or id), status, started_at (or
 *               start), finished_at (or end), external_id, duration, rows, error
 *   "statuses": {"<source status>": "running" | "success" | ...}
 *   "unknown_status", "duration_unit" (s, ms), "time_unit" (s, ms, auto)
 *   "request": {                      (what only chm-fetch needs; all optional)
 *       "path":         "/v1/pipelines/{external_id}/runs", appended to the base
 *                       URL ({external_id} is URL-encoded); without it the base URL
 *                       is the endpoint. Without {external_id} the API lists the
 *                       runs of every pipeline, and fields.external_id picks each one's.
 *       "cursor_param": query parameter carrying the cursor back (default "cursor")
 *       "limit_param":  query parameter for the page size
 *       "since_param":  query parameter for the bookmark's start time
 *       "ordered":      true when pages come oldest first by the start time (the
 *                       bookmark may then advance page by page)
 *       "params":       {"name": "value", ...} constant query parameters
 *   } */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/enums.h"
#include "core/http.h"
#include "core/record.h"
#include "core/strbuf.h"
#include "sources/pager.h"
#include "sources/source.h"

/* Where a page keeps its items (NULL: no pages); how many path components
 * the deepest of the mapping's paths has. */
static const char *map_items_path(const struct chm_vendor_map *m);
static int map_depth(const struct chm_vendor_map *m);
/* The mapping's rules on the values get reads: 0 mapped, -1 with err to
 * reject, CHM_VAL_BAIL when get gave up. */
static int map_vals(const struct chm_vendor_map *m, chm_val_get get, void *ctx,
			       const struct norm_env *env, struct norm_item *it, struct chm_err *err);

struct chm_vendor_map {
	json_t *root;                /* owns every string and object below */
	const char *name;
	const char *items;           /* path to the items array of a page ("" the page itself) */
	const char *f_ext, *f_run_id, *f_status, *f_start, *f_end, *f_duration, *f_rows, *f_error;
	double duration_scale;       /* to seconds */
	int time_flags;
	json_t *statuses;            /* source status -> canonical */
	const char *unknown_status;
	/* what only chm-fetch reads */
	const char *cursor;          /* path to the next cursor in a page */
	const char *path;            /* request.path, "" when the base URL is the endpoint */
	const char *cursor_param, *limit_param, *since_param;
	int ordered;
	json_t *params;              /* constant query parameters */
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

/* A field's path under its name or its alias (chm-fetch's shorter names). */
static int cfg_field(json_t *fields, const char *key, const char *alias, const char **out,
		     const char *path, struct chm_err *err)
{
	return cfg_str(fields, json_object_get(fields, key) || !alias ? key : alias, out, path, err);
}

/* The keys both programs read: names, paths, the request. */
static int load_keys(struct chm_vendor_map *m, json_t *fields, json_t *req, const char *path,
		     struct chm_err *err)
{
	json_t *root = m->root;
	if (cfg_str(root, "name", &m->name, path, err) || cfg_str(root, "items", &m->items, path, err) ||
	    cfg_str(root, "cursor", &m->cursor, path, err) ||
	    cfg_str(json_object_get(req, "cursor_param") ? req : root, "cursor_param", &m->cursor_param, path, err) ||
	    cfg_str(req, "path", &m->path, path, err) || cfg_str(req, "limit_param", &m->limit_param, path, err) ||
	    cfg_str(req, "since_param", &m->since_param, path, err) ||
	    cfg_field(fields, "external_id", NULL, &m->f_ext, path, err) ||
	    cfg_field(fields, "run_id", "id", &m->f_run_id, path, err) ||
	    cfg_field(fields, "status", NULL, &m->f_status, path, err) ||
	    cfg_field(fields, "started_at", "start", &m->f_start, path, err) ||
	    cfg_field(fields, "finished_at", "end", &m->f_end, path, err) ||
	    cfg_field(fields, "duration", NULL, &m->f_duration, path, err) ||
	    cfg_field(fields, "rows", NULL, &m->f_rows, path, err) ||
	    cfg_field(fields, "error", NULL, &m->f_error, path, err))
		return -1;
	if (!m->cursor_param)
		m->cursor_param = "cursor";
	if (!m->path)
		m->path = ""; /* the base URL is the runs endpoint itself */
	else if (m->path[0] != '/')
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "request.path",
				   "%s: request.path must start with / (it is appended to --base-url)", path);
	m->ordered = json_is_true(json_object_get(req, "ordered"));
	m->params = json_object_get(req, "params");
	if (m->params && !json_is_object(m->params))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "request.params",
				   "%s: request.params must be an object of strings", path);
	const char *k;
	json_t *v;
	json_object_foreach(m->params, k, v)
		if (!json_is_string(v))
			return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "request.params",
					   "%s: request.params.%s must be a string", path, k);
	m->statuses = json_object_get(root, "statuses");
	return 0;
}

/* What mapping runs to canonical records needs: chm-normalize's keys. */
static int check_for_runs(struct chm_vendor_map *m, const char *path, struct chm_err *err)
{
	const char *dunit = NULL, *tunit = NULL;
	if (cfg_str(m->root, "unknown_status", &m->unknown_status, path, err) ||
	    cfg_str(m->root, "duration_unit", &dunit, path, err) ||
	    cfg_str(m->root, "time_unit", &tunit, path, err))
		return -1;
	if (!m->name || !*m->name || strpbrk(m->name, "/. "))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "name",
				   "%s: \"name\" must be a plain word (the envelopes' \"mapping\")", path);
	if (!m->f_run_id || !m->f_status)
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "fields",
				   "%s: fields.run_id and fields.status are required", path);
	if (!chm_enum_has(chm_run_statuses, m->unknown_status))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "unknown_status",
				   "%s: unknown_status \"%s\" is not a run status", path, m->unknown_status);
	if (dunit && strcmp(dunit, "ms") == 0)
		m->duration_scale = 1e-3;
	else if (dunit && strcmp(dunit, "s") != 0)
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "duration_unit",
				   "%s: duration_unit must be \"s\" or \"ms\"", path);
	if (tunit && strcmp(tunit, "s") == 0)
		m->time_flags = SRC_T_EPOCH_S;
	else if (tunit && strcmp(tunit, "ms") == 0)
		m->time_flags = SRC_T_EPOCH_MS;
	else if (tunit && strcmp(tunit, "auto") != 0)
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "time_unit",
				   "%s: time_unit must be \"s\", \"ms\" or \"auto\"", path);
	if (!json_is_object(m->statuses))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "statuses",
				   "%s: \"statuses\" must map each source status to a run status", path);
	const char *k;
	json_t *v;
	json_object_foreach(m->statuses, k, v)
		if (!json_is_string(v) || !chm_enum_has(chm_run_statuses, json_string_value(v)))
			return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "statuses",
					   "%s: statuses.%s must be one of running, success, failed, canceled, "
					   "skipped", path, k);
	return 0;
}

struct chm_vendor_map *chm_vendor_map_load(const char *path, int use, struct chm_err *err)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (!root) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "mapping", "%s:%d: %s%s", path,
			    jerr.line, jerr.line > 0 ? "" : "cannot read: ", jerr.text);
		return NULL;
	}
	struct chm_vendor_map *m = chm_xmalloc(sizeof(*m));
	memset(m, 0, sizeof(*m));
	m->root = root;
	m->unknown_status = "running";
	m->duration_scale = 1;
	m->time_flags = SRC_T_EPOCH;
	json_t *fields = json_object_get(root, "fields");
	json_t *req = json_object_get(root, "request");
	if (!json_is_object(root) || (fields && !json_is_object(fields)) || (req && !json_is_object(req))) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, fields && !json_is_object(fields) ? "fields" : "request",
			    "%s: a mapping is an object; its \"fields\" and \"request\" are objects", path);
		goto bad;
	}
	if (!fields && use == CHM_MAP_RUNS) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "fields",
			    "%s: a mapping is an object with a \"fields\" object", path);
		goto bad;
	}
	/* no request object: chm-fetch's keys at the top */
	if (load_keys(m, fields, req ? req : root, path, err) ||
	    (use == CHM_MAP_RUNS && check_for_runs(m, path, err)))
		goto bad;
	if (use == CHM_MAP_FETCH && !m->f_run_id)
		m->f_run_id = "id";
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
		if (val_number(&v, &rows))
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, m->f_rows,
					   "%s must be a whole number", m->f_rows);
		/* the range first: casting a double past int64 is undefined */
		if (!(rows > -9223372036854775808.0 && rows < 9223372036854775808.0))
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_OUT_OF_RANGE, m->f_rows,
					   "%s is past the largest count, 9223372036854775807", m->f_rows);
		if (rows != (double)(int64_t)rows)
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

/* ---- the pager: the mapping's request, cursor after cursor ---- */

static void url(const struct chm_pager_ctx *c, const char *external_id, const struct chm_page_at *at,
		struct strbuf *url)
{
	const struct chm_vendor_map *m = c->map;
	const char *s = m->path, *ph;
	char num[32], tbuf[CHM_TIME_BUFSZ];

	strbuf_reset(url);
	chm_pager_add_base(url, c->base_url, "", NULL);
	while ((ph = strstr(s, "{external_id}"))) {
		strbuf_add(url, s, (size_t)(ph - s));
		chm_http_add_escaped(url, external_id);
		s = ph + strlen("{external_id}");
	}
	strbuf_adds(url, s);
	const char *k;
	json_t *v;
	json_object_foreach(m->params, k, v)
		chm_pager_add_param(url, k, json_string_value(v));
	snprintf(num, sizeof(num), "%d", c->page_size);
	if (m->limit_param)
		chm_pager_add_param(url, m->limit_param, num);
	if (at->has_since && m->since_param)
		chm_pager_add_param(url, m->since_param, chm_time_format(at->since, tbuf));
	if (at->cursor)
		chm_pager_add_param(url, m->cursor_param, at->cursor);
}

static const char *pager_items_path(const struct chm_pager_ctx *c)
{
	return c->map->items ? c->map->items : "";
}

static void page_info(const struct chm_pager_ctx *c, json_t *page, long *total, const char **next)
{
	*total = -1;
	*next = NULL;
	if (c->map->cursor) {
		json_t *cur = chm_json_path(page, c->map->cursor);
		/* a numeric cursor is rare but seen: it ends, as it always did */
		if (json_is_string(cur) && json_string_length(cur) > 0)
			*next = json_string_value(cur);
	}
}

static const char *id_path(const struct chm_pager_ctx *c)
{
	return c->map->f_run_id;
}

static int item_key(const struct chm_pager_ctx *c, json_t *item, int64_t *key)
{
	if (!c->map->f_start)
		return 1;
	return chm_pager_time(chm_json_path(item, c->map->f_start), key);
}

static int item_finished(const struct chm_pager_ctx *c, json_t *item)
{
	const struct chm_vendor_map *m = c->map;
	if (m->f_status && json_is_object(m->statuses)) {
		const char *st = json_string_value(chm_json_path(item, m->f_status));
		const char *to = st ? json_string_value(json_object_get(m->statuses, st)) : NULL;
		if (to)
			return strcmp(to, "running") != 0;
	}
	if (m->f_end) {
		json_t *end = chm_json_path(item, m->f_end);
		return end && !json_is_null(end);
	}
	return 1;
}

/* An API that lists the runs of every pipeline at one path: the item is
 * this pipeline's when its fields.external_id says so. */
static int item_mine(const struct chm_pager_ctx *c, const char *external_id, json_t *item)
{
	const struct chm_vendor_map *m = c->map;
	if (!m->f_ext || strstr(m->path, "{external_id}"))
		return 1;
	json_t *v = chm_json_path(item, m->f_ext);
	char buf[32];
	if (json_is_string(v))
		return strcmp(json_string_value(v), external_id) == 0;
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strcmp(buf, external_id) == 0;
	}
	return 0;
}

static int ordered(const struct chm_pager_ctx *c)
{
	return c->map->ordered;
}

static const struct chm_pager pager = {
	.paging = CHM_PAGE_CURSOR,
	.key = CHM_KEY_START,
	.url = url,
	.items_path = pager_items_path,
	.page_info = page_info,
	.id_path = id_path,
	.item_key = item_key,
	.item_finished = item_finished,
	.item_mine = item_mine,
	.ordered = ordered,
};

const struct chm_source chm_src_vendor = {
	.name = "vendor",
	.platform = "vendor_api",
	.map = map,
	.fast = fast,
	.fast_depth = VENDOR_DEPTH,
	.mapping_member = "mapping",
	.page_path = page_path,
	.pager = &pager,
};
