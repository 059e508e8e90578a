#include "engines/fetch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/linereader.h"
#include "core/record.h"
#include "core/redact.h"
#include "core/strbuf.h"
#include "engines/fetch_int.h"
#include "sources/pager.h"
#include "sources/source.h"

#define SKIP_MAX 50   /* finished runs remembered at the bookmark's key; more are fetched again */
/* A page is never one jansson tree: a tree costs up to 80 times its text,
 * and 30 MiB of "{}," under the response cap took 2.5 GB. The envelope (the
 * page without its items) and each item are parsed alone, and both are
 * bounded: a real envelope is a few hundred bytes, a real run a few
 * thousand values. */
#define ENVELOPE_MAX (1u << 20)
#define ITEM_VALUES_MAX 200000
#define REFUSED_WARN_MAX 5      /* refused items named one by one, per pipeline */

struct chm_fetch {
	struct chm_fetch_opts o;
	const struct chm_pager *pg;    /* the source's: o.source->pager */
	struct chm_pager_ctx ctx;
	struct chm_http *http;
	struct chm_fetch_sink sink;
	json_t *state;
};

void chm_fetch_pager_ctx(const struct chm_fetch_opts *o, struct chm_pager_ctx *c)
{
	c->base_url = o->base_url;
	c->account_id = o->account_id;
	c->map = o->map;
	c->page_size = o->page_size;
	c->airflow_v2 = o->airflow_v2;
}

struct chm_fetch *chm_fetch_new(const struct chm_fetch_opts *opts, struct chm_http *http,
				json_t *state, const struct chm_fetch_sink *sink)
{
	struct chm_fetch *f = chm_xmalloc(sizeof(*f));
	f->o = *opts;
	if (f->o.page_size <= 0)
		f->o.page_size = 100;
	if (f->o.max_pages <= 0)
		f->o.max_pages = 1000;
	f->http = http;
	f->sink = *sink;
	f->state = json_is_object(state) ? json_deep_copy(state) : json_object();
	f->pg = f->o.source->pager;
	chm_fetch_pager_ctx(&f->o, &f->ctx);
	return f;
}

void chm_fetch_free(struct chm_fetch *f)
{
	if (!f)
		return;
	json_decref(f->state);
	free(f);
}

json_t *chm_fetch_state(struct chm_fetch *f)
{
	return f->state;
}

/* The object at obj[key], created when missing (or not an object). */
static json_t *child(json_t *obj, const char *key)
{
	json_t *c = json_object_get(obj, key);
	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(obj, key, c);
	}
	return c;
}

/* The pipeline's bookmark, or NULL; created (empty) only when create is set. */
static json_t *bookmark_parent(struct chm_fetch *f, const struct chm_fetch_pipeline *p, int create)
{
	if (!create) {
		json_t *b = json_object_get(json_object_get(f->state, "bookmarks"),
					    f->o.source->name);
		return json_object_get(b, p->client);
	}
	json_t *b = child(f->state, "bookmarks");
	b = child(b, f->o.source->name);
	return child(b, p->client);
}

/* ---- what one page of a source looks like ---- */

struct cursor {
	int64_t key;        /* start time (usec) or run id */
	int has;
};

/* Where an item holds its run id; NULL when the mapping names none. */
static const char *id_path(struct chm_fetch *f)
{
	return f->pg->id_path ? f->pg->id_path(&f->ctx) : f->pg->id;
}

/* The run's identity as text, for the skip list. */
static char *item_id(struct chm_fetch *f, json_t *item)
{
	const char *path = id_path(f);
	json_t *v = chm_json_path(item, path);
	char buf[32];
	if (json_is_string(v))
		return chm_xstrdup(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return chm_xstrdup(buf);
	}
	return NULL;
}

/* 0 and *key, or 1 when the item has none (an Airflow run still queued). */
static int item_key(struct chm_fetch *f, json_t *item, int64_t *key)
{
	return f->pg->item_key(&f->ctx, item, key);
}

static int item_finished(struct chm_fetch *f, json_t *item)
{
	return f->pg->item_finished(&f->ctx, item);
}

static int item_mine(struct chm_fetch *f, const struct chm_fetch_pipeline *p, json_t *item)
{
	return !f->pg->item_mine || f->pg->item_mine(&f->ctx, p->external_id, item);
}

/* How far a partner's clock may run ahead of ours. */
#define BOOKMARK_SKEW_US (3600 * INT64_C(1000000))

static int64_t fetch_now(const struct chm_fetch *f)
{
	return f->o.now ? f->o.now : chm_time_now();
}

/* A run that has been "running" for longer than the lookback is not waited
 * for any more: a zombie must not hold the bookmark back for ever. */
