/* dbt_artifact: a dbt-core run_results.json (schemas v4 to v6) is one run of
 * the invocation. The file does not name its project: the pipeline comes
 * from the envelope or the flags. */
#include <stdio.h>
#include <string.h>

#include "core/record.h"
#include "sources/source.h"

/* What the results of a run_results.json add up to. n is the number of
 * results (of any kind); the others are the accumulator's own. */
struct dbt_acc {
	size_t n, failed, skipped;
	const char *unknown;
	int has_first, has_rows;
	int64_t first_start, rows;
};
/* A result with a string status (its message and unique_id, or NULL). */
static void dbt_result(struct dbt_acc *a, const struct norm_env *env, struct norm_item *it,
		    const char *status, const char *message, const char *unique_id);
/* The started_at of each timing. */
static void dbt_timing_start(struct dbt_acc *a, int64_t at);
/* Status, rows and times, after metadata.invocation_started_at set the start
 * (or not); generated_at and a valid elapsed_time as given. */
static void dbt_finish(struct dbt_acc *a, const struct norm_env *env, struct norm_item *it,
		    int has_gen, int64_t gen, int has_elapsed, double elapsed);

static int is_failure(const char *s)
{
	return strcmp(s, "error") == 0 || strcmp(s, "fail") == 0 || strcmp(s, "runtime error") == 0 ||
	       strcmp(s, "partial success") == 0;
}

static int is_skip(const char *s)
{
	return strcmp(s, "skipped") == 0 || strcmp(s, "no-op") == 0;
}

static int is_known(const char *s)
{
	return is_failure(s) || is_skip(s) || strcmp(s, "success") == 0 || strcmp(s, "pass") == 0 ||
	       strcmp(s, "warn") == 0;
}

/* The rules, fed by map() below or by fast() below, in
 * this order: each result with a string status (dbt_result, then its
 * rows and the start of each of its timings), then dbt_finish. */
static void dbt_result(struct dbt_acc *a, const struct norm_env *env, struct norm_item *it,
		    const char *st, const char *msg, const char *unique_id)
{
	if (is_failure(st)) {
		if (!a->failed++) {
			it->run.error_message = msg && *msg ? msg : NULL;
			if (!it->run.error_message) {
				strbuf_reset(&env->s->error);
				strbuf_addf(&env->s->error, "%s: %s", st, unique_id ? unique_id : "?");
				it->run.error_message = env->s->error.buf;
			}
		}
	} else if (is_skip(st)) {
		a->skipped++;
	} else if (!is_known(st) && !a->unknown) {
		a->unknown = st;
	}
}

static void dbt_timing_start(struct dbt_acc *a, int64_t at)
{
	if (!a->has_first || at < a->first_start) {
		a->first_start = at;
		a->has_first = 1;
	}
}

static void dbt_finish(struct dbt_acc *a, const struct norm_env *env, struct norm_item *it,
		    int has_gen, int64_t gen, int has_elapsed, double elapsed)
{
	struct chm_run *run = &it->run;

	if (a->failed)
		run->status = "failed";
	else if (a->skipped == a->n)
		run->status = "skipped"; /* nothing ran, including an empty invocation */
	else
		run->status = "success";
	if (a->unknown && !a->failed) /* an unknown result status does not fail the run */
		src_unknown_status(env, it, run->status, a->unknown);
	if (a->has_rows) {
		run->has_rows = 1;
		run->rows_processed = a->rows;
	}
	if (has_elapsed) {
		run->has_duration = 1;
		run->duration_seconds = elapsed;
	}
	if (!run->has_started && a->has_first) {
		run->has_started = 1;
		run->started_at = a->first_start;
	}
	/* an absurd elapsed_time gives no start: (int64_t) of a huge double is
	 * undefined, and a start before year 1 cannot be written */
	if (!run->has_started && has_gen && has_elapsed && elapsed < 1e11) {
		int64_t start = gen - (int64_t)(elapsed * 1e6);
		if (start >= INT64_C(-62135596800000000)) {
			run->has_started = 1;
			run->started_at = start;
		}
	}
	if (has_gen) {
		run->has_finished = 1;
		run->finished_at = gen;
	}
}

