/* pager: the contract between the fetch engine (fetch.c) and a source with
 * an API (its src_X.c). The engine owns the loop every source shares: the
 * request, the page read as its envelope plus one item at a time, the
 * bookmark, the skip list, the page cap, the state after each page. The
 * pager knows its API: the URL of a page, where a page keeps its items, its
 * total and its next cursor, and what an item's id, key and finish are. */
#ifndef CHM_PAGER_H
#define CHM_PAGER_H

#include <jansson.h>
#include <stdint.h>

struct strbuf;
struct chm_vendor_map;

/* What a request is built from: the flags and the source's mapping. */
struct chm_pager_ctx {
	const char *base_url;       /* scheme://host[:port][/prefix] */
	const char *account_id;     /* dbt Cloud's account */
	const struct chm_vendor_map *map;   /* the vendor mapping, or NULL */
	int page_size;
	int airflow_v2;             /* Airflow 3: /api/v2 */
};

/* Where the next page starts. */
struct chm_page_at {
	int has_since;              /* a start time to begin at (since) */
	int64_t since;              /* usec */
	long offset;                /* offset-paged APIs */
	const char *cursor;         /* cursor-paged APIs: the page's cursor, or NULL */
};

enum chm_pager_paging {
	CHM_PAGE_OFFSET,   /* offset advances by the items received until the total */
	CHM_PAGE_CURSOR,   /* a cursor from each page until there is none; a cursor seen twice is a loop */
};

enum chm_pager_key {
	CHM_KEY_START,     /* the bookmark is a start time: "since" */
	CHM_KEY_RUN_ID,    /* the bookmark is an increasing integer run id and its offset: "id", "offset" */
};

struct chm_pager {
	enum chm_pager_paging paging;
	enum chm_pager_key key;
	/* A pipeline this API can fetch: NULL, or 0 for an external_id it
	 * cannot name (dbt Cloud's jobs are integers; others are dbt-core). */
	int (*wants)(const char *external_id);
	/* The URL of the page at `at` for the pipeline's external_id. */
	void (*url)(const struct chm_pager_ctx *c, const char *external_id,
		    const struct chm_page_at *at, struct strbuf *url);
	/* Fixed paths, for an API that always answers alike: the items array in
	 * a page ("" the page itself), the total in the envelope, the run id in
	 * an item. */
	const char *items, *total, *id;
	/* Or read from the context (a mapping): the same three, and the next
	 * cursor. NULL: the fixed paths above, and no cursor. */
	const char *(*items_path)(const struct chm_pager_ctx *c);
	void (*page_info)(const struct chm_pager_ctx *c, json_t *page, long *total,
			  const char **next);
	const char *(*id_path)(const struct chm_pager_ctx *c);
	/* 0 and *key (usec or run id), or 1 when the item has none yet. */
	int (*item_key)(const struct chm_pager_ctx *c, json_t *item, int64_t *key);
	/* 1 when the run is over. */
	int (*item_finished)(const struct chm_pager_ctx *c, json_t *item);
	/* 1 when the item is the pipeline's (an API listing every pipeline's
	 * runs at one path); NULL: always. */
	int (*item_mine)(const struct chm_pager_ctx *c, const char *external_id, json_t *item);
	/* When the run came to be, for the lookback, when its key is not a
	 * time: 0 and *usec, or 1; NULL: the key is the time. */
	int (*item_created)(json_t *item, int64_t *usec);
	/* 1 when the pages come in key order, so the bookmark may advance page
	 * by page; NULL: always. */
	int (*ordered)(const struct chm_pager_ctx *c);
	/* The URL of a page of the runs that ended at or after at->since, for an
	 * API whose start filter never lists a run that ended without starting
	 * (Airflow: a queued run marked failed keeps start_date null); NULL:
	 * none. Only such runs are taken from these pages. */
	void (*ended_url)(const struct chm_pager_ctx *c, const char *external_id,
			  const struct chm_page_at *at, struct strbuf *url);
	/* For --auth login: the request that trades a user and a password for
	 * a bearer token, the answer's "access_token" (Airflow 3's auth
	 * managers: POST /auth/token, a JWT that expires); NULL: the API takes
	 * its token as it is. *body is the caller's. */
	void (*login)(const struct chm_pager_ctx *c, const char *user, const char *password,
		      struct strbuf *url, json_t **body);
	/* What a person may do about a page refused with this HTTP status
	 * (Airflow 3 has no /api/v1); NULL: nothing to add. */
	const char *(*refusal_hint)(const struct chm_pager_ctx *c, long http_status);
};

/* A time in an item: an RFC 3339 string (no zone read as UTC) or epoch
 * seconds or milliseconds; 0 and *usec, or 1. */
int chm_pager_time(json_t *v, int64_t *usec);
/* name=value appended to url's query, both URL-encoded. */
void chm_pager_add_param(struct strbuf *url, const char *name, const char *value);
/* limit=page_size&offset=offset, as offset-paged APIs take them. */
void chm_pager_add_limit_offset(struct strbuf *url, int page_size, long offset);
/* The base URL without trailing slashes; *has_root (when not NULL) tells
 * whether it already ends with the API root given ("/api/v1"), which is
 * then not added again: a base URL may be given either way. */
void chm_pager_add_base(struct strbuf *url, const char *base, const char *root, int *has_root);

#endif
