/* cron: records written by the cron wrapper (`chm exec`), one at the start of
 * a job and one at its end, under the same run_id. The format is ours; it is
 * defined in README.md ("The cron record"). */
#include <stdio.h>
#include <string.h>

#include "sources/source.h"

/* A cron record's fields as plain values (NULL / has_ 0 when absent or of
 * another type); cron_apply applies the event rules. The caller sets
 * run id, external id, times and rows itself. */
struct cron_rec {
	const char *event, *pipeline, *stderr_tail, *reason;
	const char *signal_str;          /* "signal" as a string */
	int has_signal, has_exit;        /* "signal", "exit_status" as integers */
	long long signal, exit_status;
};
static int cron_apply(const struct cron_rec *r, const struct norm_env *env, struct norm_item *it,
		   struct chm_err *err);

/* An unknown event is read as running, like an unknown status of any source:
 * it claims no outcome and the job's end record replaces it. */
#define UNKNOWN_STATUS "running"

/* The rules, from the record's fields read by map() or by fast() below. */
static int cron_apply(const struct cron_rec *r, const struct norm_env *env, struct norm_item *it,
		   struct chm_err *err)
{
	struct chm_run *run = &it->run;
	const char *event = r->event;
	struct strbuf *reason = &env->s->reason;

	/* "client/name" names the pipeline when the envelope does not */
	const char *p = r->pipeline;
	if (p) {
		const char *slash = strchr(p, '/');
		if (slash && slash > p && slash[1]) {
			strbuf_reset(&env->s->a);
			strbuf_add(&env->s->a, p, (size_t)(slash - p));
			it->client = env->s->a.buf;
			it->pipeline = slash + 1;
		} else if (!slash) {
			it->pipeline = p;
		}
	}
	const char *tail = r->stderr_tail;
	if (tail && !*tail)
		tail = NULL;

	if (strcmp(event, "start") == 0) {
		run->status = "running";
	} else if (strcmp(event, "skip") == 0) {
		run->status = "skipped";
		run->status_reason = r->reason;
	} else if (strcmp(event, "cancel") == 0) {
		run->status = "canceled";
		run->status_reason = r->reason;
	} else if (strcmp(event, "end") == 0) {
		strbuf_reset(reason);
		if (r->signal_str || r->has_signal) {
			if (r->signal_str)
				strbuf_addf(reason, "killed by signal %.32s", r->signal_str);
			else
				strbuf_addf(reason, "killed by signal %lld", r->signal);
			run->status = "failed";
			run->status_reason = reason->buf;
			run->error_message = tail ? tail : reason->buf;
		} else if (r->has_exit) {
			if (r->exit_status == 0) {
				run->status = "success";
			} else {
				strbuf_addf(reason, "exit status %lld", r->exit_status);
				run->status = "failed";
				run->status_reason = reason->buf;
				run->error_message = tail ? tail : reason->buf;
			}
		} else {
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "exit_status",
					   "a cron end record needs an integer exit_status or a signal");
		}
	} else {
		src_unknown_status(env, it, UNKNOWN_STATUS, event);
	}
	return 0;
}

static int map(json_t *rec, const struct norm_env *env, struct norm_item *it, struct chm_err *err)
{
	struct chm_run *run = &it->run;
	struct cron_rec r = { 0 };

	r.event = src_str(rec, "event");
	run->external_run_id = src_id(json_object_get(rec, "run_id"), &env->s->run_id);
	if (!run->external_run_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "run_id",
				   "a cron record needs a run_id");
	if (!r.event)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "event",
				   "a cron record needs an event: start, end, skip or cancel");
	r.pipeline = src_str(rec, "pipeline");
	it->external_id = src_id(json_object_get(rec, "external_id"), &env->s->ext);
	if (src_time(rec, "started_at", SRC_T_EPOCH, &run->has_started, &run->started_at, it, err) ||
	    src_time(rec, "finished_at", SRC_T_EPOCH, &run->has_finished, &run->finished_at, it, err))
		return -1;
	json_t *rows = json_object_get(rec, "rows_processed");
	if (json_is_integer(rows)) {
		run->has_rows = 1;
		run->rows_processed = json_integer_value(rows);
	}
	r.stderr_tail = src_str(rec, "stderr_tail");
	r.reason = src_str(rec, "reason");
	json_t *sig = json_object_get(rec, "signal");
	json_t *ex = json_object_get(rec, "exit_status");
	r.signal_str = src_str(rec, "signal");
	if ((r.has_signal = json_is_integer(sig)))
		r.signal = (long long)json_integer_value(sig);
	if ((r.has_exit = json_is_integer(ex)))
		r.exit_status = (long long)json_integer_value(ex);
	return cron_apply(&r, env, it, err);
}

/* The fast reader: map's rules on the line's jscan tree. */
static int fast(struct src_fast *f, int rec, const struct norm_env *env, struct norm_item *it)
{
	struct cron_rec r = { 0 };
	struct chm_run *run = &it->run;
	struct chm_err err;
	const struct jscan *js = &f->js;
	long long rows;

	if (src_fast_id(f, jscan_child(js, rec, "run_id"), &run->external_run_id) ||
	    !run->external_run_id || src_fast_str(f, jscan_child(js, rec, "event"), &r.event) ||
	    !r.event || src_fast_str(f, jscan_child(js, rec, "pipeline"), &r.pipeline) ||
	    src_fast_id(f, jscan_child(js, rec, "external_id"), &it->external_id) ||
	    src_fast_time(f, jscan_child(js, rec, "started_at"), "started_at", SRC_T_EPOCH,
		      &run->has_started, &run->started_at, it) ||
	    src_fast_time(f, jscan_child(js, rec, "finished_at"), "finished_at", SRC_T_EPOCH,
		      &run->has_finished, &run->finished_at, it) ||
	    src_fast_str(f, jscan_child(js, rec, "stderr_tail"), &r.stderr_tail) ||
	    src_fast_str(f, jscan_child(js, rec, "reason"), &r.reason) ||
	    src_fast_str(f, jscan_child(js, rec, "signal"), &r.signal_str))
		return -1;
	if (src_fast_int(f, jscan_child(js, rec, "rows_processed"), &rows)) {
		run->has_rows = 1;
		run->rows_processed = rows;
	}
	r.has_signal = src_fast_int(f, jscan_child(js, rec, "signal"), &r.signal);
	r.has_exit = src_fast_int(f, jscan_child(js, rec, "exit_status"), &r.exit_status);
	return cron_apply(&r, env, it, &err);
}

const struct chm_source chm_src_cron = {
	.name = "cron",
	.platform = "cron",
	.names_client = 1,
	.map = map,
	.fast = fast,
	.fast_depth = 2,
};