static int item_stale(struct chm_fetch *f, json_t *item, int64_t key)
{
	int64_t t = key;
	if (f->o.max_lookback < 0)
		return 0;
	if (f->pg->item_created && f->pg->item_created(item, &t))
		return 0;
	return t < fetch_now(f) - f->o.max_lookback;
}

/* ---- the bookmark being built while pages arrive ---- */

struct progress {
	int has_max, has_unf, ordered, has_last;
	int64_t max, unf, last;
	long max_pos, unf_pos;
	json_t *fin_max, *fin_unf;   /* finished run ids at max and at unf */
};

/* holds: a run still running, recent enough to hold the bookmark back. */
static void progress_see(struct progress *pr, int64_t k, long pos, int finished, int holds, const char *id)
{
	if (pr->has_last && k < pr->last)
		pr->ordered = 0;
	pr->last = k;
	pr->has_last = 1;
	if (!pr->has_max || k > pr->max) {
		pr->has_max = 1;
		pr->max = k;
		pr->max_pos = pos;
		json_array_clear(pr->fin_max);
	}
	if (k == pr->max && finished && id && json_array_size(pr->fin_max) < SKIP_MAX)
		json_array_append_new(pr->fin_max, json_string(id));
	if (holds) {
		if (!pr->has_unf || k < pr->unf) {
			pr->has_unf = 1;
			pr->unf = k;
			pr->unf_pos = pos;
			json_decref(pr->fin_unf);
			pr->fin_unf = k == pr->max ? json_deep_copy(pr->fin_max) : json_array();
		}
	} else if (finished && pr->has_unf && k == pr->unf && id && json_array_size(pr->fin_unf) < SKIP_MAX) {
		json_array_append_new(pr->fin_unf, json_string(id));
	}
}

/* Writes the bookmark the progress so far gives; none when nothing was seen. */
static void progress_store(struct chm_fetch *f, const struct chm_fetch_pipeline *p, struct progress *pr)
{
	char tbuf[CHM_TIME_BUFSZ];
	int64_t key;
	long pos;
	json_t *skip;

	if (pr->has_unf)
		key = pr->unf, pos = pr->unf_pos, skip = pr->fin_unf;
	else if (pr->has_max)
		key = pr->max, pos = pr->max_pos, skip = pr->fin_max;
	else
		return;
	json_t *bm = json_object();
	if (f->pg->key == CHM_KEY_RUN_ID) {
		json_object_set_new(bm, "id", json_integer(key));
		json_object_set_new(bm, "offset", json_integer(pos));
	} else {
		json_object_set_new(bm, "since", json_string(chm_time_format(key, tbuf)));
	}
	json_object_set_new(bm, "skip", json_deep_copy(skip));
	json_object_set_new(bm, "running", json_boolean(pr->has_unf));
	/* the newest run seen, for people reading the file: the key is behind it
	 * while an older run is still running */
	if (pr->has_max)
		json_object_set_new(bm, "latest", f->pg->key == CHM_KEY_RUN_ID
							  ? json_integer(pr->max)
							  : json_string(chm_time_format(pr->max, tbuf)));
	json_object_set_new(bookmark_parent(f, p, 1), p->external_id, bm);
}

static int in_skip(json_t *skip, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(skip, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
			return 1;
	return 0;
}

/* The envelope up to the record, for one page: {"type":"raw",...,"record": */
static void envelope_head(struct chm_fetch *f, const struct chm_fetch_pipeline *p, const char *fetched_at,
			  struct strbuf *head)
{
	json_t *e = json_object();
	json_object_set_new(e, "type", json_string("raw"));
	json_object_set_new(e, "source", json_string(f->o.source->name));
	json_object_set_new(e, "client", json_string(p->client));
	json_object_set_new(e, "pipeline", json_string(p->name));
	json_object_set_new(e, "external_id", json_string(p->external_id));
	json_object_set_new(e, "fetched_at", json_string(fetched_at));
	/* chm-normalize picks the mapping by its name */
	if (f->o.source->mapping_member && f->o.map && chm_vendor_map_name(f->o.map))
		json_object_set_new(e, f->o.source->mapping_member, json_string(chm_vendor_map_name(f->o.map)));
	char *text = json_dumps(e, JSON_COMPACT);
	strbuf_reset(head);
	strbuf_add(head, text, strlen(text) - 1); /* without the closing brace */
	strbuf_adds(head, ",\"record\":");
	free(text);
	json_decref(e);
}

static const char *items_path(struct chm_fetch *f)
{
	return f->pg->items_path ? f->pg->items_path(&f->ctx) : f->pg->items;
}

/* The page's items array, the total when the source says it, and the next cursor. */
static int parse_page(struct chm_fetch *f, json_t *page, const char *url_masked, json_t **items,
		      long *total, const char **next, struct chm_err *err)
{
	*items = chm_json_path(page, items_path(f));
	if (f->pg->page_info) {
		f->pg->page_info(&f->ctx, page, total, next);
	} else {
		json_t *t = f->pg->total ? chm_json_path(page, f->pg->total) : NULL;
		*total = json_is_integer(t) ? (long)json_integer_value(t) : -1;
		*next = NULL;
	}
	if (!json_is_array(*items))
		return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_BAD_PAGE, "", "GET %s: the page has no array of runs where expected",
				   url_masked);
	return 0;
}

