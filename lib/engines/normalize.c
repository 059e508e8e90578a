#include "engines/normalize.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/cli.h"
#include "core/enums.h"
#include "core/jscan.h"
#include "core/linereader.h"
#include "core/record.h"
#include "core/redact.h"
#include "core/run.h"
#include "core/strbuf.h"
#include "sources/source.h"

#define OUT_FLUSH (256u << 10)
#define MAX_MAPPINGS 32
#define STREAM_LINE_MIN (64u << 10)  /* a shorter line is never read item by item */

/* Wire record types (chm-records(5)): with --source, an object whose "type" is
 * none of these is the partner's own data. */
static const char *const wire_types[] = { "raw", "run", "state", "summary", "reject", "client",
					  "pipeline", "alert_rule", NULL };

struct chm_norm {
	struct chm_norm_opts opts;
	const struct chm_source *default_src;
	FILE *out;
	struct chm_rejects *rj;
	struct chm_norm_counts counts;
	struct strbuf buf;        /* output, written in large blocks */
	struct strbuf dump;       /* a record serialized for a reject or a payload */
	struct strbuf text;       /* bounded error_message / status_reason */
	struct strbuf text2;
	struct strbuf reason;     /* status_reason with the no-zone note */
	struct norm_scratch s;
	struct chm_vendor_map *maps[MAX_MAPPINGS];
	size_t nmaps;
	int write_failed;
	int write_errno;
	struct src_fast *fast;    /* the fast path's scratch, made on first use */
	struct page_stream *page; /* the document being read as a page, item by item */
	struct chm_ol_children children;   /* --children-file's, and this stream's */
};

/* Where a value came from, for rejects and for copying the payload as is. */
struct origin {
	const char *file;
	long line;
	const char *text;          /* the input line (line mode), or NULL */
	size_t len;
	const char *item_note;     /* "item 3 of the page" */
};

/* A whole document read as a page one item at a time (stream_document): a
 * tree of the whole costs up to 80 times its text (a 10 MB Airflow page took
 * 606 MB). The envelope's tree holds an empty array, the placeholder, where
 * the items are; partner_value reads them from the text instead. */
struct page_stream {
	struct chm_json_array arr;
	json_t *placeholder;
};

/* How the envelope or the flags name things. */
struct naming {
	const char *client, *pipeline, *external_id;
	const struct chm_vendor_map *map;
};

/* ---- output ------------------------------------------------------------- */

static void out_flush(struct chm_norm *n)
{
	if (n->buf.len && !n->write_failed) {
		if (fwrite(n->buf.buf, 1, n->buf.len, n->out) != n->buf.len) {
			n->write_failed = 1;
			n->write_errno = errno;
		}
	}
	strbuf_reset(&n->buf);
}

static void out_line(struct chm_norm *n, const char *s, size_t len)
{
	strbuf_add(&n->buf, s, len);
	strbuf_addc(&n->buf, '\n');
	if (n->buf.len >= OUT_FLUSH)
		out_flush(n);
}

static void out_json(struct chm_norm *n, json_t *v)
{
	size_t len = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	strbuf_grow(&n->buf, len + 1);
	n->buf.len += json_dumpb(v, n->buf.buf + n->buf.len, len, JSON_COMPACT | JSON_ENCODE_ANY);
	n->buf.buf[n->buf.len] = '\0';
	strbuf_addc(&n->buf, '\n');
	if (n->buf.len >= OUT_FLUSH)
		out_flush(n);
}

/* A record passed through: its own bytes when the line is at hand. */
static void out_record(struct chm_norm *n, const struct origin *o, json_t *v)
{
	if (o->text)
		out_line(n, o->text, o->len);
	else
		out_json(n, v);
}

static void dump_into(struct strbuf *sb, json_t *v)
{
	strbuf_reset(sb);
	size_t len = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	strbuf_grow(sb, len);
	sb->len = json_dumpb(v, sb->buf, len, JSON_COMPACT | JSON_ENCODE_ANY);
	sb->buf[sb->len] = '\0';
}

/* A reject of value (or of the input line when there is no value). Rejects
 * must not spread secrets either: when the input held any, the redacted
 * value is what the reject shows. */
static void reject(struct chm_norm *n, const struct origin *o, json_t *value, int redacted,
		   const struct chm_err *e)
{
	char msg[sizeof(e->msg) + 64];
	if (o->item_note)
		snprintf(msg, sizeof(msg), "%s: %s", o->item_note, e->msg);
	else
		snprintf(msg, sizeof(msg), "%s", e->msg);
	if (o->text && !redacted) {
		chm_reject(n->rj, o->file, o->line, e->kind, e->field, msg, o->text, o->len);
	} else if (value) {
		dump_into(&n->dump, value);
		chm_reject(n->rj, o->file, o->line, e->kind, e->field, msg, n->dump.buf, n->dump.len);
	} else {
		chm_reject(n->rj, o->file, o->line, e->kind, e->field, msg, o->text, o->len);
	}
	n->counts.rejected++;
}


