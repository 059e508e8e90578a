/* source: what the normalize driver (normalize.c) and the modules that read
 * one feed format each (src_*.c) share. A module maps ONE partner record to a
 * canonical run; the driver does the rest for every source alike: pages,
 * envelopes, naming the pipeline, redaction, the common rules (never a
 * negative duration, bounded texts) and writing the record. */
#ifndef CHM_SOURCE_H
#define CHM_SOURCE_H

#include <jansson.h>

#include "err.h"
#include "olchildren.h"
#include "run.h"
#include "strbuf.h"

enum norm_kind {
	NORM_RUN,      /* a run event */
	NORM_NO_RUN,   /* an event that changes no status (OpenLineage OTHER): counted */
	NORM_CHILD,    /* a child run (OpenLineage parent facet): counted, skipped */
};

/* Scratch buffers a module may build strings in; reset before each record. */
struct norm_scratch {
	struct strbuf ext, run_id, reason, error, a;
};

/* What a module fills for one record. Strings are borrowed from the record
 * or point into the scratch buffers. */
struct norm_item {
	struct chm_run run;        /* external_run_id, status, times, metrics, texts */
	const char *external_id;   /* the partner's id of the pipeline, or NULL */
	const char *client;        /* a client named by the record itself (cron) */
	const char *pipeline;      /* a pipeline name from the record itself (cron) */
	enum norm_kind kind;
	int zone_assumed;          /* a timestamp had no zone and was read as UTC */
};

struct norm_env {
	const void *cfg;           /* the vendor mapping */
	int include_children;
	struct norm_scratch *s;
	struct chm_ol_children *children;   /* OpenLineage runs known as children */
};

struct chm_source {
	const char *name;          /* the raw record's "source" */
	/* The pipelines.platform its runs resolve to (a feed format is not a
	 * platform: dbt_cloud and dbt_artifact are both dbt); NULL when a feed
	 * serves many platforms: the run then names its pipeline by client +
	 * external_id whatever the platform (chm_norm_source_platform). */
	const char *platform;
	const char *const *page_keys;   /* where a page object holds its records */
	/* Returns 0 (mapped), -1 with err (status 65) to reject the record. */
	int (*map)(json_t *rec, const struct norm_env *env, struct norm_item *it,
		   struct chm_err *err);
};

extern const struct chm_source chm_src_airflow, chm_src_dbt_cloud, chm_src_dbt_artifact,
	chm_src_openlineage, chm_src_vendor, chm_src_cron;

/* ---- helpers the modules share (normalize.c) ---- */

enum {
	SRC_T_EPOCH = 1,      /* numbers are epoch seconds, or milliseconds when > 1e11 */
	SRC_T_EPOCH_S = 2,    /* numbers are epoch seconds */
	SRC_T_EPOCH_MS = 4,   /* numbers are epoch milliseconds */
	SRC_T_NO_ZONE = 8,    /* a string without zone is UTC (item->zone_assumed set) */
};

/* A timestamp field of obj: 0 with *has 0 when absent or null, *has 1 and
 * *usec when valid; -1 with err (bad_timestamp, field) otherwise. */
int src_time(json_t *obj, const char *key, int flags, int *has, int64_t *usec,
	     struct norm_item *it, struct chm_err *err);
int src_time_value(json_t *v, const char *field, int flags, int *has, int64_t *usec,
		   struct norm_item *it, struct chm_err *err);
/* A string or integer id as a string (integers formatted into sb); NULL when
 * v is absent, null, empty or another type. */
const char *src_id(json_t *v, struct strbuf *sb);
/* The string at key, or NULL. */
const char *src_str(json_t *obj, const char *key);
/* A dotted path ("meta.next_cursor"; "" is root itself), or NULL. */
json_t *src_path(json_t *root, const char *path);
/* An unknown source status: status = canon, status_reason = `source status "x"`. */
void src_unknown_status(const struct norm_env *env, struct norm_item *it, const char *canon,
			const char *value);
/* A JSON number (or numeric string) as a double; 0 when it is one. */
int src_number(json_t *v, double *out);
/* The numeric string s as a double (src_number of a string); 0 when it is one. */
int src_number_str(const char *s, double *out);



/* ---- airflow (src_airflow.c), also used by the fast path of normalize.c ---- */
/* The canonical status of a DAG run state, NULL when unknown. An unknown state
 * (a newer Airflow's, or a task state such as up_for_reschedule sent by
 * mistake) is read as running: it claims no outcome, and the run's next
 * terminal state replaces it. */
const char *chm_airflow_status(const char *state);
#define CHM_AIRFLOW_UNKNOWN_STATUS "running"

