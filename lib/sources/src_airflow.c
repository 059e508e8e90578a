/* airflow: DAG runs of the stable REST API, v1 (Airflow 2) and v2 (Airflow 3).
 * Both name the run dag_run_id and the DAG dag_id; times are start_date and
 * end_date, RFC 3339 with +00:00 or Z. A page is {"dag_runs":[...]}. */
#include <stdio.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/http.h"
#include "core/strbuf.h"
#include "sources/pager.h"
#include "sources/source.h"

/* The canonical status of a DAG run state, NULL when unknown. An unknown state
 * (a newer Airflow's, or a task state such as up_for_reschedule sent by
 * mistake) is read as running: it claims no outcome, and the run's next
 * terminal state replaces it. */
static const char *airflow_status(const char *state);
#define AIRFLOW_UNKNOWN_STATUS "running"

static const struct {
	const char *state, *status;
} states[] = {
	{ "queued", "running" },
	{ "running", "running" },
	{ "success", "success" },
	{ "failed", "failed" },
	{ NULL, NULL },
};

static const char *airflow_status(const char *state)
{
	for (int i = 0; states[i].state; i++)
		if (strcmp(states[i].state, state) == 0)
			return states[i].status;
	return NULL;
}

static int map(json_t *rec, const struct norm_env *env, struct norm_item *it, struct chm_err *err)
{
	struct chm_run *run = &it->run;
	const char *state = src_str(rec, "state");

	run->external_run_id = src_id(json_object_get(rec, "dag_run_id"), &env->s->run_id);
	if (!run->external_run_id)
		run->external_run_id = src_id(json_object_get(rec, "run_id"), &env->s->run_id);
	if (!run->external_run_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "dag_run_id",
				   "an Airflow DAG run needs a string dag_run_id");
	it->external_id = src_str(rec, "dag_id");
	if (!state)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "state",
				   "an Airflow DAG run needs a string state");
	run->status = airflow_status(state);
	if (!run->status)
		src_unknown_status(env, it, AIRFLOW_UNKNOWN_STATUS, state);
	if (src_time(rec, "start_date", 0, &run->has_started, &run->started_at, it, err) ||
	    src_time(rec, "end_date", 0, &run->has_finished, &run->finished_at, it, err))
		return -1;
	return 0;
}

/* The fast reader: map's rules on the line's jscan tree. */
static int fast(struct src_fast *f, int rec, const struct norm_env *env, struct norm_item *it)
{
	const char *state;
	if (src_fast_type(f, jscan_child(&f->js, rec, "dag_run_id")) != 's' ||
	    src_fast_str(f, jscan_child(&f->js, rec, "dag_run_id"), &it->run.external_run_id) ||
	    !*it->run.external_run_id) /* "" is no id: the general path looks at run_id too */
		return -1;
	if (src_fast_str(f, jscan_child(&f->js, rec, "state"), &state) || !state ||
	    src_fast_str(f, jscan_child(&f->js, rec, "dag_id"), &it->external_id))
		return -1;
	if (!(it->run.status = airflow_status(state)))
		src_unknown_status(env, it, AIRFLOW_UNKNOWN_STATUS, state);
	return src_fast_time(f, jscan_child(&f->js, rec, "start_date"), "start_date", 0,
			 &it->run.has_started, &it->run.started_at, it) ||
	       src_fast_time(f, jscan_child(&f->js, rec, "end_date"), "end_date", 0,
			 &it->run.has_finished, &it->run.finished_at, it);
}

/* ---- the pager: GET /api/v1/dags/{dag_id}/dagRuns (or /api/v2) ---- */

/* Which API the base URL names itself (1 for .../api/v1, 2 for
 * .../api/v2, 0 for none), and its length without trailing slashes. */
static int base_api(const char *base, size_t *len)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	*len = n;
	if (n >= 7 && strncmp(base + n - 7, "/api/v", 6) == 0 && (base[n - 1] == '1' || base[n - 1] == '2'))
		return base[n - 1] - '0';
	return 0;
}