static int map(json_t *rec, const struct norm_env *env, struct norm_item *it, struct chm_err *err)
{
	struct chm_run *run = &it->run;
	json_t *meta = json_object_get(rec, "metadata");
	json_t *results = json_object_get(rec, "results");
	struct dbt_acc a = { 0 };
	size_t i;
	int has_gen = 0;
	int64_t gen = 0;
	json_t *r;

	if (!json_is_object(meta))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "metadata",
				   "a run_results.json needs a metadata object");
	if (!json_is_array(results))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "results",
				   "a run_results.json needs a results array");
	run->external_run_id = src_str(meta, "invocation_id");
	if (!run->external_run_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "metadata.invocation_id",
				   "a run_results.json needs metadata.invocation_id");
	a.n = json_array_size(results);
	json_array_foreach(results, i, r) {
		const char *st = src_str(r, "status");
		char field[96];
		if (!st)
			continue;
		dbt_result(&a, env, it, st, src_str(r, "message"), src_str(r, "unique_id"));
		json_t *rows_v = chm_json_path(r, "adapter_response.rows_affected");
		if (json_is_integer(rows_v) &&
		    src_rows_add(&a.rows, &a.has_rows, (long long)json_integer_value(rows_v))) {
			snprintf(field, sizeof(field), "results.%zu.adapter_response.rows_affected", i);
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_OUT_OF_RANGE, field,
					   "the results' rows_affected add up past 9223372036854775807");
		}
		json_t *timing = json_object_get(r, "timing");
		json_t *t;
		size_t j;
		json_array_foreach(timing, j, t) {
			int has;
			int64_t at;
			snprintf(field, sizeof(field), "results.%zu.timing.%zu.started_at", i, j);
			if (src_time_value(json_object_get(t, "started_at"), field, 0, &has, &at, it, err))
				return -1;
			if (has)
				dbt_timing_start(&a, at);
		}
	}
	if (src_time(meta, "invocation_started_at", 0, &run->has_started, &run->started_at, it, err) ||
	    src_time(meta, "generated_at", 0, &has_gen, &gen, it, err))
		return -1;
	double elapsed;
	json_t *el = json_object_get(rec, "elapsed_time");
	int has_elapsed = json_is_number(el) && src_number(el, &elapsed) == 0 && elapsed >= 0;
	dbt_finish(&a, env, it, has_gen, gen, has_elapsed, has_elapsed ? elapsed : 0);
	return 0;
}

/* The fast reader: map's rules on the line's jscan tree. */
static int fast(struct src_fast *f, int rec, const struct norm_env *env, struct norm_item *it)
{
	struct dbt_acc a = { 0 };
	struct chm_run *run = &it->run;
	const struct jscan *js = &f->js;
	int meta = jscan_child(js, rec, "metadata"), results = jscan_child(js, rec, "results");
	int has_gen = 0, has, has_elapsed = 0;
	int64_t gen = 0, at;
	double elapsed = 0;
	long long rows;

	if (src_fast_type(f, meta) != '{' || src_fast_type(f, results) != '[' ||
	    src_fast_str(f, jscan_child(js, meta, "invocation_id"), &run->external_run_id) ||
	    !run->external_run_id)
		return -1;
	for (int r = js->nodes[results].first; r >= 0; r = js->nodes[r].next, a.n++) {
		const char *st, *msg, *uid;
		if (src_fast_str(f, jscan_child(js, r, "status"), &st))
			return -1;
		if (!st)
			continue;
		if (src_fast_str(f, jscan_child(js, r, "message"), &msg) ||
		    src_fast_str(f, jscan_child(js, r, "unique_id"), &uid))
			return -1;
		dbt_result(&a, env, it, st, msg, uid);
		if (src_fast_int(f, jscan_path(js, r, "adapter_response.rows_affected"), &rows) &&
		    src_rows_add(&a.rows, &a.has_rows, rows))
			return -1;
		int timing = jscan_child(js, r, "timing");
		if (src_fast_type(f, timing) != '[')
			continue;
		for (int t = js->nodes[timing].first; t >= 0; t = js->nodes[t].next) {
			if (src_fast_time(f, jscan_child(js, t, "started_at"), "started_at", 0, &has, &at, it))
				return -1;
			if (has)
				dbt_timing_start(&a, at);
		}
	}
	if (src_fast_time(f, jscan_child(js, meta, "invocation_started_at"), "invocation_started_at", 0,
		      &run->has_started, &run->started_at, it) ||
	    src_fast_time(f, jscan_child(js, meta, "generated_at"), "generated_at", 0, &has_gen, &gen, it))
		return -1;
	int el = jscan_child(js, rec, "elapsed_time");
	if (src_fast_type(f, el) == 'n') {
		if (src_fast_number(f, el, &elapsed))
			return -1;
		has_elapsed = elapsed >= 0;
	}
	dbt_finish(&a, env, it, has_gen, gen, has_elapsed, has_elapsed ? elapsed : 0);
	return 0;
}

const struct chm_source chm_src_dbt_artifact = {
	.name = "dbt_artifact",
	.platform = "dbt",
	.map = map,
	.fast = fast,
	.fast_depth = 6,
};