/* ---- the rules every source shares --------------------------------------- */

/* s cut to max bytes on a UTF-8 boundary, redacted; into sb when changed. */
static const char *bound_text(const char *s, struct strbuf *sb)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	strbuf_reset(sb);
	if (chm_redact_text(s, len, sb)) {
		s = sb->buf;
		len = sb->len;
	}
	if (len <= CHM_TEXT_MAX)
		return s;
	size_t cut = CHM_TEXT_MAX;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	if (s == sb->buf) {
		sb->len = cut;
		sb->buf[cut] = '\0';
		return sb->buf;
	}
	strbuf_add(sb, s, cut);
	return sb->buf;
}

static void scratch_reset(struct norm_scratch *s)
{
	strbuf_reset(&s->ext);
	strbuf_reset(&s->run_id);
	strbuf_reset(&s->reason);
	strbuf_reset(&s->error);
	strbuf_reset(&s->a);
}

/* Who the run belongs to: the envelope or the flags first, then what the
 * record says. -1 with err when it names no client, pipeline or run. */
static int name_run(const struct chm_source *src, const struct naming *nm, struct norm_item *it,
		    struct chm_err *err)
{
	struct chm_run *run = &it->run;
	run->client = nm->client ? nm->client : it->client;
	run->platform = src->platform;
	const char *name = nm->pipeline ? nm->pipeline : (nm->external_id ? NULL : it->pipeline);
	const char *ext = nm->external_id ? nm->external_id : it->external_id;
	/* "client/name" alone is split by chm-load, where a pipeline is (a
	 * client's name may hold a "/") */
	if (!run->client && !(name && strchr(name, '/')))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "client",
				   "no client: the envelope has no \"client\" (or give --client)");
	if (name)
		run->pipeline = name;
	else if (ext)
		run->external_id = ext;
	else
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "pipeline",
				   "the %s record does not name its pipeline: give \"pipeline\" or "
				   "\"external_id\" in the envelope, or --pipeline", src->name);
	if (!run->external_run_id || !*run->external_run_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "external_run_id",
				   "the %s record has no run id", src->name);
	if (strlen(run->external_run_id) > 500)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_TOO_LONG, "external_run_id",
				   "the run id is longer than 500 bytes");
	return 0;
}

/* The rules every source shares: times and durations that agree, no
 * negative counts, the no-zone note, bounded and redacted texts. */
static void common_rules(struct chm_norm *n, struct norm_item *it)
{
	struct chm_run *run = &it->run;

	/* A run still going has not finished: an end time is a previous attempt's. */
	if (strcmp(run->status, "running") == 0) {
		run->has_finished = 0;
		run->has_duration = 0;
	}
	if (run->has_duration && (!isfinite(run->duration_seconds) || run->duration_seconds < 0))
		run->has_duration = 0;
	if (run->has_started && run->has_finished) {
		if (run->finished_at < run->started_at)
			run->has_duration = 0; /* clocks disagree: no duration rather than a negative one */
		else if (!run->has_duration) {
			run->has_duration = 1;
			run->duration_seconds = (double)(run->finished_at - run->started_at) / 1e6;
		}
	}
	if (run->has_rows && run->rows_processed < 0)
		run->has_rows = 0;
	if (it->zone_assumed) {
		struct strbuf *r = &n->reason;
		strbuf_reset(r);
		if (run->status_reason) {
			strbuf_adds(r, run->status_reason);
			strbuf_adds(r, "; ");
		}
		strbuf_adds(r, "timestamp without time zone read as UTC");
		run->status_reason = r->buf;
	}
	run->error_message = bound_text(run->error_message, &n->text);
	run->status_reason = bound_text(run->status_reason, &n->text2);
}

/* Naming, the rules every source shares, and the output line, for a mapped
 * record. The payload is span (the record's own bytes, clean) or rec. */
static void emit(struct chm_norm *n, const struct chm_source *src, const struct naming *nm,
		 struct norm_item *it, const struct origin *o, json_t *reject_value, int redacted,
		 json_t *rec, const char *span, size_t span_len)
{
	struct chm_err err;
	struct chm_run *run = &it->run;

	chm_err_clear(&err);
	if (it->kind == NORM_NO_RUN) {
		n->counts.no_run++;
		return;
	}
	if (it->kind == NORM_CHILD) {
		n->counts.children++;
		return;
	}
	if (name_run(src, nm, it, &err)) {
		reject(n, o, reject_value, redacted, &err);
		return;
	}
	common_rules(n, it);
	if (span) {
		chm_run_write(&n->buf, run, span, span_len);
	} else {
		run->payload = rec;
		chm_run_write(&n->buf, run, NULL, 0);
	}
	n->counts.runs++;
	if (n->buf.len >= OUT_FLUSH)
		out_flush(n);
}

