/* source: the contract between the normalize driver (normalize.c) and the
 * modules that read one feed format each (src_*.c). A module holds
 * everything about its format: its field map, its statuses, its fast reader
 * and its fetch pager when it has an API; it maps ONE partner record to a
 * canonical run. The driver does the rest for every source alike: pages,
 * envelopes, naming the pipeline, redaction, the common rules (never a
 * negative duration, bounded texts) and writing the record. The helpers the
 * modules share are source.c's; a module includes nothing of the driver.
 * Adding a source: README.md, "Adding a source". */
#ifndef CHM_SOURCE_H
#define CHM_SOURCE_H

#include <jansson.h>

#include "core/err.h"
#include "core/jscan.h"
#include "core/run.h"
#include "core/strbuf.h"
#include "sources/olchildren.h"

struct chm_pager;

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

/* The fast reader's scratch: the tree of a line (jscan: spans, no jansson
 * tree) and the C strings read from it, their escapes undone, in one arena
 * per line. */
#define SRC_FAST_NODES 1024
#define SRC_FAST_ARENA (64u << 10)
struct src_fast {
	struct jscan js;
	struct jnode nodes[SRC_FAST_NODES];
	char arena[SRC_FAST_ARENA];
	size_t used;
};

struct chm_source {
	const char *name;          /* the raw record's "source" */
	/* The pipelines.platform its runs resolve to (a feed format is not a
	 * platform: dbt_cloud and dbt_artifact are both dbt); NULL when a feed
	 * serves many platforms: the run then names its pipeline by client +
	 * external_id whatever the platform (chm_norm_source_platform). */
	const char *platform;
	const char *const *page_keys;   /* where a page object holds its records */
	int names_client;          /* a record names its own client (cron's "client/name") */
	/* Returns 0 (mapped), -1 with err (status 65) to reject the record. */
	int (*map)(json_t *rec, const struct norm_env *env, struct norm_item *it,
		   struct chm_err *err);
	/* The fast reader, or NULL: maps the record at node rec of f's tree by
	 * the same rules as map. 0 mapped; -1 leaves the line to map (the
	 * general path, which also words the rejects). */
	int (*fast)(struct src_fast *f, int rec, const struct norm_env *env, struct norm_item *it);
	/* How deep the fast reader's lookups go (the line's object is depth 0,
	 * "record" 1): jscan keeps nodes down to it. */
	int fast_depth;
	/* The envelope member that names the mapping this source reads by
	 * (vendor's "mapping"), or NULL when it needs none. The driver finds
	 * the mapping and hands it over as env->cfg. */
	const char *mapping_member;
	/* The dotted path of a page's items when page_keys do not say (a
	 * mapping does: env->cfg), or NULL when the source has no pages. */
	const char *(*page_path)(const struct norm_env *env);
	/* How chm-fetch pages through the source's API (pager.h), or NULL
	 * when it has none. */
	const struct chm_pager *pager;
};

/* Every source, NULL-terminated (sources.c): adding a source is one entry. */
extern const struct chm_source *const chm_sources[];
/* The source of that name ("airflow"), or NULL. */
const struct chm_source *chm_source_find(const char *name);
/* "airflow, dbt_cloud, ...": for messages that list them; with_pager: only
 * the sources chm-fetch can page through. */
const char *chm_source_names(int with_pager);

/* ---- helpers the modules share (source.c) ---- */

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
/* An unknown source status: status = canon, status_reason = `source status "x"`. */
void src_unknown_status(const struct norm_env *env, struct norm_item *it, const char *canon,
			const char *value);
/* Adds a row count to *sum when it is not negative (*has set). -1 when the
 * sum passes the largest bigint: refused as no warehouse's count, never
 * wrapped (signed overflow is undefined). */
int src_rows_add(int64_t *sum, int *has, long long n);
/* A JSON number (or numeric string) as a double; 0 when it is one. */
int src_number(json_t *v, double *out);
/* The numeric string s as a double (src_number of a string); 0 when it is one. */
int src_number_str(const char *s, double *out);

/* The fast reader over f's tree (source.c); k is a node, -1 when absent.
 * Each answers as its jansson twin above would on the same value. */
char src_fast_type(const struct src_fast *f, int k);    /* jspan type, 0 absent */
/* The string at k as a C string in *out (NULL when absent or not a string,
 * as src_str); -1 when it does not fit the arena. */
int src_fast_str(struct src_fast *f, int k, const char **out);
/* 1 with *out when k is an integer (json_is_integer). */
int src_fast_int(const struct src_fast *f, int k, long long *out);
/* src_id on k; -1 when it does not fit. */
int src_fast_id(struct src_fast *f, int k, const char **out);
/* The number at k; -1 when it is not one. */
int src_fast_number(const struct src_fast *f, int k, double *out);
/* src_time_value on k; -1 for what the general path would reject. */
int src_fast_time(struct src_fast *f, int k, const char *field, int flags, int *has,
		  int64_t *usec, struct norm_item *it);
/* A chm_val_get over f's tree, ctx a struct src_fast_rec. */
struct src_fast_rec {
	struct src_fast *f;
	int rec;
};
int src_fast_get(void *ctx, const char *path, struct chm_val *out);



/* A timestamp from a value's parts (src_time_value on a value the caller
 * read itself): type 's' with str, 'n' with num, 'z' null / absent, other
 * any other JSON type. */
int src_time_parts(char type, const char *str, double num, const char *field, int flags, int *has,
		   int64_t *usec, struct norm_item *it, struct chm_err *err);

/* ---- vendor mappings (src_vendor.c) ---- */
struct chm_vendor_map;
/* What a mapping is loaded for: mapping runs (chm-normalize: names,
 * fields.run_id and fields.status, statuses are required) or paging
 * (chm-fetch: the request and the paths it reads are enough). */
enum { CHM_MAP_RUNS, CHM_MAP_FETCH };
/* NULL with err (78, naming the file and the key) when unusable. */
struct chm_vendor_map *chm_vendor_map_load(const char *path, int use, struct chm_err *err);
const char *chm_vendor_map_name(const struct chm_vendor_map *m);
void chm_vendor_map_free(struct chm_vendor_map *m);
#endif