/* A byte of the envelope text (chm_json_array_envelope of arr, then the
 * rest of the body) as a byte of the body, for messages. */
static size_t body_pos(const struct chm_json_array *arr, const char *body, size_t pos)
{
	size_t pre = (size_t)(arr->open - arr->doc);
	if (pos <= pre)
		return (size_t)(arr->doc - body) + pos;
	if (pos < pre + 2)
		return (size_t)(arr->open - body) + (pos - pre);
	return (size_t)(arr->close - body) + (pos - pre - 2);
}

/* Every item of a page parsed once, and freed, before any is used: a page
 * with an invalid item is refused whole, as when it was one tree. *n: how
 * many; *first: the first item (for dbt Cloud's step back), or NULL. */
static int check_items(struct chm_json_array *arr, const char *body, const char *field,
		       const char *masked, size_t *n, json_t **first, struct chm_err *err)
{
	const char *es;
	size_t el, nv;
	int r;

	chm_json_array_rewind(arr);
	while ((r = chm_json_array_next(arr, &es, &el, &nv)) > 0) {
		if (nv > ITEM_VALUES_MAX)
			return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_BAD_PAGE, field,
					   "GET %s: item %zu of \"%s\" holds more than %d JSON values; the page is refused",
					   masked, arr->index, field, ITEM_VALUES_MAX);
		json_error_t jerr;
		json_t *v = json_loadb(es, el, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		if (!v)
			return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_BAD_JSON, "", "GET %s: invalid JSON at byte %d: %s",
					   masked, (int)((size_t)(es - body) + (size_t)jerr.position), jerr.text);
		if (arr->index == 1)
			*first = v;
		else
			json_decref(v);
	}
	if (r < 0)
		return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_BAD_JSON, "",
				   "GET %s: invalid JSON at byte %d: ',' or ']' expected in \"%s\"", masked,
				   (int)(arr->p - body), field);
	*n = arr->index;
	chm_json_array_rewind(arr);
	return 0;
}

/* Why an item is refused (not passed on), or NULL: a run is an object with
 * a run id; anything else would only be rejected downstream, one record per
 * item, and 30 MiB of "{}," is 10M of them. */
static const char *item_refused(json_t *item)
{
	if (!json_is_object(item))
		return json_is_array(item) ? "is an array, not an object"
		     : json_is_string(item) ? "is a string, not an object"
		     : json_is_null(item) ? "is null, not an object"
		     : json_is_boolean(item) ? "is a boolean, not an object" : "is a number, not an object";
	return NULL;
}

/* ---- one pipeline, page by page ---- */

/* Where one pipeline's fetch stands: the page in hand and what was seen. */
struct walk {
	const struct chm_fetch_pipeline *p;
	struct chm_fetch_stats *stats;
	struct strbuf url, body, head, line, rawitems, envb;
	size_t *offs;
	struct progress pr;
	struct chm_json_array arr;
	json_t *seen_cursors, *skip, *page, *first, *item;
	char *masked, *cursor;
	long refused;
	char first_refused[600];
	int has_key, done, pages, loop, stepped, ordered_pages;
	int64_t key, bm_id;
	long offset;
	/* the start the pages are asked from, and the total the last page said */
	int has_since;
	int64_t since;
	long prev_total;
	/* Where the last page ended: its last run's id (and key, for pages in
	 * key order). The next page is asked one row early and read from just
	 * past it (seeking), so runs that moved to lower offsets between two
	 * requests are seen even when the total did not change (a run deleted
	 * and one added; a queued run, listed first by MySQL, that started). */
	char *place_id;
	int place_has_key, seeking, seek_before, seek_steps;
	int64_t place_key;
	/* the pass over runs that ended without a start (pager->ended_url) */
	int ended;
	/* the page: its items (streamed: one at a time from arr), their number,
	 * the total the source says and the next cursor */
	int streamed;
	json_t *items;
	size_t n;
	long total;
	const char *next;
};

static void warn(struct chm_fetch *f, const char *msg)
{
	if (f->sink.warn)
		f->sink.warn(msg, f->sink.arg);
}

