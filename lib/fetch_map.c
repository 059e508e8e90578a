/* The vendor mapping file: how to page through a cursor API, as JSON, so a
 * new partner needs no C. It is the file chm-normalize reads (its keys for
 * the run's fields and statuses are shared; others are ignored here):
 *
 *   "name":     the mapping's name; raw envelopes carry it as "mapping"
 *   "items":    dot path of the array of runs in a page ("" = the page is the array)
 *   "cursor":   dot path of the next cursor (absent, null or "" ends)
 *   "cursor_param": query parameter carrying the cursor back (default "cursor")
 *   "fields":   dot paths in an item: "run_id" (or "id"), "started_at" (or
 *               "start"), "finished_at" (or "end"), "status", "external_id"
 *   "statuses": {"<source status>": "running" | "success" | ...}: which are unfinished
 *   "request": {                      (what only chm-fetch needs; all optional)
 *       "path":         "/v1/pipelines/{external_id}/runs", appended to the base
 *                       URL ({external_id} is URL-encoded); without it the base URL
 *                       is the endpoint. Without {external_id} the API lists the
 *                       runs of every pipeline, and fields.external_id picks each one's.
 *       "cursor_param": as above
 *       "limit_param":  query parameter for the page size (optional)
 *       "since_param":  query parameter for the bookmark's start time (optional)
 *       "ordered":      true when pages come oldest first by the start time (the
 *                       bookmark may then advance page by page)
 *       "params":       {"name": "value", ...} constant query parameters
 *   }
 */
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "fetch_int.h"
#include "strbuf.h"

static int get_str(json_t *obj, const char *key, const char *def, char **out, const char *path,
		   struct chm_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		*out = def ? chm_xstrdup(def) : NULL;
		return 0;
	}
	if (!json_is_string(v))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, key, "%s: \"%s\" must be a string",
				   path, key);
	*out = chm_xstrdup(json_string_value(v));
	return 0;
}

struct chm_fetch_map *chm_fetch_map_load(const char *path, struct chm_err *err)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	struct chm_fetch_map *m;

	if (!root) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "", "%s:%d: %s", path, jerr.line, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "", "%s: a mapping is a JSON object", path);
		return NULL;
	}
	m = chm_xmalloc(sizeof(*m));
	memset(m, 0, sizeof(*m));
	m->root = root;
	json_t *fields = json_object_get(root, "fields");
	json_t *req = json_object_get(root, "request");
	if ((fields && !json_is_object(fields)) || (req && !json_is_object(req))) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, fields && !json_is_object(fields) ? "fields" : "request",
			    "%s: \"fields\" and \"request\" are objects", path);
		goto fail;
	}
	if (!req)
		req = root; /* no request object: everything at the top */
	if (!fields)
		fields = json_object();
	else
		json_incref(fields);
	int bad = get_str(root, "name", NULL, &m->name, path, err) ||
		  get_str(root, "items", "", &m->items, path, err) ||
		  get_str(root, "cursor", NULL, &m->cursor, path, err) ||
		  get_str(fields, json_object_get(fields, "run_id") ? "run_id" : "id", "id", &m->f_id, path, err) ||
		  get_str(fields, json_object_get(fields, "started_at") ? "started_at" : "start", NULL, &m->f_start, path, err) ||
		  get_str(fields, json_object_get(fields, "finished_at") ? "finished_at" : "end", NULL, &m->f_end, path, err) ||
		  get_str(fields, "status", NULL, &m->f_status, path, err) ||
		  get_str(fields, "external_id", NULL, &m->f_ext, path, err) ||
		  get_str(req, "path", NULL, &m->path, path, err) ||
		  get_str(json_object_get(req, "cursor_param") ? req : root, "cursor_param", "cursor",
			  &m->cursor_param, path, err) ||
		  get_str(req, "limit_param", NULL, &m->limit_param, path, err) ||
		  get_str(req, "since_param", NULL, &m->since_param, path, err);
	json_decref(fields);
	if (bad)
		goto fail;
	if (!m->path) {
		m->path = chm_xstrdup(""); /* the base URL is the runs endpoint itself */
	} else if (m->path[0] != '/') {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "request.path",
			    "%s: request.path must start with / (it is appended to --base-url)", path);
		goto fail;
	}
	m->ordered = json_is_true(json_object_get(req, "ordered"));
	m->params = json_object_get(req, "params");
	if (m->params && !json_is_object(m->params)) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "request.params",
			    "%s: request.params must be an object of strings", path);
		goto fail;
	}
	const char *k;
	json_t *v;
	json_object_foreach(m->params, k, v) {
		if (!json_is_string(v)) {
			chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_MAPPING, "request.params",
				    "%s: request.params.%s must be a string", path, k);
			goto fail;
		}
	}
	m->statuses = json_object_get(root, "statuses");
	if (m->statuses && !json_is_object(m->statuses))
		m->statuses = NULL;
	return m;
fail:
	chm_fetch_map_free(m);
	return NULL;
}

void chm_fetch_map_free(struct chm_fetch_map *m)
{
	if (!m)
		return;
	free(m->items);
	free(m->cursor);
	free(m->name);
	free(m->f_ext);
	free(m->f_id);
	free(m->f_start);
	free(m->f_end);
	free(m->f_status);
	free(m->path);
	free(m->cursor_param);
	free(m->limit_param);
	free(m->since_param);
	json_decref(m->root);
	free(m);
}