/* One partner record to one run (or a count). span: the record's own bytes
 * in the input line, when it has them. */
static void map_one(struct chm_norm *n, const struct chm_source *src, const struct naming *nm,
		    json_t *rec, const struct origin *o, json_t *reject_value, const char *span,
		    size_t span_len)
{
	struct norm_env env = { nm->map, n->opts.include_children, &n->s, &n->children };
	struct norm_item it;
	struct chm_err err;

	memset(&it, 0, sizeof(it));
	chm_err_clear(&err);
	scratch_reset(&n->s);

	if (!json_is_object(rec)) {
		chm_err_set(&err, CHM_EX_DATAERR, CHM_E_NOT_AN_OBJECT, "record",
			    "a %s record must be a JSON object, not %s", src->name, json_is_array(rec) ? "an array" : "a scalar");
		reject(n, o, reject_value, 0, &err);
		return;
	}
	/* Redact first: what the module borrows from rec is then already clean
	 * and stays valid (redaction replaces values). */
	size_t redacted = chm_redact_json(rec);
	if (src->map(rec, &env, &it, &err)) {
		reject(n, o, reject_value, redacted > 0, &err);
		return;
	}
	emit(n, src, nm, &it, o, reject_value, redacted > 0, rec, redacted ? NULL : span,
	     span_len);
}

/* ---- the fast path -------------------------------------------------------
 * Most of a large stream is raw envelopes with nothing to redact. Those are
 * checked by jscan, which records a small tree of value spans (no jansson
 * tree), and mapped from their bytes by the source's own fast reader
 * (struct chm_source's fast, with the same rules as its map). Anything
 * else, or anything unusual in them, takes the general path through
 * jansson, which also writes the rejects. Both give the same bytes. */

static const struct chm_vendor_map *find_map(struct chm_norm *n, const char *name,
					     struct chm_err *err);

/* What the envelope leaves unsaid, the flags say: the client, and the
 * pipeline by name or external_id. */
static void default_naming(const struct chm_norm *n, struct naming *nm)
{
	if (!nm->client)
		nm->client = n->opts.client;
	if (!nm->pipeline && !nm->external_id) {
		nm->pipeline = n->opts.pipeline;
		nm->external_id = n->opts.external_id;
	}
}

/* 1 when the line was handled, 0 to take the general path. */
static int fast_raw(struct chm_norm *n, const char *line, size_t len, const struct origin *o)
{
	struct src_fast *f = n->fast;
	struct naming nm = { 0 };
	struct norm_item it;
	const struct chm_source *src = NULL;

	/* Most lines of a mixed feed have no fast path: find "source" with a
	 * cheap skip over the top level before scanning the whole line. The
	 * skip validates nothing, so it only decides whether to try: a line it
	 * misreads takes the general path, or is checked in full by jscan. */
	const char *sv;
	size_t svlen;
	if (!chm_record_member_span(line, len, "source", &sv, &svlen) || svlen < 2 || *sv != '"')
		return 0;
	for (size_t i = 0; chm_sources[i] && !src; i++)
		if (svlen == strlen(chm_sources[i]->name) + 2 &&
		    memcmp(sv + 1, chm_sources[i]->name, svlen - 2) == 0)
			src = chm_sources[i];
	if (!src || !src->fast)
		return 0;

	if (!f)
		f = n->fast = chm_xmalloc(sizeof(*f));
	memset(&f->js, 0, sizeof(f->js));
	f->js.nodes = f->nodes;
	f->js.nodes_max = SRC_FAST_NODES;
	f->js.tree_depth = src->fast_depth;
	f->used = 0;
	if (jscan_object_line(&f->js, line, len) != JSCAN_OK || f->js.suspicious)
		return 0;
	int t = jscan_child(&f->js, 0, "type"), sn = jscan_child(&f->js, 0, "source");
	int rec = jscan_child(&f->js, 0, "record");
	if (t < 0 || !jspan_is(&f->nodes[t].val, "raw") || sn < 0 ||
	    !jspan_is(&f->nodes[sn].val, src->name) || src_fast_type(f, rec) != '{')
		return 0;
	/* chm_get_string: null is absent, another type a reject */
	static const char *const naming_keys[] = { "client", "pipeline", "external_id" };
	const char **naming_vals[] = { &nm.client, &nm.pipeline, &nm.external_id };
	for (size_t j = 0; j < 3; j++) {
		int k = jscan_child(&f->js, 0, naming_keys[j]);
		char ty = src_fast_type(f, k);
		if ((ty && ty != 'z' && ty != 's') || src_fast_str(f, k, naming_vals[j]))
			return 0;
	}
	/* a record holding a page is the general path's */
	for (const char *const *pk = src->page_keys; pk && *pk; pk++) {
		char ty = src_fast_type(f, jscan_child(&f->js, rec, *pk));
		if (ty == '[' || ty == '{')
			return 0;
	}
	default_naming(n, &nm);

	if (src->mapping_member) {
		const char *mname;
		struct chm_err err;
		int k = jscan_child(&f->js, 0, src->mapping_member);
		char ty = src_fast_type(f, k);
		if ((ty && ty != 'z' && ty != 's') || src_fast_str(f, k, &mname) ||
		    !(nm.map = find_map(n, mname, &err)))
			return 0;
	}

	struct norm_env env = { nm.map, n->opts.include_children, &n->s, &n->children };
	memset(&it, 0, sizeof(it));
	scratch_reset(&n->s);
	if (src->fast(f, rec, &env, &it))
		return 0;
	emit(n, src, &nm, &it, o, NULL, 0, NULL, f->nodes[rec].val.p, f->nodes[rec].val.n);
	return 1;
}