/* ---- cron (src_cron.c), also used by the fast path of normalize.c ---- */
/* A cron record's fields as plain values (NULL / has_ 0 when absent or of
 * another type); chm_cron_apply applies the event rules. The caller sets
 * run id, external id, times and rows itself. */
struct chm_cron_rec {
	const char *event, *pipeline, *stderr_tail, *reason;
	const char *signal_str;          /* "signal" as a string */
	int has_signal, has_exit;        /* "signal", "exit_status" as integers */
	long long signal, exit_status;
};
int chm_cron_apply(const struct chm_cron_rec *r, const struct norm_env *env, struct norm_item *it,
		   struct chm_err *err);

/* ---- openlineage (src_openlineage.c), also used by the fast path ---- */
/* A RunEvent's fields as plain values (job checked, time parsed). */
struct chm_ol_event {
	const char *ns, *name, *type;
	int has_parent;                  /* run.facets.parent.job is an object */
	const char *parent_ns, *parent_name;
	const char *error_message;       /* run.facets.errorMessage.message */
	int64_t at;
};
int chm_ol_apply(const struct chm_ol_event *ev, const struct norm_env *env, struct norm_item *it);
/* An integer outputs[].outputFacets.outputStatistics.rowCount. */
void chm_ol_add_rows(struct norm_item *it, long long row_count);

/* ---- dbt_artifact (src_dbt_artifact.c), also used by the fast path ---- */
/* What the results of a run_results.json add up to. n is the number of
 * results (of any kind); the others are the accumulator's own. */
struct chm_dbt_acc {
	size_t n, failed, skipped;
	const char *unknown;
	int has_first, has_rows;
	int64_t first_start, rows;
};
/* A result with a string status (its message and unique_id, or NULL). */
void chm_dbt_result(struct chm_dbt_acc *a, const struct norm_env *env, struct norm_item *it,
		    const char *status, const char *message, const char *unique_id);
/* Its integer adapter_response.rows_affected, the started_at of each timing. */
void chm_dbt_rows(struct chm_dbt_acc *a, long long rows_affected);
void chm_dbt_timing_start(struct chm_dbt_acc *a, int64_t at);
/* Status, rows and times, after metadata.invocation_started_at set the start
 * (or not); generated_at and a valid elapsed_time as given. */
void chm_dbt_finish(struct chm_dbt_acc *a, const struct norm_env *env, struct norm_item *it,
		    int has_gen, int64_t gen, int has_elapsed, double elapsed);

/* ---- dbt_cloud (src_dbt_cloud.c), also used by the fast path ---- */
/* The status of a numeric code (code not NULL) or of a status word. */
void chm_dbt_cloud_status(const struct norm_env *env, struct norm_item *it, const long long *code,
			  const char *word);
/* A duration: the string s, or the number *num when s is NULL; 0 with *out. */
int chm_dbt_cloud_duration(const char *s, const double *num, double *out);

/* A timestamp from a value's parts (src_time_value on a value the caller
 * read itself): type 's' with str, 'n' with num, 'z' null / absent, other
 * any other JSON type. */
int src_time_parts(char type, const char *str, double num, const char *field, int flags, int *has,
		   int64_t *usec, struct norm_item *it, struct chm_err *err);

/* ---- vendor mappings (src_vendor.c) ---- */
struct chm_vendor_map;
/* NULL with err (78, naming the file and the key) when unusable. */
struct chm_vendor_map *chm_vendor_map_load(const char *path, struct chm_err *err);
const char *chm_vendor_map_name(const struct chm_vendor_map *m);
/* The array of records of a page object, or NULL when obj is one record. */
json_t *chm_vendor_map_items(const struct chm_vendor_map *m, json_t *obj);
void chm_vendor_map_free(struct chm_vendor_map *m);
/* Where a page keeps its items (NULL: no pages); how many path components
 * the deepest of the mapping's paths has. */
const char *chm_vendor_map_items_path(const struct chm_vendor_map *m);
int chm_vendor_map_depth(const struct chm_vendor_map *m);
/* A value read at a path by a reader of the record (jansson's or the fast
 * path's): type 0 absent, 'z' null, 's' string s, 'i' integer i, 'r' real
 * d, 't' 'f' '{' '['. */
struct chm_val {
	char type;
	const char *s;
	long long i;
	double d;
};
/* 0 with *out; -1 when this reader cannot tell (the fast path gives up). */
typedef int (*chm_val_get)(void *ctx, const char *path, struct chm_val *out);
#define CHM_VAL_BAIL (-2)
/* The mapping's rules on the values get reads: 0 mapped, -1 with err to
 * reject, CHM_VAL_BAIL when get gave up. */
int chm_vendor_map_vals(const struct chm_vendor_map *m, chm_val_get get, void *ctx,
			const struct norm_env *env, struct norm_item *it, struct chm_err *err);
#endif
