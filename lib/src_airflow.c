/* airflow: DAG runs of the stable REST API, v1 (Airflow 2) and v2 (Airflow 3).
 * Both name the run dag_run_id and the DAG dag_id; times are start_date and
 * end_date, RFC 3339 with +00:00 or Z. A page is {"dag_runs":[...]}. */
#include <string.h>

#include "source.h"

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
	if (!(it->run.status = airflow_status(state))) {
			src_unknown_status(env, it, AIRFLOW_UNKNOWN_STATUS, state);
	}
	return src_fast_time(f, jscan_child(&f->js, rec, "start_date"), "start_date", 0,
			 &it->run.has_started, &it->run.started_at, it) ||
	       src_fast_time(f, jscan_child(&f->js, rec, "end_date"), "end_date", 0,
			 &it->run.has_finished, &it->run.finished_at, it);
}

static const char *const page_keys[] = { "dag_runs", NULL };

const struct chm_source chm_src_airflow = { "airflow", "airflow", page_keys, map, fast, 2, NULL, NULL };
