/* openlineage: RunEvents of the OpenLineage spec (2-0-x). run.runId is the
 * run, job namespace + "/" + name the pipeline's external_id. The spec's
 * static events (DatasetEvent, JobEvent) describe a dataset or a job, not a
 * run: they are valid input that makes no run, counted like OTHER. An event whose
 * parent facet names another job is a child run (a task of a DAG, a model
 * of a dbt invocation): not a pipeline run unless --include-children. The
 * events of a run are cumulative: a run once seen as a child stays one
 * (olchildren.h). */
#include <string.h>

#include "core/record.h"
#include "sources/source.h"

/* A RunEvent's fields as plain values (job checked, time parsed). */
struct ol_event {
	const char *ns, *name, *type;
	int has_parent;                  /* run.facets.parent.job is an object */
	const char *parent_ns, *parent_name;
	const char *error_message;       /* run.facets.errorMessage.message */
	int64_t at;
};
static int ol_apply(const struct ol_event *ev, const struct norm_env *env, struct norm_item *it);

static const struct {
	const char *type, *status;
	int terminal;
} types[] = {
	{ "START", "running", 0 },
	{ "RUNNING", "running", 0 },
	{ "COMPLETE", "success", 1 },
	{ "FAIL", "failed", 1 },
	{ "ABORT", "canceled", 1 },
	{ NULL, NULL, 0 },
};

/* A DatasetEvent or JobEvent: its schemaURL names the definition (Marquez
 * and the clients go by it too); without one, a dataset with no job and no
 * run. An event whose schemaURL says RunEvent, or none, must be a run's. */
static int is_static_event(const char *schema_url, int has_run, int has_job, int has_dataset)
{
	const char *def = schema_url ? strrchr(schema_url, '/') : NULL;
	if (def && (strcmp(def, "/DatasetEvent") == 0 || strcmp(def, "/JobEvent") == 0))
		return 1;
	return !schema_url && has_dataset && !has_job && !has_run;
}

static int is_child(const struct ol_event *ev)
{
	if (!ev->has_parent)
		return 0;
	const char *pns = ev->parent_ns, *pname = ev->parent_name;
	/* a parent that is the job itself is no parent (Marquez's test events) */
	return !(pns && pname && strcmp(pns, ev->ns) == 0 && strcmp(pname, ev->name) == 0);
}

/* The rules, from the event's fields read by map() or by fast() below. */
static int ol_apply(const struct ol_event *ev, const struct norm_env *env, struct norm_item *it)
{
	struct chm_run *run = &it->run;
	const char *type = ev->type;
	int terminal = 0;

	/* OTHER, no eventType, or one the spec does not define: changes no status */
	for (int i = 0; type && types[i].type; i++)
		if (strcmp(types[i].type, type) == 0) {
			run->status = types[i].status;
			terminal = types[i].terminal;
		}
	if (!run->status) {
		it->kind = NORM_NO_RUN;
		return 0;
	}
	/* a run seen once with a parent facet stays a child: a COMPLETE need
	 * not repeat the facets its START sent */
	int child = is_child(ev);
	if (env->children && run->external_run_id && (child || !ev->has_parent)) {
		/* the run of this job: a runId is unique, but a producer's test
		 * events may reuse one across jobs */
		struct strbuf *key = &env->s->a;
		strbuf_reset(key);
		strbuf_addf(key, "%zu:%s%zu:%s", strlen(ev->ns), ev->ns, strlen(ev->name), ev->name);
		strbuf_adds(key, run->external_run_id);
		if (child)
			chm_ol_children_add(env->children, key->buf);
		else
			child = chm_ol_children_has(env->children, key->buf);
	}
	if (!env->include_children && child) {
		it->kind = NORM_CHILD;
		return 0;
	}
	strbuf_reset(&env->s->ext);
	strbuf_adds(&env->s->ext, ev->ns);
	strbuf_addc(&env->s->ext, '/');
	strbuf_adds(&env->s->ext, ev->name);
	it->external_id = env->s->ext.buf;
	if (terminal) {
		run->has_finished = 1;
		run->finished_at = ev->at;
	} else if (strcmp(type, "START") == 0) {
		run->has_started = 1;
		run->started_at = ev->at;
	}
	if (ev->error_message && *ev->error_message)
		run->error_message = ev->error_message;
	return 0;
}