/* A walk over nothing yet, for pipeline p. */
static void walk_init(const struct chm_fetch_pipeline *p, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	w->p = p;
	w->seen_cursors = json_object();
	w->pr.ordered = 1;
	w->pr.fin_max = json_array();
	w->pr.fin_unf = json_array();
	w->prev_total = -1;
}

/* Where to start: --since, else the bookmark, else the beginning. */
static void walk_start(struct chm_fetch *f, const struct chm_fetch_pipeline *p, struct walk *w)
{
	walk_init(p, w);
	w->ordered_pages = !f->pg->ordered || f->pg->ordered(&f->ctx);
	json_t *bm = json_object_get(bookmark_parent(f, p, 0), p->external_id);
	if (f->o.has_since) {
		w->has_key = 1;
		w->key = f->o.since;
	} else if (json_is_object(bm)) {
		json_t *s = json_object_get(bm, "since");
		json_t *id = json_object_get(bm, "id");
		if (f->pg->key == CHM_KEY_RUN_ID && json_is_integer(id)) {
			w->has_key = 1;
			w->key = w->bm_id = json_integer_value(id);
			json_t *o = json_object_get(bm, "offset");
			w->offset = json_is_integer(o) && json_integer_value(o) > 0 ? (long)json_integer_value(o) : 0;
		} else if (f->pg->key == CHM_KEY_START && json_is_string(s)) {
			struct chm_err e;
			if (chm_time_parse(json_string_value(s), 0, &w->key, NULL, "since", &e) == 0)
				w->has_key = 1;
		}
		if (w->has_key && json_is_array(json_object_get(bm, "skip")))
			w->skip = json_incref(json_object_get(bm, "skip"));
	}
	if (!w->skip)
		w->skip = json_array();
	w->has_since = w->has_key && f->pg->key == CHM_KEY_START;
	w->since = w->key;
}

/* The pass over the runs that ended since `since` without starting. */
static void walk_start_ended(const struct chm_fetch_pipeline *p, int64_t since, struct walk *w)
{
	walk_init(p, w);
	w->skip = json_array();
	w->ended = 1;
	w->has_since = 1;
	w->since = since;
}

static void walk_release(struct walk *w)
{
	json_decref(w->item);
	json_decref(w->first);
	free(w->masked);
	json_decref(w->page);
	json_decref(w->seen_cursors);
	json_decref(w->skip);
	json_decref(w->pr.fin_max);
	json_decref(w->pr.fin_unf);
	free(w->cursor);
	free(w->place_id);
	strbuf_release(&w->envb);
	strbuf_release(&w->url);
	strbuf_release(&w->body);
	strbuf_release(&w->head);
	strbuf_release(&w->line);
	strbuf_release(&w->rawitems);
	free(w->offs);
}

/* The page cap: 1 to stop (offset sources resume from the bookmark), -1
 * with err (a cursor chain that does not end is a partner fault; the
 * bookmark may still have advanced, when the pages are ordered). */
static int page_cap(struct chm_fetch *f, struct walk *w, struct chm_err *err)
{
	if (w->pages < f->o.max_pages)
		return 0;
	if (f->pg->paging == CHM_PAGE_CURSOR)
		return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_PAGE_CAP, "",
				   "stopped at the page cap (%d pages) with a cursor still to follow",
				   f->o.max_pages);
	char msg[512];
	snprintf(msg, sizeof(msg), "%s/%s: stopped at the page cap (%d pages); the next run goes on from the bookmark",
		 w->p->client, w->p->name, f->o.max_pages);
	warn(f, msg);
	return 1;
}

/* The page's envelope, parsed apart from its items; a page whose items
 * the scan does not find (an escaped key) is small or refused. */
static int read_envelope(struct chm_fetch *f, struct walk *w, struct chm_err *err)
{
	json_error_t jerr;
	w->streamed = chm_json_array_find(&w->arr, w->body.buf, w->body.len, items_path(f));
	const char *ptext = w->body.buf;
	size_t plen = w->body.len;
	if (w->streamed) {
		strbuf_reset(&w->envb);
		chm_json_array_envelope(&w->arr, &w->envb);
		strbuf_add(&w->envb, w->arr.doc_end, (size_t)(w->body.buf + w->body.len - w->arr.doc_end));
		ptext = w->envb.buf;
		plen = w->envb.len;
	}
	if (plen > ENVELOPE_MAX)
		return w->streamed ? chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_BAD_PAGE, "",
						 "GET %s: the page holds %zu bytes besides its runs (at most %u); refused",
						 w->masked, plen, ENVELOPE_MAX)
				   : chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_BAD_PAGE, "",
						 "GET %s: the page (%zu bytes) has no array of runs where expected",
						 w->masked, plen);
	w->page = json_loadb(ptext, plen, JSON_REJECT_DUPLICATES, &jerr);
	if (!w->page) {
		size_t pos = w->streamed ? body_pos(&w->arr, w->body.buf, (size_t)jerr.position) : (size_t)jerr.position;
		return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_BAD_JSON, "", "GET %s: invalid JSON at byte %d: %s",
				   w->masked, (int)pos, jerr.text);
	}
	return 0;
}