/* A value read as the partner's data: a page of records or one record. */
static void partner_value(struct chm_norm *n, const struct chm_source *src,
			  const struct naming *nm, json_t *v, const struct origin *o,
			  json_t *whole, const char *span, size_t span_len)
{
	json_t *items = NULL;
	char note[64];

	if (json_is_array(v)) {
		items = v;
	} else if (json_is_object(v)) {
		if (src->page_path) {
			struct norm_env env = { nm->map, n->opts.include_children, &n->s, &n->children };
			const char *path = src->page_path(&env);
			items = path && *path ? chm_json_path(v, path) : NULL;
			if (!json_is_array(items))
				items = NULL;
		} else if (src->page_keys) {
			for (const char *const *k = src->page_keys; *k && !items; k++) {
				json_t *p = json_object_get(v, *k);
				if (json_is_array(p))
					items = p;
				else if (json_is_object(p)) {
					/* a page holding one record: {"status":..., "data":{...}} */
					map_one(n, src, nm, p, o, whole, NULL, 0);
					return;
				}
			}
		}
	}
	if (!items) {
		map_one(n, src, nm, v, o, whole, span, span_len);
		return;
	}
	size_t i;
	json_t *item;
	struct origin io = *o;
	if (n->page && items == n->page->placeholder) {
		const char *es;
		size_t el;
		chm_json_array_rewind(&n->page->arr);
		while (chm_json_array_next(&n->page->arr, &es, &el, NULL) > 0) {
			json_error_t jerr;
			/* stream_document parsed each item already */
			item = chm_json_loadb(es, el, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
			snprintf(note, sizeof(note), "item %zu of the page", n->page->arr.index);
			io.item_note = note;
			io.text = NULL;
			map_one(n, src, nm, item, &io, item, NULL, 0);
			json_decref(item);
		}
		return;
	}
	json_array_foreach(items, i, item) {
		snprintf(note, sizeof(note), "item %zu of the page", i + 1);
		io.item_note = note;
		io.text = NULL;
		map_one(n, src, nm, item, &io, item, NULL, 0);
	}
}

static const struct chm_vendor_map *find_map(struct chm_norm *n, const char *name,
					     struct chm_err *err)
{
	if (!name) {
		if (n->nmaps == 1)
			return n->maps[0];
		chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "mapping",
			    n->nmaps ? "a vendor record must name its \"mapping\": several are loaded"
				     : "no vendor mapping: give --mapping FILE");
		return NULL;
	}
	for (size_t i = 0; i < n->nmaps; i++)
		if (strcmp(chm_vendor_map_name(n->maps[i]), name) == 0)
			return n->maps[i];
	/* a mapping directory lets envelopes name mappings not given by --mapping */
	const char *dir = n->opts.vendor_dir;
	if (dir && *dir && n->nmaps < MAX_MAPPINGS && !strpbrk(name, "/.")) {
		struct strbuf path = STRBUF_INIT;
		struct chm_err lerr;
		strbuf_addf(&path, "%s/%s.json", dir, name);
		struct chm_vendor_map *m = chm_vendor_map_load(path.buf, CHM_MAP_RUNS, &lerr);
		strbuf_release(&path);
		if (m) {
			n->maps[n->nmaps++] = m;
			return m;
		}
	}
	chm_err_set(err, CHM_EX_DATAERR, CHM_E_UNKNOWN_MAPPING, "mapping",
		    "no vendor mapping named \"%.100s\" (give --mapping FILE or set CHM_VENDOR_DIR)", name);
	return NULL;
}

