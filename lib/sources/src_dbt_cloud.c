/* dbt_cloud: runs of the dbt Cloud Administrative API v2 (GET /runs/ and
 * /runs/{id}/): numeric status codes, timestamps with a space separator
 * ("2021-12-07 10:34:01.982824+00:00"), duration as "HH:MM:SS". The run's
 * job is job_definition_id (job_id in some responses). A page is
 * {"status":{...},"data":[...]} and a single run {"status":{...},"data":{...}}.
 * The deprecated v4 shape (string ids, status words, epoch-second times,
 * duration in seconds) is read too, so old saved pages still replay. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/http.h"
#include "core/record.h"
#include "core/strbuf.h"
#include "sources/pager.h"
#include "sources/source.h"

/* The status of a numeric code (code not NULL) or of a status word. */
static void cloud_status(const struct norm_env *env, struct norm_item *it, const long long *code,
			  const char *word);
/* A duration: the string s, or the number *num when s is NULL; 0 with *out. */
static int cloud_duration(const char *s, const double *num, double *out);

static const struct {
	int code;
	const char *status;
} codes[] = {
	{ 1, "running" },   /* queued */
	{ 2, "running" },   /* starting */
	{ 3, "running" },   /* running */
	{ 10, "success" },
	{ 20, "failed" },   /* error */
	{ 30, "canceled" },
	{ 0, NULL },
};

/* the status words of status_humanized and of the v4 API */
static const struct {
	const char *word, *status;
} words[] = {
	{ "queued", "running" }, { "starting", "running" }, { "running", "running" },
	{ "success", "success" }, { "succeeded", "success" }, { "error", "failed" },
	{ "failed", "failed" }, { "cancelled", "canceled" }, { "canceled", "canceled" },
	{ NULL, NULL },
};

/* An unknown status is read as running: dbt Cloud's codes below 10 are
 * the not-yet-finished ones, and a run's next terminal status replaces it. */
#define UNKNOWN_STATUS "running"

/* "HH:MM:SS" (hours may exceed 24) or a number of seconds: a string s, or
 * the number *num (s NULL); neither is no duration. */
static int cloud_duration(const char *s, const double *num, double *out)
{
	if (s) {
		unsigned h, m, sec;
		int used = 0;
		if (sscanf(s, "%u:%2u:%2u%n", &h, &m, &sec, &used) == 3 && s[used] == '\0' &&
		    m < 60 && sec < 60) {
			*out = h * 3600.0 + m * 60.0 + sec;
			return 0;
		}
		return src_number_str(s, out);
	}
	if (!num)
		return -1;
	*out = *num;
	return isfinite(*out) ? 0 : -1;
}

static int duration(json_t *v, double *out)
{
	double d;
	if (json_is_string(v))
		return cloud_duration(json_string_value(v), NULL, out);
	if (json_is_number(v)) {
		d = json_number_value(v);
		return cloud_duration(NULL, &d, out);
	}
	return -1;
}

static void cloud_status(const struct norm_env *env, struct norm_item *it, const long long *code,
			  const char *word)
{
	struct chm_run *run = &it->run;
	char buf[32];

	if (code) {
		for (int i = 0; codes[i].status; i++)
			if (codes[i].code == *code)
				run->status = codes[i].status;
		if (!run->status) {
			snprintf(buf, sizeof(buf), "%lld", *code);
			src_unknown_status(env, it, UNKNOWN_STATUS, buf);
		}
	} else {
		for (int i = 0; words[i].word; i++)
			if (strcasecmp(words[i].word, word) == 0)
				run->status = words[i].status;
		if (!run->status)
			src_unknown_status(env, it, UNKNOWN_STATUS, word);
	}
}

/* The tail of a step's log holds dbt's summary of what failed. */
#define STEP_LOG_TAIL 1500

/* A failed run's status_message is often null; with run_steps (the API's
 * include_related=run_steps) the failing step says what failed: its name
 * and the tail of its log. NULL when no step failed or there are none. */