/* The page's GET. A 401 where the token came from a login logs in again
 * once and asks again: a token may expire during a long run. */
static int get_page(struct chm_fetch *f, struct walk *w, long *status, struct chm_err *err)
{
	if (chm_http_get(f->http, w->url.buf, &w->body, status, err) == 0)
		return 0;
	if (*status != 401 || !f->o.relogin)
		return -1;
	chm_err_clear(err);
	if (f->o.relogin(f->o.relogin_arg, err))
		return -1;
	return chm_http_get(f->http, w->url.buf, &w->body, status, err);
}

/* The next page: requested, its envelope read, every item checked. */
static int read_page(struct chm_fetch *f, struct walk *w, struct chm_err *err)
{
	struct chm_page_at at = { w->has_since, w->since, w->offset, w->cursor };
	long status = 0;
	(w->ended ? f->pg->ended_url : f->pg->url)(&f->ctx, w->p->external_id, &at, &w->url);
	if (get_page(f, w, &status, err)) {
		const char *hint = f->pg->refusal_hint ? f->pg->refusal_hint(&f->ctx, status) : NULL;
		size_t used = strlen(err->msg);
		if (hint && err->status == CHM_EX_UNAVAILABLE)
			snprintf(err->msg + used, sizeof(err->msg) - used, "; %s", hint);
		return -1;
	}
	w->pages++;
	free(w->masked);
	w->masked = chm_redact_url(w->url.buf);
	json_decref(w->page);
	json_decref(w->first);
	w->page = w->first = NULL;
	if (read_envelope(f, w, err) || parse_page(f, w->page, w->masked, &w->items, &w->total, &w->next, err))
		return -1;
	w->n = json_array_size(w->items);
	if (w->streamed && check_items(&w->arr, w->body.buf, items_path(f), w->masked, &w->n, &w->first, err))
		return -1;
	return 0;
}

/* One page earlier, looking for a run (what). --max-pages bounds the
 * steps: a server that answers every offset with an empty page must not
 * cost one request a page of the offset; then from the first run. 1 when
 * it gave up. */
static int page_earlier(struct chm_fetch *f, struct walk *w, int *steps, const char *what)
{
	if (++*steps >= f->o.max_pages) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s/%s: %s was not found stepping back %d pages from offset %ld; "
			 "reading from the first run", w->p->client, w->p->name, what, *steps, w->offset);
		warn(f, msg);
		w->offset = 0;
		return 1;
	}
	w->offset = w->offset > f->o.page_size ? w->offset - f->o.page_size : 0;
	return 0;
}

/* A source that resumes at a stored offset: runs deleted since move later
 * runs to lower offsets, so step back until the bookmark's run is in view.
 * 1 when it stepped (read again). */
static int step_back(struct chm_fetch *f, struct walk *w)
{
	if (f->pg->key != CHM_KEY_RUN_ID || !w->has_key || w->pages != 1 || w->offset <= 0)
		return 0;
	json_t *first_item = w->streamed ? w->first : json_array_get(w->items, 0);
	int64_t first_id = 0;
	if (first_item && f->pg->item_key(&f->ctx, first_item, &first_id))
		first_id = 0;
	if (w->n != 0 && first_id <= w->bm_id)
		return 0;
	page_earlier(f, w, &w->stepped, "the bookmark's run");
	w->pages = 0;
	return 1;
}

/* Runs deleted on the partner between two pages (airflow db clean, a
 * retention job) move the runs after them to lower offsets: the total
 * shrinks by as many, so the page is read again that much earlier. A run
 * read twice is loaded twice, which changes nothing; one never read would
 * be lost past the bookmark. 1 when it stepped back (read again). */
static int shift_back(struct chm_fetch *f, struct walk *w)
{
	long before = w->prev_total;
	if (f->pg->paging != CHM_PAGE_OFFSET || w->total < 0)
		return 0;
	w->prev_total = w->total;
	if (before < 0 || w->total >= before || w->offset <= 0)
		return 0;
	long gone = before - w->total;
	w->offset = w->offset > gone ? w->offset - gone : 0;
	return 1;
}

