/* fetch: reads the run history of one pipeline from a partner API, page by
 * page, and hands each item and each new bookmark to the caller (chm-fetch
 * prints them as `raw` and `state` records; library code never prints).
 *
 * The loop is the same for every source; what differs is the source's pager
 * (pager.h, in its src_X.c). Sources and their pagination:
 *   airflow    GET /api/v1/dags/{dag_id}/dagRuns?order_by=start_date& (or /api/v2)
 *              start_date_gte=..&offset=..&limit=..; offset advances by the rows
 *              received (the server clamps limit silently) until total_entries.
 *   dbt_cloud  GET /api/v2/accounts/{account}/runs/?job_definition_id=..&
 *              order_by=id&offset=..&limit=..; until extra.pagination.total_count.
 *   vendor     a cursor API described by a mapping file (src_vendor.c): where the
 *              items and the next cursor are, and the request parameters. An
 *              absent or empty cursor ends; a cursor seen twice is an error.
 *   Every source stops at max_pages.
 *
 * Bookmarks. The state value is one object for every source and pipeline:
 *   {"bookmarks":{"<source>":{"<client>":{"<external_id>":{...}}}}, ...}
 * and keys this program does not know are kept. A pipeline's bookmark holds the
 * key the next fetch starts from ("since", an RFC 3339 start time, for airflow
 * and vendor; "id" and its "offset" for dbt_cloud), and "skip", the finished
 * runs at exactly that key (so they are not fetched again). The key is the
 * start of the oldest run still running when one was seen (and it started
 * within max_lookback), else the newest start seen: runs still running are
 * fetched again until they finish. While
 * pages arrive in key order the bookmark advances page by page; otherwise only
 * once the last page is read. */
#ifndef CHM_FETCH_H
#define CHM_FETCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/http.h"

struct chm_source;
struct chm_vendor_map;

struct chm_fetch_pipeline {
	char *client;
	char *name;
	char *external_id;
};

struct chm_fetch_opts {
	const struct chm_source *source;   /* one with a pager (source.h) */
	const char *base_url;       /* scheme://host[:port][/prefix], no trailing slash needed */
	const char *account_id;     /* dbt_cloud */
	const struct chm_vendor_map *map; /* a source read by a mapping: vendor */
	int page_size;              /* default 100 */
	int max_pages;              /* per pipeline; default 1000 */
	int airflow_v2;             /* Airflow 3: /api/v2 (same dagRuns paging) */
	int64_t max_lookback;       /* usec; a run running longer stops holding the bookmark (0: none holds it); < 0 = always */
	int has_since;              /* start from since instead of the bookmark */
	int64_t since;              /* microseconds since the epoch */
	int64_t now;                /* usec; the clock for the lookback and fetched_at; 0 = the real one */
	volatile int *interrupted;  /* set by a signal: stop after the current page (status 75) */
	/* A page answered 401 where the token came from a login (it expired
	 * during the run): log in again (0), and the page is asked once more.
	 * NULL: a 401 is an answer. */
	int (*relogin)(void *arg, struct chm_err *err);
	void *relogin_arg;
};

struct chm_pager_ctx;
/* What a source's pager is told of these options (its URLs, its login). */
void chm_fetch_pager_ctx(const struct chm_fetch_opts *o, struct chm_pager_ctx *c);

struct chm_fetch_sink {
	/* Each item, as the `raw` envelope: one line of JSON without its '\n'.
	 * The record is the partner's bytes, whitespace between tokens removed. */
	int (*raw)(const char *line, size_t len, void *arg, struct chm_err *err);
	/* After each page: the complete cumulative state value (borrowed). */
	int (*state)(json_t *value, void *arg, struct chm_err *err);
	/* A warning that does not stop the pipeline (e.g. the page cap). */
	void (*warn)(const char *msg, void *arg);
	void *arg;
};

struct chm_fetch_stats {
	long pages, items, emitted, skipped;
	long refused;   /* items that are not a run: not an object, or no run id */
};

struct chm_fetch;

/* state: the state file's value or NULL; it is copied. */
struct chm_fetch *chm_fetch_new(const struct chm_fetch_opts *opts, struct chm_http *http,
				json_t *state, const struct chm_fetch_sink *sink);
void chm_fetch_free(struct chm_fetch *f);
/* Fetches every page of one pipeline. -1 with err (its message does not name
 * the pipeline unless the error ends the whole run): status 69 when the partner
 * failed (HTTP, bad JSON, cursor loop, page cap on an unordered source), 78
 * for credentials, or whatever the sink returned. */
int chm_fetch_run(struct chm_fetch *f, const struct chm_fetch_pipeline *p,
		  struct chm_fetch_stats *stats, struct chm_err *err);
/* The current state value (borrowed). */
json_t *chm_fetch_state(struct chm_fetch *f);

/* Pipelines to fetch from NDJSON `pipeline` records (fixtures/inventory.ndjson):
 * active, with an external_id the source wants, on the source's platform,
 * and matching client / name when given (NULL = any). Appends to *list (n
 * entries). */
int chm_fetch_pipelines_from_file(const char *path, const struct chm_source *source, const char *client,
				  const char *name, struct chm_fetch_pipeline **list, size_t *n,
				  struct chm_err *err);
void chm_fetch_pipelines_free(struct chm_fetch_pipeline *list, size_t n);


#endif