static const char *failed_step(json_t *rec, struct strbuf *out)
{
	json_t *steps = json_object_get(rec, "run_steps"), *step;
	size_t i;

	json_array_foreach(steps, i, step) {
		json_t *code = json_object_get(step, "status");
		const char *word = json_string_value(json_object_get(step, "status_humanized"));
		if (!(json_is_integer(code) && json_integer_value(code) == 20) &&
		    !(word && (!strcasecmp(word, "error") || !strcasecmp(word, "failed"))))
			continue;
		const char *name = json_string_value(json_object_get(step, "name"));
		const char *log = json_string_value(json_object_get(step, "truncated_debug_logs"));
		if (!log || !*log)
			log = json_string_value(json_object_get(step, "logs"));
		strbuf_reset(out);
		strbuf_addf(out, "step \"%s\" failed", name ? name : "?");
		if (log && *log) {
			size_t n = strlen(log), from = n > STEP_LOG_TAIL ? n - STEP_LOG_TAIL : 0;
			while (from < n && ((unsigned char)log[from] & 0xc0) == 0x80)
				from++; /* never begin inside a UTF-8 sequence */
			while (n > from && (log[n - 1] == '\n' || log[n - 1] == ' ' || log[n - 1] == '\r'))
				n--;
			strbuf_adds(out, from ? ": ..." : ": ");
			strbuf_add(out, log + from, n - from);
		}
		return out->buf;
	}
	return NULL;
}

static int map(json_t *rec, const struct norm_env *env, struct norm_item *it, struct chm_err *err)
{
	struct chm_run *run = &it->run;
	json_t *st = json_object_get(rec, "status");

	run->external_run_id = src_id(json_object_get(rec, "id"), &env->s->run_id);
	if (!run->external_run_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "id",
				   "a dbt Cloud run needs an id");
	it->external_id = src_id(json_object_get(rec, "job_definition_id"), &env->s->ext);
	if (!it->external_id)
		it->external_id = src_id(json_object_get(rec, "job_id"), &env->s->ext);

	if (json_is_integer(st)) {
		long long c = (long long)json_integer_value(st);
		cloud_status(env, it, &c, NULL);
	} else if (json_is_string(st)) {
		cloud_status(env, it, NULL, json_string_value(st));
	} else {
		return chm_err_set(err, CHM_EX_DATAERR, st ? CHM_E_WRONG_TYPE : CHM_E_MISSING_FIELD, "status",
				   "a dbt Cloud run needs a numeric status");
	}
	if (src_time(rec, "started_at", SRC_T_EPOCH_S, &run->has_started, &run->started_at, it, err) ||
	    src_time(rec, "finished_at", SRC_T_EPOCH_S, &run->has_finished, &run->finished_at, it, err))
		return -1;
	json_t *d = json_object_get(rec, "duration");
	if (d && !json_is_null(d)) {
		if (duration(d, &run->duration_seconds))
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_VALUE, "duration",
					   "duration must be \"HH:MM:SS\" or seconds");
		run->has_duration = 1;
	}
	const char *msg = src_str(rec, "status_message");
	if (msg && *msg)
		run->error_message = msg;
	else if (run->status && !strcmp(run->status, "failed"))
		run->error_message = failed_step(rec, &env->s->error);
	return 0;
}