static int map(json_t *rec, const struct norm_env *env, struct norm_item *it, struct chm_err *err)
{
	struct chm_run *run = &it->run;
	json_t *job = json_object_get(rec, "job");
	struct ol_event ev = { 0 };
	int has;

	if (is_static_event(src_str(rec, "schemaURL"), json_object_get(rec, "run") != NULL, job != NULL,
			    json_is_object(json_object_get(rec, "dataset")))) {
		/* the spec requires its eventTime too: a bad one is bad input */
		if (src_time(rec, "eventTime", SRC_T_NO_ZONE, &has, &ev.at, it, err))
			return -1;
		if (!has)
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "eventTime",
					   "an OpenLineage event needs eventTime");
		it->kind = NORM_NO_RUN;
		return 0;
	}
	if (!json_is_object(job) || !src_str(job, "namespace") || !src_str(job, "name"))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "job",
				   "an OpenLineage RunEvent needs job.namespace and job.name");
	const char *ns = src_str(job, "namespace"), *name = src_str(job, "name");
	run->external_run_id = src_id(chm_json_path(rec, "run.runId"), &env->s->run_id);
	if (!run->external_run_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "run.runId",
				   "an OpenLineage RunEvent needs run.runId");
	/* the time is checked even for events that make no run: a bad one is bad input */
	if (src_time(rec, "eventTime", SRC_T_NO_ZONE, &has, &ev.at, it, err))
		return -1;
	if (!has)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "eventTime",
				   "an OpenLineage RunEvent needs eventTime");
	ev.ns = ns;
	ev.name = name;
	ev.type = src_str(rec, "eventType");
	json_t *pj = chm_json_path(rec, "run.facets.parent.job");
	if ((ev.has_parent = json_is_object(pj))) {
		ev.parent_ns = src_str(pj, "namespace");
		ev.parent_name = src_str(pj, "name");
	}
	ev.error_message = src_str(chm_json_path(rec, "run.facets.errorMessage"), "message");
	json_t *outs = json_object_get(rec, "outputs"), *o;
	size_t i;
	/* rows: what the outputs say they wrote */
	json_array_foreach(outs, i, o) {
		json_t *rc = chm_json_path(o, "outputFacets.outputStatistics.rowCount");
		if (json_is_integer(rc) &&
		    src_rows_add(&run->rows_processed, &run->has_rows, (long long)json_integer_value(rc))) {
			char field[80];
			snprintf(field, sizeof(field), "outputs.%zu.outputFacets.outputStatistics.rowCount", i);
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_OUT_OF_RANGE, field,
					   "the outputs' rowCounts add up past 9223372036854775807");
		}
	}
	return ol_apply(&ev, env, it);
}

/* The fast reader: map's rules on the line's jscan tree. */
static int fast(struct src_fast *f, int rec, const struct norm_env *env, struct norm_item *it)
{
	struct ol_event ev = { 0 };
	const struct jscan *js = &f->js;
	int job = jscan_child(js, rec, "job"), has;
	long long rows;
	const char *schema_url;

	/* static events are rare: the general path reads them */
	if (src_fast_str(f, jscan_child(js, rec, "schemaURL"), &schema_url) ||
	    is_static_event(schema_url, jscan_child(js, rec, "run") >= 0, job >= 0,
			    src_fast_type(f, jscan_child(js, rec, "dataset")) == '{'))
		return -1;
	if (src_fast_type(f, job) != '{' || src_fast_str(f, jscan_child(js, job, "namespace"), &ev.ns) ||
	    !ev.ns || src_fast_str(f, jscan_child(js, job, "name"), &ev.name) || !ev.name ||
	    src_fast_id(f, jscan_path(js, rec, "run.runId"), &it->run.external_run_id) ||
	    !it->run.external_run_id ||
	    src_fast_time(f, jscan_child(js, rec, "eventTime"), "eventTime", SRC_T_NO_ZONE, &has, &ev.at,
		      it) ||
	    !has || src_fast_str(f, jscan_child(js, rec, "eventType"), &ev.type))
		return -1;
	int pj = jscan_path(js, rec, "run.facets.parent.job");
	if ((ev.has_parent = src_fast_type(f, pj) == '{') &&
	    (src_fast_str(f, jscan_child(js, pj, "namespace"), &ev.parent_ns) ||
	     src_fast_str(f, jscan_child(js, pj, "name"), &ev.parent_name)))
		return -1;
	if (src_fast_str(f, jscan_path(js, rec, "run.facets.errorMessage.message"), &ev.error_message))
		return -1;
	int outs = jscan_child(js, rec, "outputs");
	if (src_fast_type(f, outs) == '[')
		for (int o = js->nodes[outs].first; o >= 0; o = js->nodes[o].next)
			if (src_fast_int(f, jscan_path(js, o, "outputFacets.outputStatistics.rowCount"), &rows) &&
			    src_rows_add(&it->run.rows_processed, &it->run.has_rows, rows))
				return -1;
	return ol_apply(&ev, env, it);
}

static const char *const page_keys[] = { "events", NULL };

/* Events come from Airflow, dbt, Spark, ...: no one platform. A run names its
 * pipeline by client + external_id, whatever the pipeline's platform. */
const struct chm_source chm_src_openlineage = {
	.name = "openlineage",
	.platform = NULL,
	.page_keys = page_keys,
	.map = map,
	.fast = fast,
	.fast_depth = 6,
};