static void raw_record(struct chm_norm *n, json_t *obj, const struct origin *o)
{
	struct chm_err err;
	const char *source = NULL;
	struct naming nm = { 0 };

	chm_err_clear(&err);
	if (chm_get_string(obj, "source", &source, &err) < 0 ||
	    chm_get_string(obj, "client", &nm.client, &err) < 0 ||
	    chm_get_string(obj, "pipeline", &nm.pipeline, &err) < 0 ||
	    chm_get_string(obj, "external_id", &nm.external_id, &err) < 0)
		goto bad;
	if (!source) {
		chm_err_set(&err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "source",
			    "a raw record needs a \"source\"");
		goto bad;
	}
	const struct chm_source *src = chm_source_find(source);
	if (!src) {
		chm_err_set(&err, CHM_EX_DATAERR, CHM_E_UNKNOWN_SOURCE, "source",
			    "unknown source \"%.64s\" (known: %s)", source, chm_source_names(0));
		goto bad;
	}
	json_t *rec = json_object_get(obj, "record");
	if (!json_is_object(rec) && !json_is_array(rec)) {
		chm_err_set(&err, CHM_EX_DATAERR, rec ? CHM_E_WRONG_TYPE : CHM_E_MISSING_FIELD, "record",
			    "a raw record needs a \"record\" object");
		goto bad;
	}
	default_naming(n, &nm);
	if (src->mapping_member) {
		const char *mname = NULL;
		if (chm_get_string(obj, src->mapping_member, &mname, &err) < 0)
			goto bad;
		if (!(nm.map = find_map(n, mname, &err)))
			goto bad;
	}
	const char *span = NULL;
	size_t span_len = 0;
	if (o->text && !chm_record_member_span(o->text, o->len, "record", &span, &span_len))
		span = NULL;
	partner_value(n, src, &nm, rec, o, obj, span, span_len);
	return;
bad:
	reject(n, o, NULL, 0, &err);
}

/* One JSON value of the input: a line, or a whole document. */
static void handle_value(struct chm_norm *n, json_t *v, const struct origin *o)
{
	struct chm_err err;
	const char *type = NULL;
	const struct chm_source *src = n->default_src;

	chm_err_clear(&err);
	n->counts.read++;
	chm_progress_tick(n->opts.progress, n->counts.read);   /* a page's items too */
	if (json_is_object(v)) {
		json_t *t = json_object_get(v, "type");
		if (json_is_string(t))
			type = json_string_value(t);
	}
	if (type && chm_enum_has(wire_types, type)) {
		if (strcmp(type, "raw") == 0) {
			raw_record(n, v, o);
			return;
		}
		if (strcmp(type, "run") == 0) {
			/* a canonical run is partner data too: its texts and payload
			 * are redacted as a raw record's are */
			struct chm_run run;
			size_t redacted = chm_redact_json(v);
			if (chm_run_from_json(v, &run, &err)) {
				reject(n, o, v, redacted > 0, &err);
				return;
			}
			n->counts.runs++;
			if (redacted) {
				out_json(n, v);
				return;
			}
		} else {
			n->counts.passed++;
		}
		out_record(n, o, v);
		return;
	}
	if (src) {
		struct naming nm = { n->opts.client, n->opts.pipeline, n->opts.external_id, NULL };
		if (src->mapping_member && !(nm.map = find_map(n, NULL, &err))) {
			reject(n, o, NULL, 0, &err);
			return;
		}
		partner_value(n, src, &nm, v, o, v, o->text, o->len);
		return;
	}
	if (type) { /* not ours: passes through unchanged */
		n->counts.passed++;
		out_record(n, o, v);
		return;
	}
	if (json_is_object(v))
		chm_err_set(&err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "type",
			    "a record needs a string \"type\" (give --source to read bare partner records)");
	else
		chm_err_set(&err, CHM_EX_DATAERR, CHM_E_NOT_AN_OBJECT, "",
			    "a record must be a JSON object (give --source to read a page)");
	reject(n, o, NULL, 0, &err);
}

/* ---- reading ------------------------------------------------------------ */