/* The fast reader: map's rules on the line's jscan tree. */
static int fast(struct src_fast *f, int rec, const struct norm_env *env, struct norm_item *it)
{
	struct chm_run *run = &it->run;
	const struct jscan *js = &f->js;
	int st = jscan_child(js, rec, "status"), d = jscan_child(js, rec, "duration");
	const char *word, *msg;
	long long code;

	if (src_fast_id(f, jscan_child(js, rec, "id"), &run->external_run_id) || !run->external_run_id ||
	    src_fast_id(f, jscan_child(js, rec, "job_definition_id"), &it->external_id) ||
	    (!it->external_id && src_fast_id(f, jscan_child(js, rec, "job_id"), &it->external_id)))
		return -1;
	if (src_fast_int(f, st, &code)) {
		cloud_status(env, it, &code, NULL);
	} else if (src_fast_type(f, st) == 's') {
		if (src_fast_str(f, st, &word))
			return -1;
		cloud_status(env, it, NULL, word);
	} else {
		return -1;
	}
	if (src_fast_time(f, jscan_child(js, rec, "started_at"), "started_at", SRC_T_EPOCH_S,
		      &run->has_started, &run->started_at, it) ||
	    src_fast_time(f, jscan_child(js, rec, "finished_at"), "finished_at", SRC_T_EPOCH_S,
		      &run->has_finished, &run->finished_at, it))
		return -1;
	if (src_fast_type(f, d) && src_fast_type(f, d) != 'z') {
		const char *ds;
		double num;
		if (src_fast_type(f, d) == 's') {
			if (src_fast_str(f, d, &ds) ||
			    cloud_duration(ds, NULL, &run->duration_seconds))
				return -1;
		} else if (src_fast_number(f, d, &num) ||
			   cloud_duration(NULL, &num, &run->duration_seconds)) {
			return -1;
		}
		run->has_duration = 1;
	}
	if (src_fast_str(f, jscan_child(js, rec, "status_message"), &msg))
		return -1;
	if (msg && *msg)
		run->error_message = msg;
	else if (run->status && !strcmp(run->status, "failed") && jscan_child(js, rec, "run_steps") >= 0)
		return -1; /* the failing step's text: the general path reads run_steps */
	return 0;
}

/* ---- the pager: GET /api/v2/accounts/{account}/runs/?job_definition_id= ---- */

/* dbt Cloud names a job by its integer id: a dbt pipeline named otherwise
 * is a dbt-core project, which has no API to ask. */
static int wants(const char *external_id)
{
	if (!*external_id)
		return 0;
	for (const char *p = external_id; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

static void url(const struct chm_pager_ctx *c, const char *external_id, const struct chm_page_at *at,
		struct strbuf *url)
{
	int has_root = 0;

	strbuf_reset(url);
	chm_pager_add_base(url, c->base_url, "/api/v2", &has_root);
	strbuf_adds(url, has_root ? "/accounts/" : "/api/v2/accounts/");
	chm_http_add_escaped(url, c->account_id);
	strbuf_adds(url, "/runs/");
	chm_pager_add_param(url, "job_definition_id", external_id);
	/* a failed run's steps say what failed when status_message is null */
	chm_pager_add_param(url, "include_related", "[\"run_steps\"]");
	chm_pager_add_param(url, "order_by", "id");
	chm_pager_add_limit_offset(url, c->page_size, at->offset);
}

static int item_key(const struct chm_pager_ctx *c, json_t *item, int64_t *key)
{
	(void)c;
	json_t *v = json_object_get(item, "id");
	if (!json_is_integer(v))
		return 1;
	*key = json_integer_value(v);
	return 0;
}

static int item_finished(const struct chm_pager_ctx *c, json_t *item)
{
	(void)c;
	json_t *done = json_object_get(item, "is_complete");
	if (json_is_boolean(done))
		return json_is_true(done);
	json_t *st = json_object_get(item, "status");
	if (!json_is_integer(st))
		return 0;
	for (int i = 0; codes[i].status; i++)
		if (codes[i].code == json_integer_value(st))
			return strcmp(codes[i].status, "running") != 0;
	return 0;
}

static int item_created(json_t *item, int64_t *usec)
{
	return chm_pager_time(json_object_get(item, "created_at"), usec);
}

static const struct chm_pager pager = {
	.paging = CHM_PAGE_OFFSET,
	.key = CHM_KEY_RUN_ID,
	.wants = wants,
	.url = url,
	.items = "data",
	.total = "extra.pagination.total_count",
	.id = "id",
	.item_key = item_key,
	.item_finished = item_finished,
	.item_created = item_created,
};

static const char *const page_keys[] = { "data", NULL };

const struct chm_source chm_src_dbt_cloud = {
	.name = "dbt_cloud",
	.platform = "dbt",
	.page_keys = page_keys,
	.map = map,
	.fast = fast,
	.fast_depth = 2,
	.pager = &pager,
};