/* Item i refused: named one by one only for the first few (10M happen). */
static void refuse_item(struct chm_fetch *f, struct walk *w, size_t i, const char *why)
{
	if (++w->refused <= REFUSED_WARN_MAX) {
		char msg[600];
		snprintf(msg, sizeof(msg), "item %zu of \"%s\" on GET %s %s (field \"%s\")", i + 1,
			 items_path(f), w->masked, why,
			 id_path(f) && json_is_object(w->item) ? id_path(f) : items_path(f));
		if (w->refused == 1)
			snprintf(w->first_refused, sizeof(w->first_refused), "%s", msg);
		char line[700];
		snprintf(line, sizeof(line), "%s/%s: %s; refused", w->p->client, w->p->name, msg);
		warn(f, line);
	}
	if (w->stats)
		w->stats->refused++;
}

/* Whether the item with this key and id is one to pass on; the bookmark
 * sees it either way. */
static int item_new(struct chm_fetch *f, struct walk *w, size_t i, const char *id)
{
	int64_t k;
	int haskey = item_key(f, w->item, &k) == 0;
	int finished = item_finished(f, w->item);
	if (w->stats)
		w->stats->items++;
	if (haskey && w->has_key && k < w->key)
		return 0; /* before the bookmark: known */
	/* a start beyond now (plus clock skew) is never a bookmark: one run
	 * dated 9999 would make every later fetch start after everything */
	if (haskey && f->pg->key == CHM_KEY_START && k > fetch_now(f) + BOOKMARK_SKEW_US) {
		char msg[512], when[CHM_TIME_BUFSZ];
		snprintf(msg, sizeof(msg), "%s/%s: run %.128s starts in the future (%s); "
			 "it is passed on but does not move the bookmark",
			 w->p->client, w->p->name, id ? id : "?", chm_time_format(k, when));
		warn(f, msg);
		haskey = 0;
	}
	if (haskey)
		progress_see(&w->pr, k, w->offset + (long)i, finished, !finished && !item_stale(f, w->item, k), id);
	return !(haskey && w->has_key && k == w->key && finished && id && in_skip(w->skip, id));
}

/* In the pass over ended runs, only a run with no start is new: the
 * others come with their start. */
static int item_unstarted(struct chm_fetch *f, struct walk *w)
{
	int64_t k;
	if (w->stats)
		w->stats->items++;
	return item_key(f, w->item, &k) != 0 && item_finished(f, w->item);
}

/* The raw record of item i: the envelope's head, the partner's bytes. */
static int emit_item(struct chm_fetch *f, struct walk *w, size_t i, const char *es, size_t el,
		     int raw_ok, struct chm_err *err)
{
	strbuf_reset(&w->line);
	strbuf_add(&w->line, w->head.buf, w->head.len);
	if (w->streamed && chm_fetch_raw_compact(es, el, &w->rawitems) == 0) {
		strbuf_add(&w->line, w->rawitems.buf, w->rawitems.len);
	} else if (raw_ok) {
		strbuf_add(&w->line, w->rawitems.buf + w->offs[i], w->offs[i + 1] - w->offs[i]);
	} else {
		char *text = json_dumps(w->item, JSON_COMPACT | JSON_ENCODE_ANY);
		strbuf_adds(&w->line, text);
		free(text);
	}
	strbuf_addc(&w->line, '}');
	if (f->sink.raw(w->line.buf, w->line.len, f->sink.arg, err))
		return -1;
	if (w->stats)
		w->stats->emitted++;
	return 0;
}

/* While a page asked one row early is read: 1 to skip the item (read
 * before), 0 once past the place the last page ended at. In pages in key
 * order, a run after the place's key that follows one at or before it is
 * past the place too: the place's own run was deleted meanwhile. */
static int seek_skips(struct chm_fetch *f, struct walk *w, const char *id)
{
	int64_t k;
	if (id && strcmp(id, w->place_id) == 0) {
		w->seeking = 0;
		return 1;
	}
	if (w->ordered_pages && !w->ended && w->place_has_key && item_key(f, w->item, &k) == 0) {
		if (k > w->place_key && w->seek_before) {
			w->seeking = 0;
			return 0;
		}
		if (k <= w->place_key)
			w->seek_before = 1;
	}
	return 1;
}

/* The item read last so far: the next page starts from it. Takes id. */
static void set_place(struct chm_fetch *f, struct walk *w, char *id)
{
	free(w->place_id);
	w->place_id = id;
	w->place_has_key = item_key(f, w->item, &w->place_key) == 0;
}