/* The DAG's dagRuns path: a base URL ending in /api/v1 or /api/v2 names
 * the API itself; else --airflow-api says which. */
static void runs_path(const struct chm_pager_ctx *c, const char *external_id, struct strbuf *url)
{
	size_t n;
	int named = base_api(c->base_url, &n);

	strbuf_reset(url);
	strbuf_add(url, c->base_url, n);
	if (!named)
		strbuf_adds(url, c->airflow_v2 ? "/api/v2" : "/api/v1");
	strbuf_adds(url, "/dags/");
	chm_http_add_escaped(url, external_id);
	strbuf_adds(url, "/dagRuns");
}

static void url(const struct chm_pager_ctx *c, const char *external_id, const struct chm_page_at *at,
		struct strbuf *url)
{
	char tbuf[CHM_TIME_BUFSZ];

	runs_path(c, external_id, url);
	chm_pager_add_param(url, "order_by", "start_date");
	if (at->has_since)
		chm_pager_add_param(url, "start_date_gte", chm_time_format(at->since, tbuf));
	chm_pager_add_limit_offset(url, c->page_size, at->offset);
}

/* start_date_gte leaves out a run with no start_date: one queued, then
 * marked failed (or success) before a worker took it. */
static void ended_url(const struct chm_pager_ctx *c, const char *external_id, const struct chm_page_at *at,
		      struct strbuf *url)
{
	char tbuf[CHM_TIME_BUFSZ];

	runs_path(c, external_id, url);
	chm_pager_add_param(url, "order_by", "end_date");
	chm_pager_add_param(url, "end_date_gte", chm_time_format(at->since, tbuf));
	chm_pager_add_limit_offset(url, c->page_size, at->offset);
}

/* Airflow 3's token endpoint is at the server's root (under its base
 * path), beside /api/v2:
 * POST /auth/token {"username","password"} answers 201 {"access_token"}. */
static void login(const struct chm_pager_ctx *c, const char *user, const char *password, struct strbuf *url,
		  json_t **body)
{
	size_t n;
	if (base_api(c->base_url, &n))
		n -= strlen("/api/v1");
	strbuf_reset(url);
	strbuf_add(url, c->base_url, n);
	strbuf_adds(url, "/auth/token");
	*body = json_pack("{s:s, s:s}", "username", user, "password", password);
}

/* Airflow 3 removed /api/v1: its 404 for every v1 path is the usual
 * mistake of a first fetch from an upgraded server. */
static const char *refusal_hint(const struct chm_pager_ctx *c, long http_status)
{
	size_t n;
	int named = base_api(c->base_url, &n);
	int v1 = named ? named == 1 : !c->airflow_v2;
	return http_status == 404 && v1 ? "if the server is Airflow 3, which has no /api/v1, give --airflow-api v2" : NULL;
}

static int item_key(const struct chm_pager_ctx *c, json_t *item, int64_t *key)
{
	(void)c;
	return chm_pager_time(json_object_get(item, "start_date"), key);
}

/* Over when its state is no longer a running one and it has an end. */
static int item_finished(const struct chm_pager_ctx *c, json_t *item)
{
	(void)c;
	const char *st = json_string_value(json_object_get(item, "state"));
	json_t *end = json_object_get(item, "end_date");
	const char *status = st ? airflow_status(st) : NULL;
	if (status && strcmp(status, "running") == 0)
		return 0;
	return end && !json_is_null(end);
}

static const struct chm_pager pager = {
	.paging = CHM_PAGE_OFFSET,
	.key = CHM_KEY_START,
	.url = url,
	.items = "dag_runs",
	.total = "total_entries",
	.id = "dag_run_id",
	.item_key = item_key,
	.login = login,
	.refusal_hint = refusal_hint,
	.item_finished = item_finished,
	.ended_url = ended_url,
};

static const char *const page_keys[] = { "dag_runs", NULL };

const struct chm_source chm_src_airflow = {
	.name = "airflow",
	.platform = "airflow",
	.page_keys = page_keys,
	.map = map,
	.fast = fast,
	.fast_depth = 2,
	.pager = &pager,
};