static long count_lines(const char *s, size_t len)
{
	long k = 0;
	const char *p = s, *end = s + len;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/* The value at s (not whitespace) read as a page one item at a time, when
 * it is the partner's data (--source, no wire type) with its items where
 * the source keeps them: 1 and *used, its length. 0 to parse it whole:
 * anything else, and what is not valid JSON (whose reject then says what
 * the whole parse says; nothing is used before every item parsed). whole:
 * the value must be all of s[0..len) but whitespace (a line). */
static int stream_document(struct chm_norm *n, const struct origin *o, const char *s, size_t len,
			   int whole, size_t *used)
{
	const struct chm_source *src = n->default_src;
	const struct chm_vendor_map *map = NULL;
	const char *path, *es;
	size_t el;
	int r;

	if (!src)
		return 0;
	if (*s == '[') {
		path = "";
	} else if (src->page_path) {
		/* the mapping must be known before the envelope is read */
		struct norm_env env = { n->nmaps == 1 ? n->maps[0] : NULL, 0, &n->s, NULL };
		if (!src->mapping_member || n->nmaps != 1 || !(path = src->page_path(&env)) || !*path)
			return 0;
		map = n->maps[0];
	} else if (src->page_keys && src->page_keys[0] && !src->page_keys[1]) {
		path = src->page_keys[0];
	} else {
		return 0;
	}

	struct page_stream ps;
	if (!chm_json_array_find(&ps.arr, s, len, path))
		return 0;
	if (whole && chm_json_skip_ws(ps.arr.doc_end, s + len) != s + len)
		return 0;
	struct strbuf env = STRBUF_INIT;
	json_error_t jerr;
	chm_json_array_envelope(&ps.arr, &env);
	json_t *v = chm_json_loadb(env.buf, env.len, JSON_REJECT_DUPLICATES, &jerr);
	strbuf_release(&env);
	if (!v)
		return 0;
	/* where partner_value will look for the items, and handle_value's
	 * dispatch: a wire record is not the partner's data */
	json_t *t = json_object_get(v, "type");
	ps.placeholder = *s == '[' ? v : map ? chm_json_path(v, path) : json_object_get(v, path);
	if (!json_is_array(ps.placeholder) || json_array_size(ps.placeholder) ||
	    (json_is_string(t) && chm_enum_has(wire_types, json_string_value(t))))
		goto whole;
	while ((r = chm_json_array_next(&ps.arr, &es, &el, NULL)) > 0) {
		json_t *item = chm_json_loadb(es, el, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		if (!item)
			goto whole;
		json_decref(item);
	}
	if (r < 0)
		goto whole;

	n->page = &ps;
	handle_value(n, v, o);
	n->page = NULL;
	json_decref(v);
	*used = (size_t)(ps.arr.doc_end - s);
	return 1;
whole:
	json_decref(v);
	return 0;
}

/* A whole document: one or more JSON values one after the other. */
static int read_document(struct chm_norm *n, struct line_reader *lr, struct strbuf *doc,
			 long first_line, struct chm_err *err)
{
	const char *line;
	size_t len;
	int got;
	struct chm_err rerr;

	while ((got = line_reader_next(lr, &line, &len, err)) > 0) {
		if (doc->len + len + 1 > n->opts.doc_max) {
			chm_err_set(&rerr, CHM_EX_DATAERR, CHM_E_DOCUMENT_TOO_LARGE, "",
				    "a document larger than %zu bytes (not NDJSON?)", n->opts.doc_max);
			struct origin o = { lr->name, first_line, NULL, 0, NULL };
			reject(n, &o, NULL, 0, &rerr);
			while ((got = line_reader_next(lr, &line, &len, err)) > 0)
				;
			return got;
		}
		strbuf_addc(doc, '\n');
		strbuf_add(doc, line, len);
	}
	if (got < 0)
		return -1;

	size_t off = 0;
	long lineno = first_line;
	for (;;) {
		const char *p = chm_json_skip_ws(doc->buf + off, doc->buf + doc->len);
		lineno += count_lines(doc->buf + off, (size_t)(p - (doc->buf + off)));
		off = (size_t)(p - doc->buf);
		if (off >= doc->len)
			break;
		size_t used;
		struct origin so = { lr->name, lineno, NULL, 0, NULL };
		if (stream_document(n, &so, doc->buf + off, doc->len - off, 0, &used)) {
			lineno += count_lines(doc->buf + off, used);
			off += used;
			continue;
		}
		json_error_t jerr;
		json_t *v = chm_json_loadb(doc->buf + off, doc->len - off,
				       JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &jerr);
		struct origin o = { lr->name, lineno, NULL, 0, NULL };
		if (!v) {
			chm_err_set(&rerr, CHM_EX_DATAERR,
				    strstr(jerr.text, "duplicate") ? CHM_E_DUPLICATE_KEY : CHM_E_INVALID_JSON, "",
				    "invalid JSON at line %ld: %s", lineno + jerr.line - 1, jerr.text);
			o.text = doc->buf + off;
			o.len = doc->len - off;
			reject(n, &o, NULL, 0, &rerr);
			break; /* no way to find the next value */
		}
		handle_value(n, v, &o);
		json_decref(v);
		lineno += count_lines(doc->buf + off, jerr.position);
		off += jerr.position;
	}
	return 0;
}

/* 1 when s[0..len) is a whole JSON object by itself. */
static int is_object_line(const char *s, size_t len)
{
	json_error_t jerr;
	json_t *v = memchr(s, '\0', len) ? NULL : chm_json_loadb(s, len, 0, &jerr);
	int ok = json_is_object(v);
	json_decref(v);
	return ok;
}

static int norm_line(struct chm_norm *n, struct line_reader *lr, const char *line, size_t len,
		     int *first, struct chm_err *err);

/* The value of line goes on past it: a pretty-printed document, unless the
 * next line is a whole object by itself, which is NDJSON whose first line
 * was cut (the rest must not be lost). 1 when the document took the rest of
 * the input. */
static int read_on(struct chm_norm *n, struct line_reader *lr, const char *line, size_t len,
		   int *first, const json_error_t *jerr, struct chm_err *err)
{
	struct strbuf doc = STRBUF_INIT;
	struct chm_err rerr;
	long first_line = lr->lineno;
	const char *next;
	size_t next_len;
	int rc;

	/* line points into the reader's buffer, which the next read may move */
	int opens_object = *chm_json_skip_ws(line, line + len) == '{';
	strbuf_add(&doc, line, len);
	*first = 0;
	int got = line_reader_next(lr, &next, &next_len, err);
	if (got < 0) {
		strbuf_release(&doc);
		return -1;
	}
	if (got > 0 && opens_object && !lr->too_long &&
	    is_object_line(next, next_len)) {
		struct origin o1 = { lr->name, first_line, doc.buf, doc.len, NULL };
		chm_err_set(&rerr, CHM_EX_DATAERR, CHM_E_INVALID_JSON, "",
			    "invalid JSON at column %d: %s", jerr->column, jerr->text);
		n->counts.read++;
		reject(n, &o1, NULL, 0, &rerr);
		strbuf_release(&doc);
		return norm_line(n, lr, next, next_len, first, err);
	}
	if (got > 0) {
		strbuf_addc(&doc, '\n');
		strbuf_add(&doc, next, next_len);
	}
	rc = read_document(n, lr, &doc, first_line, err);
	strbuf_release(&doc);
	return rc < 0 ? -1 : 1;
}

/* One input line. *first: no line with a value read yet (a pretty-printed
 * document may start here). 1 when a document took the rest of the input,
 * -1 with err for a read error. */
static int norm_line(struct chm_norm *n, struct line_reader *lr, const char *line, size_t len,
		     int *first, struct chm_err *err)
{
	struct origin o = { lr->name, lr->lineno, line, len, NULL };
	struct chm_err rerr;
	json_error_t jerr;

	chm_progress_tick(n->opts.progress, n->counts.read);
	if (lr->too_long) {
		chm_err_set(&rerr, CHM_EX_DATAERR, CHM_E_LINE_TOO_LONG, "",
			    "line is longer than the maximum line length");
		n->counts.read++;
		reject(n, &o, NULL, 0, &rerr);
		return 0;
	}
	const char *p = chm_json_skip_ws(line, line + len);
	if (p == line + len)
		return 0; /* blank lines carry nothing */
	if (memchr(line, '\0', len)) {
		chm_err_set(&rerr, CHM_EX_DATAERR, CHM_E_INVALID_JSON, "", "line contains a NUL byte");
		n->counts.read++;
		reject(n, &o, NULL, 0, &rerr);
		return 0;
	}
	if (!n->opts.no_fast_path && fast_raw(n, line, len, &o)) {
		n->counts.read++;
		*first = 0;
		return 0;
	}
	/* a page on one line; a short line's tree is small, and most lines
	 * are records, not pages: not worth the scan */
	size_t used;
	if (len >= STREAM_LINE_MIN && (*p == '{' || *p == '[') &&
	    stream_document(n, &o, p, (size_t)(line + len - p), 1, &used)) {
		*first = 0;
		return 0;
	}
	json_t *v = chm_json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v && *first && (*p == '{' || *p == '[') && (size_t)jerr.position >= len)
		return read_on(n, lr, line, len, first, &jerr, err);
	*first = 0;
	if (!v) {
		chm_err_set(&rerr, CHM_EX_DATAERR,
			    strstr(jerr.text, "duplicate") ? CHM_E_DUPLICATE_KEY : CHM_E_INVALID_JSON, "",
			    "invalid JSON at column %d: %s", jerr.column, jerr.text);
		n->counts.read++;
		reject(n, &o, NULL, 0, &rerr);
		return 0;
	}
	handle_value(n, v, &o);
	json_decref(v);
	return 0;
}

int chm_norm_file(struct chm_norm *n, FILE *fp, const char *name, struct chm_err *err)
{
	struct line_reader lr;
	const char *line;
	size_t len;
	int got = 0, first = 1, rc = 0;

	/* a line may be a whole document: dbt writes run_results.json on one
	 * line, and it must not be refused where its pretty-printed twin is
	 * read, so a line is bounded as a document is */
	line_reader_init(&lr, fp, name, n->opts.doc_max);
	while (!n->write_failed && (got = line_reader_next(&lr, &line, &len, err)) > 0) {
		int r = norm_line(n, &lr, line, len, &first, err);
		if (r) {
			rc = r < 0 ? -1 : 0;
			break;
		}
	}
	if (got < 0)
		rc = -1;
	line_reader_release(&lr);
	return rc;
}

/* ---- life cycle ---------------------------------------------------------- */

struct chm_norm *chm_norm_new(const struct chm_norm_opts *opts, FILE *out, struct chm_rejects *rj,
			      struct chm_err *err)
{
	struct chm_norm *n = chm_xmalloc(sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->opts = *opts;
	if (!n->opts.doc_max)
		n->opts.doc_max = CHM_DOC_MAX_DEFAULT;
	n->out = out;
	n->rj = rj;
	chm_ol_children_init(&n->children, CHM_OL_CHILDREN_MAX);
	if (opts->children_file && chm_ol_children_load(&n->children, opts->children_file, err)) {
		chm_ol_children_release(&n->children);
		free(n);
		return NULL;
	}
	if (opts->source && !(n->default_src = chm_source_find(opts->source))) {
		chm_err_set(err, CHM_EX_USAGE, CHM_E_UNKNOWN_SOURCE, "source",
			    "--source: unknown source \"%s\" (known: %s)", opts->source, chm_source_names(0));
		free(n);
		return NULL;
	}
	if (opts->nmappings > MAX_MAPPINGS) {
		chm_err_set(err, CHM_EX_USAGE, CHM_E_USAGE, "mapping", "at most %d --mapping files",
			    MAX_MAPPINGS);
		free(n);
		return NULL;
	}
	for (size_t i = 0; i < opts->nmappings; i++) {
		struct chm_vendor_map *m = chm_vendor_map_load(opts->mappings[i], CHM_MAP_RUNS, err);
		if (!m) {
			chm_norm_free(n);
			return NULL;
		}
		n->maps[n->nmaps++] = m;
	}
	/* bare partner records name no client unless their format does (cron's
	 * pipeline "client/name"): without --client each would only be a reject */
	if (n->default_src && !n->default_src->names_client && !opts->client) {
		chm_err_set(err, CHM_EX_USAGE, CHM_E_USAGE, "client",
			    "--source %s reads bare partner records, which name no client: give --client NAME",
			    n->default_src->name);
		chm_norm_free(n);
		return NULL;
	}
	return n;
}

int chm_norm_flush(struct chm_norm *n, struct chm_err *err)
{
	out_flush(n);
	if (n->opts.children_file && chm_ol_children_save(&n->children, n->opts.children_file, err))
		return -1;
	if (n->write_failed && n->write_errno == EPIPE)
		return 0; /* the reader went away: not our error (as chm_close_stdout) */
	if (n->write_failed)
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "", "write error on standard output: %s",
				   strerror(n->write_errno ? n->write_errno : EIO));
	return 0;
}

const struct chm_norm_counts *chm_norm_counts(const struct chm_norm *n)
{
	return &n->counts;
}

void chm_norm_free(struct chm_norm *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nmaps; i++)
		chm_vendor_map_free(n->maps[i]);
	chm_ol_children_release(&n->children);
	strbuf_release(&n->buf);
	strbuf_release(&n->dump);
	strbuf_release(&n->text);
	strbuf_release(&n->text2);
	strbuf_release(&n->reason);
	strbuf_release(&n->s.ext);
	strbuf_release(&n->s.run_id);
	strbuf_release(&n->s.reason);
	strbuf_release(&n->s.error);
	strbuf_release(&n->s.a);
	free(n->fast);
	free(n);
}

int chm_norm_files(struct chm_norm *n, char **paths, int npaths, int *status, struct chm_err *err)
{
	for (int i = 0; i < (npaths ? npaths : 1); i++) {
		const char *path = npaths ? paths[i] : "-";
		FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
		if (!fp) {
			/* like the OpenBSD tools: say so, go on with the others */
			chm_warn("cannot open %s: %m", path);
			*status = CHM_EX_IOERR;
			continue;
		}
		int rc = chm_norm_file(n, fp, path, err);
		if (fp != stdin)
			fclose(fp);
		if (rc)
			return -1;
	}
	return 0;
}