/* Item i of the page: refused, another pipeline's, known, or passed on. */
static int pass_item(struct chm_fetch *f, struct walk *w, size_t i, const char *es, size_t el,
		     int raw_ok, struct chm_err *err)
{
	const char *why = item_refused(w->item);
	char *id = why ? NULL : item_id(f, w->item);
	if (w->seeking && (why || seek_skips(f, w, id))) {
		free(id);
		return 0;
	}
	int mine = !why && item_mine(f, w->p, w->item);
	if (mine && !id && id_path(f))
		why = "has no run id";
	if (why) {
		refuse_item(f, w, i, why);
		return 0;
	}
	int pass = mine && (w->ended ? item_unstarted(f, w) : item_new(f, w, i, id));
	if (id)
		set_place(f, w, id);
	if (mine && !pass && w->stats)
		w->stats->skipped++;
	return pass ? emit_item(f, w, i, es, el, raw_ok, err) : 0;
}

/* Every item of the page, in order. */
static int pass_items(struct chm_fetch *f, struct walk *w, struct chm_err *err)
{
	char fetched_at[CHM_TIME_BUFSZ];
	int raw_ok = 0;

	chm_time_format(fetch_now(f), fetched_at);
	envelope_head(f, w->p, fetched_at, &w->head);
	if (!w->streamed) {
		w->offs = chm_xrealloc(w->offs, (w->n + 1) * sizeof(*w->offs));
		raw_ok = chm_fetch_raw_items(w->body.buf, w->body.len, items_path(f), &w->rawitems, w->offs, w->n) == 0;
	}
	w->seek_before = 0;
	for (size_t i = 0; i < w->n; i++) {
		const char *es = NULL;
		size_t el = 0;
		json_decref(w->item);
		if (w->streamed) {
			/* check_items parsed each of them already (an item may be a scalar) */
			chm_json_array_next(&w->arr, &es, &el, NULL);
			w->item = json_loadb(es, el, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
		} else {
			w->item = json_incref(json_array_get(w->items, i));
		}
		if (pass_item(f, w, i, es, el, raw_ok, err))
			return -1;
	}
	if (w->stats)
		w->stats->pages++;
	return 0;
}

/* A page asked one row early that does not hold the place the last page
 * ended at, and has only runs after it: runs before the place went, and
 * the later ones moved to lower offsets. Read again a page earlier; at
 * offset 0, read it whole (the place's own run went). 1 when it stepped. */
static int seek_back(struct chm_fetch *f, struct walk *w)
{
	if (!w->seeking || w->seek_before)
		return 0;
	if (w->offset == 0) {
		w->seeking = 0;
		return 1;
	}
	if (page_earlier(f, w, &w->seek_steps, "the run the last page ended with"))
		w->seeking = 0;
	return 1;
}

/* On to the next page: its cursor, or the offset past what came. */
static void advance(struct chm_fetch *f, struct walk *w)
{
	if (f->pg->paging == CHM_PAGE_CURSOR) {
		if (!w->next) {
			w->done = 1;
			return;
		}
		if (json_object_get(w->seen_cursors, w->next)) {
			w->loop = 1;
			w->done = 1;
		}
		json_object_set_new(w->seen_cursors, w->next, json_true());
		free(w->cursor);
		w->cursor = chm_xstrdup(w->next);
		return;
	}
	w->offset += (long)w->n; /* the server may clamp limit: count what came */
	if (w->n == 0 || (w->total >= 0 && w->offset >= w->total)) {
		w->done = 1;
	} else if (w->place_id && !w->seeking && w->n >= 2) {
		/* one row early, to see that the listing did not move */
		w->offset--;
		w->seeking = 1;
	}
}

/* After a page: the bookmark (page by page only while pages come in key
 * order), the state, a signal, a cursor loop. */
static int end_page(struct chm_fetch *f, struct walk *w, struct chm_err *err)
{
	if (!w->ended && ((w->done && !w->loop) || (w->ordered_pages && w->pr.ordered)))
		progress_store(f, w->p, &w->pr);
	if (!w->ended && f->sink.state(f->state, f->sink.arg, err))
		return -1;
	if (f->o.interrupted && *f->o.interrupted)
		return chm_err_set(err, CHM_EX_TEMPFAIL, CHM_E_INTERRUPTED, "",
				   "%s/%s: stopped by a signal after a whole page; the state printed covers it",
				   w->p->client, w->p->name);
	if (w->loop)
		return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_CURSOR_LOOP, "",
				   "the partner returned a cursor it had already given (a loop); stopped");
	return 0;
}

/* Page after page until the last: 0, 1 stopped at the page cap, -1 with err. */
static int walk_pages(struct chm_fetch *f, struct walk *w, struct chm_err *err)
{
	int cap;

	while (!w->done) {
		if ((cap = page_cap(f, w, err)) != 0)
			return cap;
		if (read_page(f, w, err))
			return -1;
		if (step_back(f, w) || shift_back(f, w))
			continue;
		if (pass_items(f, w, err))
			return -1;
		if (seek_back(f, w))
			continue;
		advance(f, w);
		if (end_page(f, w, err))
			return -1;
	}
	return 0;
}

/* The runs that ended since the walk's start without starting, for a
 * pager that lists them apart; their refusals count with the walk's. */
static int walk_ended(struct chm_fetch *f, struct walk *w, int64_t since, struct chm_err *err)
{
	struct walk e;

	walk_start_ended(w->p, since, &e);
	e.stats = w->stats;
	int rc = walk_pages(f, &e, err);
	if (e.refused && !w->refused)
		memcpy(w->first_refused, e.first_refused, sizeof(w->first_refused));
	w->refused += e.refused;
	walk_release(&e);
	return rc < 0 ? -1 : 0;
}

int chm_fetch_run(struct chm_fetch *f, const struct chm_fetch_pipeline *p, struct chm_fetch_stats *stats,
		  struct chm_err *err)
{
	struct walk w;
	int rc = -1;

	walk_start(f, p, &w);
	w.stats = stats;
	/* the start the ended runs are asked from: where this fetch began */
	int from_key = w.has_since;
	int64_t since = w.since;
	if (walk_pages(f, &w, err) < 0)
		goto out;
	/* after the page cap too: the next fetch begins past this one's start */
	if (f->pg->ended_url && from_key && walk_ended(f, &w, since, err))
		goto out;
	if (w.refused) {
		/* the pipeline's other runs went on; the exit status says what did not */
		chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_BAD_ITEM, id_path(f) ? id_path(f) : items_path(f),
			    "%ld item%s refused; the first: %s", w.refused, w.refused == 1 ? "" : "s",
			    w.first_refused);
		goto out;
	}
	rc = 0;
out:
	walk_release(&w);
	return rc;
}

/* ---- pipelines from an inventory file ---- */

void chm_fetch_pipelines_free(struct chm_fetch_pipeline *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].client);
		free(list[i].name);
		free(list[i].external_id);
	}
	free(list);
}

int chm_fetch_pipelines_from_file(const char *path, const struct chm_source *source, const char *client,
				  const char *name, struct chm_fetch_pipeline **list, size_t *n,
				  struct chm_err *err)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct line_reader lr;
	const char *line;
	size_t len;
	int got, rc = 0;

	if (!fp)
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "", "cannot open %s: %m", path);
	line_reader_init(&lr, fp, path, 0);
	while ((got = line_reader_next(&lr, &line, &len, err)) > 0) {
		const char *type, *c, *nm, *plat, *ext;
		int active = 1;
		if (len == 0)
			continue;
		json_t *rec = chm_record_parse(line, len, &type, err);
		if (!rec) {
			char m[2200];
			snprintf(m, sizeof(m), "%s:%ld: %s", path, lr.lineno, err->msg);
			chm_err_set(err, CHM_EX_CONFIG, err->kind, err->field, "%s", m);
			rc = -1;
			break;
		}
		if (!type || strcmp(type, "pipeline") != 0) {
			json_decref(rec);
			continue;
		}
		if (chm_get_string(rec, "client", &c, err) || chm_get_string(rec, "name", &nm, err) ||
		    chm_get_string(rec, "platform", &plat, err) || chm_get_string(rec, "external_id", &ext, err) < 0 ||
		    chm_get_bool(rec, "is_active", &active, err) < 0) {
			char m[2200];
			snprintf(m, sizeof(m), "%s:%ld: %s", path, lr.lineno,
				 err->msg[0] ? err->msg : "a pipeline needs client, name and platform");
			chm_err_set(err, CHM_EX_CONFIG, err->kind != CHM_E_NONE ? err->kind : CHM_E_MISSING_FIELD, err->field, "%s", m);
			json_decref(rec);
			rc = -1;
			break;
		}
		json_t *e = json_object_get(rec, "external_id");
		if (active && json_is_string(e) && source->platform && strcmp(plat, source->platform) == 0 &&
		    (!source->pager->wants || source->pager->wants(json_string_value(e))) &&
		    (!client || strcmp(client, c) == 0) && (!name || strcmp(name, nm) == 0)) {
			*list = chm_xrealloc(*list, (*n + 1) * sizeof(**list));
			(*list)[*n].client = chm_xstrdup(c);
			(*list)[*n].name = chm_xstrdup(nm);
			(*list)[*n].external_id = chm_xstrdup(json_string_value(e));
			(*n)++;
		}
		json_decref(rec);
	}
	if (got < 0)
		rc = -1;
	line_reader_release(&lr);
	if (fp != stdin)
		fclose(fp);
	return rc;
}
