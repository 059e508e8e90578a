#include "normalize.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chmtime.h"
#include "enums.h"
#include "jscan.h"
#include "linereader.h"
#include "record.h"
#include "redact.h"
#include "run.h"
#include "source.h"
#include "strbuf.h"

#define OUT_FLUSH (256u << 10)
#define MAX_MAPPINGS 32
#define FAST_NODES 1024         /* values a fast-path line may have down to its lookup depth */
#define FAST_ARENA (64u << 10)  /* the C strings one fast-path line reads */
#define STREAM_LINE_MIN (64u << 10)  /* a shorter line is never read item by item */

static const struct chm_source *const sources[] = {
	&chm_src_airflow, &chm_src_dbt_cloud, &chm_src_dbt_artifact,
	&chm_src_openlineage, &chm_src_vendor, &chm_src_cron, NULL,
};

const char *const chm_norm_sources[] = { "airflow", "dbt_cloud", "dbt_artifact", "openlineage",
					 "vendor", "cron", NULL };

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
	struct fast *fast;        /* the fast path's scratch, made on first use */
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

/* ---- helpers for the source modules ------------------------------------- */

int src_time_value(json_t *v, const char *field, int flags, int *has, int64_t *usec,
		   struct norm_item *it, struct chm_err *err)
{
	if (!v || json_is_null(v))
		return src_time_parts('z', NULL, 0, field, flags, has, usec, it, err);
	if (json_is_string(v))
		return src_time_parts('s', json_string_value(v), 0, field, flags, has, usec, it, err);
	if (json_is_number(v))
		return src_time_parts('n', NULL, json_number_value(v), field, flags, has, usec, it, err);
	return src_time_parts('?', NULL, 0, field, flags, has, usec, it, err);
}

int src_time_parts(char type, const char *s, double d, const char *field, int flags, int *has,
		   int64_t *usec, struct norm_item *it, struct chm_err *err)
{
	*has = 0;
	if (type == 'z')
		return 0;
	if (type == 's') {
		int assumed = 0;
		if (!*s)
			return 0; /* "" is how some partners say null */
		if (chm_time_parse(s, (flags & SRC_T_NO_ZONE) ? CHM_TIME_ALLOW_NO_ZONE : 0, usec,
				   &assumed, field, err))
			return -1;
		if (assumed && it)
			it->zone_assumed = 1;
		*has = 1;
		return 0;
	}
	if (type == 'n' && (flags & (SRC_T_EPOCH | SRC_T_EPOCH_S | SRC_T_EPOCH_MS))) {
		int ms = (flags & SRC_T_EPOCH_MS) ||
			 (!(flags & SRC_T_EPOCH_S) && fabs(d) > 1e11); /* 1e11 s is year 5138 */
		if (chm_time_from_epoch(d, ms, usec))
			return chm_err_set(err, CHM_EX_DATAERR, "bad_timestamp", field,
					   "%s: epoch %s %.17g is out of range", field,
					   ms ? "milliseconds" : "seconds", d);
		*has = 1;
		return 0;
	}
	return chm_err_set(err, CHM_EX_DATAERR, "bad_timestamp", field,
			   "%s must be an RFC 3339 timestamp%s", field,
			   (flags & (SRC_T_EPOCH | SRC_T_EPOCH_S | SRC_T_EPOCH_MS)) ? " or epoch seconds"
										   : "");
}

int src_time(json_t *obj, const char *key, int flags, int *has, int64_t *usec,
	     struct norm_item *it, struct chm_err *err)
{
	return src_time_value(json_object_get(obj, key), key, flags, has, usec, it, err);
}

const char *src_id(json_t *v, struct strbuf *sb)
{
	if (!v)
		return NULL;
	if (json_is_string(v))
		return *json_string_value(v) ? json_string_value(v) : NULL;
	if (json_is_integer(v)) {
		strbuf_reset(sb);
		strbuf_addf(sb, "%lld", (long long)json_integer_value(v));
		return sb->buf;
	}
	return NULL;
}

const char *src_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *src_path(json_t *root, const char *path)
{
	json_t *v = root;
	const char *p = path;
	while (v && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (json_is_array(v) && n && isdigit((unsigned char)*p)) {
			v = json_array_get(v, strtoul(p, NULL, 10));
		} else {
			char key[128];
			if (n >= sizeof(key) || !json_is_object(v))
				return NULL;
			memcpy(key, p, n);
			key[n] = '\0';
			v = json_object_get(v, key);
		}
		p += n;
		if (*p == '.')
			p++;
	}
	return v;
}

void src_unknown_status(const struct norm_env *env, struct norm_item *it, const char *canon,
			const char *value)
{
	struct strbuf *r = &env->s->reason;
	strbuf_reset(r);
	strbuf_adds(r, "source status \"");
	strbuf_add(r, value, strnlen(value, 200));
	strbuf_adds(r, "\"");
	it->run.status = canon;
	it->run.status_reason = r->buf;
}

int src_number(json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return isfinite(*out) ? 0 : -1;
	}
	if (json_is_string(v))
		return src_number_str(json_string_value(v), out);
	return -1;
}

int src_number_str(const char *s, double *out)
{
	char *end;
	if (!*s)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return (*end || errno || !isfinite(*out)) ? -1 : 0;
}

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
		chm_reject(n->rj, o->file, o->line, e->code, e->field, msg, o->text, o->len);
	} else if (value) {
		dump_into(&n->dump, value);
		chm_reject(n->rj, o->file, o->line, e->code, e->field, msg, n->dump.buf, n->dump.len);
	} else {
		chm_reject(n->rj, o->file, o->line, e->code, e->field, msg, o->text, o->len);
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

static const struct chm_source *find_source(const char *name)
{
	for (const struct chm_source *const *s = sources; *s; s++)
		if (strcmp((*s)->name, name) == 0)
			return *s;
	return NULL;
}

const char *chm_norm_source_platform(const char *source)
{
	const struct chm_source *src = find_source(source);
	return src ? src->platform : NULL;
}

static void scratch_reset(struct norm_scratch *s)
{
	strbuf_reset(&s->ext);
	strbuf_reset(&s->run_id);
	strbuf_reset(&s->reason);
	strbuf_reset(&s->error);
	strbuf_reset(&s->a);
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

	/* naming: the envelope or the flags first, then what the record says */
	run->client = nm->client ? nm->client : it->client;
	run->platform = src->platform;
	const char *name = nm->pipeline ? nm->pipeline : (nm->external_id ? NULL : it->pipeline);
	const char *ext = nm->external_id ? nm->external_id : it->external_id;
	if (!run->client) {
		chm_err_set(&err, CHM_EX_DATAERR, "missing_field", "client",
			    "no client: the envelope has no \"client\" (or give --client)");
		goto bad;
	}
	if (name) {
		run->pipeline = name;
	} else if (ext) {
		run->external_id = ext;
	} else {
		chm_err_set(&err, CHM_EX_DATAERR, "missing_field", "pipeline",
			    "the %s record does not name its pipeline: give \"pipeline\" or "
			    "\"external_id\" in the envelope, or --pipeline", src->name);
		goto bad;
	}
	if (!run->external_run_id || !*run->external_run_id) {
		chm_err_set(&err, CHM_EX_DATAERR, "missing_field", "external_run_id",
			    "the %s record has no run id", src->name);
		goto bad;
	}
	if (strlen(run->external_run_id) > 500) {
		chm_err_set(&err, CHM_EX_DATAERR, "too_long", "external_run_id",
			    "the run id is longer than 500 bytes");
		goto bad;
	}

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

	if (span) {
		chm_run_write(&n->buf, run, span, span_len);
	} else {
		run->payload = rec;
		chm_run_write(&n->buf, run, NULL, 0);
	}
	n->counts.runs++;
	if (n->buf.len >= OUT_FLUSH)
		out_flush(n);
	return;
bad:
	reject(n, o, reject_value, redacted, &err);
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
		chm_err_set(&err, CHM_EX_DATAERR, "not_an_object", "record",
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
 * Most of a large stream is raw envelopes (of every source: airflow, cron,
 * openlineage, dbt_artifact, dbt_cloud, vendor) with nothing to redact. Those are checked by
 * jscan, which records a small tree of value spans (no jansson tree), and
 * mapped from their bytes by the source module's own rules (chm_cron_apply,
 * chm_ol_apply, ...: the fast path reads fields, it holds no table and no
 * rule of its own). Anything else, or anything unusual in them, takes the
 * general path through jansson, which also writes the rejects. Both give
 * the same bytes. */

/* Scratch of the fast path: the tree of the line and the C strings read
 * from it (their escapes undone), in one arena per line. */
struct fast {
	struct jscan js;
	struct jnode nodes[FAST_NODES];
	char arena[FAST_ARENA];
	size_t used;
};

static char fast_type(const struct fast *f, int k)
{
	return k < 0 ? 0 : f->js.nodes[k].val.type;
}

/* The string at node k as a C string, in *out (NULL when k is absent or not
 * a string, as src_str); -1 when it does not fit (take the general path). */
static int fast_cstr(struct fast *f, int k, const char **out)
{
	*out = NULL;
	if (fast_type(f, k) != 's')
		return 0;
	const struct jspan *v = &f->js.nodes[k].val;
	char *d = f->arena + f->used;
	size_t len = v->n;
	if (v->n + 1 > sizeof(f->arena) - f->used)
		return -1;
	if (!v->escaped)
		memcpy(d, v->p, v->n);
	else if (jspan_unescape(v->p, v->n, d, &len))
		return -1;
	d[len] = '\0';
	f->used += len + 1;
	*out = d;
	return 0;
}

/* 1 with *out when node k is an integer (json_is_integer): jscan has left
 * no exponent and at most 15 digits, so strtoll reads it as jansson does. */
static int fast_int(const struct fast *f, int k, long long *out)
{
	char buf[32];
	if (fast_type(f, k) != 'n')
		return 0;
	const struct jspan *v = &f->js.nodes[k].val;
	if (v->n >= sizeof(buf) || memchr(v->p, '.', v->n))
		return 0;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	*out = strtoll(buf, NULL, 10);
	return 1;
}

/* src_id on node k. */
static int fast_id(struct fast *f, int k, const char **out)
{
	long long i;
	*out = NULL;
	if (fast_int(f, k, &i)) {
		char num[32];
		int len = snprintf(num, sizeof(num), "%lld", i);
		if ((size_t)len + 1 > sizeof(f->arena) - f->used)
			return -1;
		*out = memcpy(f->arena + f->used, num, (size_t)len + 1);
		f->used += (size_t)len + 1;
		return 0;
	}
	if (fast_cstr(f, k, out))
		return -1;
	if (*out && !**out)
		*out = NULL;
	return 0;
}

/* The number at node k (json_number_value); -1 when it is not one. */
static int fast_number(const struct fast *f, int k, double *out)
{
	long long i;
	char buf[32];
	if (fast_type(f, k) != 'n')
		return -1;
	if (fast_int(f, k, &i)) {
		*out = (double)i;
		return 0;
	}
	const struct jspan *v = &f->js.nodes[k].val;
	if (v->n >= sizeof(buf))
		return -1;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	*out = strtod(buf, NULL);
	return 0;
}

/* src_time_value on node k; -1 for what the general path would reject. */
static int fast_time(struct fast *f, int k, const char *field, int flags, int *has, int64_t *usec,
		     struct norm_item *it)
{
	struct chm_err err;
	const char *str = NULL;
	double d = 0;
	char t = fast_type(f, k);

	if (t == 0 || t == 'z') {
		t = 'z';
	} else if (t == 's') {
		if (fast_cstr(f, k, &str))
			return -1;
	} else if (t == 'n' && fast_number(f, k, &d)) {
		return -1;
	}
	return src_time_parts(t, str, d, field, flags, has, usec, it, &err);
}

static int fast_airflow(struct chm_norm *n, struct fast *f, int rec, struct norm_item *it)
{
	const char *state;
	if (fast_type(f, jscan_child(&f->js, rec, "dag_run_id")) != 's' ||
	    fast_cstr(f, jscan_child(&f->js, rec, "dag_run_id"), &it->run.external_run_id) ||
	    !*it->run.external_run_id) /* "" is no id: the general path looks at run_id too */
		return -1;
	if (fast_cstr(f, jscan_child(&f->js, rec, "state"), &state) || !state ||
	    fast_cstr(f, jscan_child(&f->js, rec, "dag_id"), &it->external_id))
		return -1;
	if (!(it->run.status = chm_airflow_status(state))) {
		struct norm_env env = { NULL, 0, &n->s, NULL };
		src_unknown_status(&env, it, CHM_AIRFLOW_UNKNOWN_STATUS, state);
	}
	return fast_time(f, jscan_child(&f->js, rec, "start_date"), "start_date", 0,
			 &it->run.has_started, &it->run.started_at, it) ||
	       fast_time(f, jscan_child(&f->js, rec, "end_date"), "end_date", 0,
			 &it->run.has_finished, &it->run.finished_at, it);
}

static int fast_cron(struct chm_norm *n, struct fast *f, int rec, struct norm_item *it)
{
	struct norm_env env = { NULL, n->opts.include_children, &n->s, &n->children };
	struct chm_cron_rec r = { 0 };
	struct chm_run *run = &it->run;
	struct chm_err err;
	const struct jscan *js = &f->js;
	long long rows;

	if (fast_id(f, jscan_child(js, rec, "run_id"), &run->external_run_id) ||
	    !run->external_run_id || fast_cstr(f, jscan_child(js, rec, "event"), &r.event) ||
	    !r.event || fast_cstr(f, jscan_child(js, rec, "pipeline"), &r.pipeline) ||
	    fast_id(f, jscan_child(js, rec, "external_id"), &it->external_id) ||
	    fast_time(f, jscan_child(js, rec, "started_at"), "started_at", SRC_T_EPOCH,
		      &run->has_started, &run->started_at, it) ||
	    fast_time(f, jscan_child(js, rec, "finished_at"), "finished_at", SRC_T_EPOCH,
		      &run->has_finished, &run->finished_at, it) ||
	    fast_cstr(f, jscan_child(js, rec, "stderr_tail"), &r.stderr_tail) ||
	    fast_cstr(f, jscan_child(js, rec, "reason"), &r.reason) ||
	    fast_cstr(f, jscan_child(js, rec, "signal"), &r.signal_str))
		return -1;
	if (fast_int(f, jscan_child(js, rec, "rows_processed"), &rows)) {
		run->has_rows = 1;
		run->rows_processed = rows;
	}
	r.has_signal = fast_int(f, jscan_child(js, rec, "signal"), &r.signal);
	r.has_exit = fast_int(f, jscan_child(js, rec, "exit_status"), &r.exit_status);
	return chm_cron_apply(&r, &env, it, &err);
}

static int fast_openlineage(struct chm_norm *n, struct fast *f, int rec, struct norm_item *it)
{
	struct norm_env env = { NULL, n->opts.include_children, &n->s, &n->children };
	struct chm_ol_event ev = { 0 };
	const struct jscan *js = &f->js;
	int job = jscan_child(js, rec, "job"), has;
	long long rows;

	if (fast_type(f, job) != '{' || fast_cstr(f, jscan_child(js, job, "namespace"), &ev.ns) ||
	    !ev.ns || fast_cstr(f, jscan_child(js, job, "name"), &ev.name) || !ev.name ||
	    fast_id(f, jscan_path(js, rec, "run.runId"), &it->run.external_run_id) ||
	    !it->run.external_run_id ||
	    fast_time(f, jscan_child(js, rec, "eventTime"), "eventTime", SRC_T_NO_ZONE, &has, &ev.at,
		      it) ||
	    !has || fast_cstr(f, jscan_child(js, rec, "eventType"), &ev.type))
		return -1;
	int pj = jscan_path(js, rec, "run.facets.parent.job");
	if ((ev.has_parent = fast_type(f, pj) == '{') &&
	    (fast_cstr(f, jscan_child(js, pj, "namespace"), &ev.parent_ns) ||
	     fast_cstr(f, jscan_child(js, pj, "name"), &ev.parent_name)))
		return -1;
	if (fast_cstr(f, jscan_path(js, rec, "run.facets.errorMessage.message"), &ev.error_message))
		return -1;
	int outs = jscan_child(js, rec, "outputs");
	if (fast_type(f, outs) == '[')
		for (int o = js->nodes[outs].first; o >= 0; o = js->nodes[o].next)
			if (fast_int(f, jscan_path(js, o, "outputFacets.outputStatistics.rowCount"), &rows))
				chm_ol_add_rows(it, rows);
	return chm_ol_apply(&ev, &env, it);
}

static int fast_dbt_artifact(struct chm_norm *n, struct fast *f, int rec, struct norm_item *it)
{
	struct norm_env env = { NULL, n->opts.include_children, &n->s, &n->children };
	struct chm_dbt_acc a = { 0 };
	struct chm_run *run = &it->run;
	const struct jscan *js = &f->js;
	int meta = jscan_child(js, rec, "metadata"), results = jscan_child(js, rec, "results");
	int has_gen = 0, has, has_elapsed = 0;
	int64_t gen = 0, at;
	double elapsed = 0;
	long long rows;

	if (fast_type(f, meta) != '{' || fast_type(f, results) != '[' ||
	    fast_cstr(f, jscan_child(js, meta, "invocation_id"), &run->external_run_id) ||
	    !run->external_run_id)
		return -1;
	for (int r = js->nodes[results].first; r >= 0; r = js->nodes[r].next, a.n++) {
		const char *st, *msg, *uid;
		if (fast_cstr(f, jscan_child(js, r, "status"), &st))
			return -1;
		if (!st)
			continue;
		if (fast_cstr(f, jscan_child(js, r, "message"), &msg) ||
		    fast_cstr(f, jscan_child(js, r, "unique_id"), &uid))
			return -1;
		chm_dbt_result(&a, &env, it, st, msg, uid);
		if (fast_int(f, jscan_path(js, r, "adapter_response.rows_affected"), &rows))
			chm_dbt_rows(&a, rows);
		int timing = jscan_child(js, r, "timing");
		if (fast_type(f, timing) != '[')
			continue;
		for (int t = js->nodes[timing].first; t >= 0; t = js->nodes[t].next) {
			if (fast_time(f, jscan_child(js, t, "started_at"), "started_at", 0, &has, &at, it))
				return -1;
			if (has)
				chm_dbt_timing_start(&a, at);
		}
	}
	if (fast_time(f, jscan_child(js, meta, "invocation_started_at"), "invocation_started_at", 0,
		      &run->has_started, &run->started_at, it) ||
	    fast_time(f, jscan_child(js, meta, "generated_at"), "generated_at", 0, &has_gen, &gen, it))
		return -1;
	int el = jscan_child(js, rec, "elapsed_time");
	if (fast_type(f, el) == 'n') {
		if (fast_number(f, el, &elapsed))
			return -1;
		has_elapsed = elapsed >= 0;
	}
	chm_dbt_finish(&a, &env, it, has_gen, gen, has_elapsed, has_elapsed ? elapsed : 0);
	return 0;
}

static int fast_dbt_cloud(struct chm_norm *n, struct fast *f, int rec, struct norm_item *it)
{
	struct norm_env env = { NULL, n->opts.include_children, &n->s, &n->children };
	struct chm_run *run = &it->run;
	const struct jscan *js = &f->js;
	int st = jscan_child(js, rec, "status"), d = jscan_child(js, rec, "duration");
	const char *word, *msg;
	long long code;

	if (fast_id(f, jscan_child(js, rec, "id"), &run->external_run_id) || !run->external_run_id ||
	    fast_id(f, jscan_child(js, rec, "job_definition_id"), &it->external_id) ||
	    (!it->external_id && fast_id(f, jscan_child(js, rec, "job_id"), &it->external_id)))
		return -1;
	if (fast_int(f, st, &code)) {
		chm_dbt_cloud_status(&env, it, &code, NULL);
	} else if (fast_type(f, st) == 's') {
		if (fast_cstr(f, st, &word))
			return -1;
		chm_dbt_cloud_status(&env, it, NULL, word);
	} else {
		return -1;
	}
	if (fast_time(f, jscan_child(js, rec, "started_at"), "started_at", SRC_T_EPOCH_S,
		      &run->has_started, &run->started_at, it) ||
	    fast_time(f, jscan_child(js, rec, "finished_at"), "finished_at", SRC_T_EPOCH_S,
		      &run->has_finished, &run->finished_at, it))
		return -1;
	if (fast_type(f, d) && fast_type(f, d) != 'z') {
		const char *ds;
		double num;
		if (fast_type(f, d) == 's') {
			if (fast_cstr(f, d, &ds) ||
			    chm_dbt_cloud_duration(ds, NULL, &run->duration_seconds))
				return -1;
		} else if (fast_number(f, d, &num) ||
			   chm_dbt_cloud_duration(NULL, &num, &run->duration_seconds)) {
			return -1;
		}
		run->has_duration = 1;
	}
	if (fast_cstr(f, jscan_child(js, rec, "status_message"), &msg))
		return -1;
	if (msg && *msg)
		run->error_message = msg;
	else if (run->status && !strcmp(run->status, "failed") && jscan_child(js, rec, "run_steps") >= 0)
		return -1; /* the failing step's text: the general path reads run_steps */
	return 0;
}

#define VENDOR_DEPTH 8 /* the deepest mapping path the fast path reads, plus one */

static const struct chm_vendor_map *find_map(struct chm_norm *n, const char *name,
					     struct chm_err *err);

struct fast_rec {
	struct fast *f;
	int rec;
};

/* chm_val_get for the fast path: the value at path in the tree. */
static int fast_get(void *ctx, const char *path, struct chm_val *out)
{
	struct fast_rec *fr = ctx;
	struct fast *f = fr->f;
	int k = jscan_path(&f->js, fr->rec, path);
	long long i;

	memset(out, 0, sizeof(*out));
	out->type = fast_type(f, k);
	if (out->type == 's')
		return fast_cstr(f, k, &out->s);
	if (out->type == 'n') {
		if (fast_int(f, k, &i)) {
			out->type = 'i';
			out->i = i;
			return 0;
		}
		out->type = 'r';
		return fast_number(f, k, &out->d);
	}
	return 0;
}

static int fast_vendor(struct chm_norm *n, struct fast *f, int rec, struct norm_item *it)
{
	struct fast_rec fr = { f, rec };
	const struct chm_vendor_map *m;
	const char *mname, *items;
	struct chm_err err;
	int k = jscan_child(&f->js, 0, "mapping");

	if ((fast_type(f, k) && fast_type(f, k) != 'z' && fast_type(f, k) != 's') ||
	    fast_cstr(f, k, &mname) || !(m = find_map(n, mname, &err)))
		return -1;
	/* every path the mapping reads must be in the tree */
	if (1 + chm_vendor_map_depth(m) > VENDOR_DEPTH)
		return -1;
	/* a page of items is the general path's */
	if ((items = chm_vendor_map_items_path(m)) && fast_type(f, jscan_path(&f->js, rec, items)) == '[')
		return -1;
	struct norm_env env = { m, n->opts.include_children, &n->s, &n->children };
	return chm_vendor_map_vals(m, fast_get, &fr, &env, it, &err) ? -1 : 0;
}

/* The sources with a fast path, and how deep their lookups go (the line's
 * object is depth 0, "record" 1). */
static const struct {
	const struct chm_source *src;
	int depth;
	int (*map)(struct chm_norm *n, struct fast *f, int rec, struct norm_item *it);
} fast_sources[] = {
	{ &chm_src_airflow, 2, fast_airflow },
	{ &chm_src_cron, 2, fast_cron },
	{ &chm_src_openlineage, 6, fast_openlineage },
	{ &chm_src_dbt_artifact, 6, fast_dbt_artifact },
	{ &chm_src_dbt_cloud, 2, fast_dbt_cloud },
	{ &chm_src_vendor, VENDOR_DEPTH, fast_vendor },
};

/* 1 when the line was handled, 0 to take the general path. */
static int fast_raw(struct chm_norm *n, const char *line, size_t len, const struct origin *o)
{
	struct fast *f = n->fast;
	struct naming nm = { 0 };
	struct norm_item it;
	size_t i;

	/* Most lines of a mixed feed have no fast path: find "source" with a
	 * cheap skip over the top level before scanning the whole line. The
	 * skip validates nothing, so it only decides whether to try: a line it
	 * misreads takes the general path, or is checked in full by jscan. */
	const char *sv;
	size_t svlen;
	if (!chm_record_member_span(line, len, "source", &sv, &svlen) || svlen < 2 || *sv != '"')
		return 0;
	for (i = 0; i < sizeof(fast_sources) / sizeof(fast_sources[0]); i++) {
		const char *name = fast_sources[i].src->name;
		if (svlen == strlen(name) + 2 && memcmp(sv + 1, name, svlen - 2) == 0)
			break;
	}
	if (i == sizeof(fast_sources) / sizeof(fast_sources[0]))
		return 0;
	const struct chm_source *src = fast_sources[i].src;

	if (!f)
		f = n->fast = chm_xmalloc(sizeof(*f));
	memset(&f->js, 0, sizeof(f->js));
	f->js.nodes = f->nodes;
	f->js.nodes_max = FAST_NODES;
	f->js.tree_depth = fast_sources[i].depth;
	f->used = 0;
	if (jscan_object_line(&f->js, line, len) != JSCAN_OK || f->js.suspicious)
		return 0;
	int t = jscan_child(&f->js, 0, "type"), sn = jscan_child(&f->js, 0, "source");
	int rec = jscan_child(&f->js, 0, "record");
	if (t < 0 || !jspan_is(&f->nodes[t].val, "raw") || sn < 0 ||
	    !jspan_is(&f->nodes[sn].val, src->name) || fast_type(f, rec) != '{')
		return 0;
	/* chm_get_string: null is absent, another type a reject */
	static const char *const naming_keys[] = { "client", "pipeline", "external_id" };
	const char **naming_vals[] = { &nm.client, &nm.pipeline, &nm.external_id };
	for (size_t j = 0; j < 3; j++) {
		int k = jscan_child(&f->js, 0, naming_keys[j]);
		char ty = fast_type(f, k);
		if ((ty && ty != 'z' && ty != 's') || fast_cstr(f, k, naming_vals[j]))
			return 0;
	}
	/* a record holding a page is the general path's */
	for (const char *const *pk = src->page_keys; pk && *pk; pk++) {
		char ty = fast_type(f, jscan_child(&f->js, rec, *pk));
		if (ty == '[' || ty == '{')
			return 0;
	}
	if (!nm.client)
		nm.client = n->opts.client;
	if (!nm.pipeline && !nm.external_id) {
		nm.pipeline = n->opts.pipeline;
		nm.external_id = n->opts.external_id;
	}

	memset(&it, 0, sizeof(it));
	scratch_reset(&n->s);
	if (fast_sources[i].map(n, f, rec, &it))
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
		if (src == &chm_src_vendor && nm->map) {
			items = chm_vendor_map_items(nm->map, v);
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
		chm_err_set(err, CHM_EX_DATAERR, "missing_field", "mapping",
			    n->nmaps ? "a vendor record must name its \"mapping\": several are loaded"
				     : "no vendor mapping: give --mapping FILE");
		return NULL;
	}
	for (size_t i = 0; i < n->nmaps; i++)
		if (strcmp(chm_vendor_map_name(n->maps[i]), name) == 0)
			return n->maps[i];
	/* a mapping directory lets envelopes name mappings not given by --mapping */
	const char *dir = getenv("CHM_VENDOR_DIR");
	if (dir && *dir && n->nmaps < MAX_MAPPINGS && !strpbrk(name, "/.")) {
		struct strbuf path = STRBUF_INIT;
		struct chm_err lerr;
		strbuf_addf(&path, "%s/%s.json", dir, name);
		struct chm_vendor_map *m = chm_vendor_map_load(path.buf, &lerr);
		strbuf_release(&path);
		if (m) {
			n->maps[n->nmaps++] = m;
			return m;
		}
	}
	chm_err_set(err, CHM_EX_DATAERR, "unknown_mapping", "mapping",
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
		chm_err_set(&err, CHM_EX_DATAERR, "missing_field", "source",
			    "a raw record needs a \"source\"");
		goto bad;
	}
	const struct chm_source *src = find_source(source);
	if (!src) {
		chm_err_set(&err, CHM_EX_DATAERR, "unknown_source", "source",
			    "unknown source \"%.64s\" (known: airflow, dbt_cloud, dbt_artifact, "
			    "openlineage, vendor, cron)", source);
		goto bad;
	}
	json_t *rec = json_object_get(obj, "record");
	if (!json_is_object(rec) && !json_is_array(rec)) {
		chm_err_set(&err, CHM_EX_DATAERR, rec ? "wrong_type" : "missing_field", "record",
			    "a raw record needs a \"record\" object");
		goto bad;
	}
	if (!nm.client)
		nm.client = n->opts.client;
	if (!nm.pipeline && !nm.external_id) {
		nm.pipeline = n->opts.pipeline;
		nm.external_id = n->opts.external_id;
	}
	if (src == &chm_src_vendor) {
		const char *mname = NULL;
		if (chm_get_string(obj, "mapping", &mname, &err) < 0)
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
			struct chm_run run;
			if (chm_run_from_json(v, &run, &err)) {
				reject(n, o, v, 0, &err);
				return;
			}
			n->counts.runs++;
		} else {
			n->counts.passed++;
		}
		out_record(n, o, v);
		return;
	}
	if (src) {
		struct naming nm = { n->opts.client, n->opts.pipeline, n->opts.external_id, NULL };
		if (src == &chm_src_vendor && !(nm.map = find_map(n, NULL, &err))) {
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
		chm_err_set(&err, CHM_EX_DATAERR, "missing_field", "type",
			    "a record needs a string \"type\" (give --source to read bare partner records)");
	else
		chm_err_set(&err, CHM_EX_DATAERR, "not_an_object", "",
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
	} else if (src == &chm_src_vendor) {
		if (n->nmaps != 1 || !(path = chm_vendor_map_items_path(n->maps[0])))
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
	ps.placeholder = *s == '[' ? v : map ? chm_vendor_map_items(map, v) : json_object_get(v, path);
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
			chm_err_set(&rerr, CHM_EX_DATAERR, "document_too_large", "",
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
				    strstr(jerr.text, "duplicate") ? "duplicate_key" : "invalid_json", "",
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

/* One input line. *first: no line with a value read yet (a pretty-printed
 * document may start here). 1 when a document took the rest of the input,
 * -1 with err for a read error. */
static int norm_line(struct chm_norm *n, struct line_reader *lr, const char *line, size_t len,
		     int *first, struct chm_err *err)
{
	struct origin o = { lr->name, lr->lineno, line, len, NULL };
	struct chm_err rerr;
	json_error_t jerr;

	if (lr->too_long) {
		chm_err_set(&rerr, CHM_EX_DATAERR, "line_too_long", "",
			    "line is longer than the maximum line length");
		n->counts.read++;
		reject(n, &o, NULL, 0, &rerr);
		return 0;
	}
	const char *p = chm_json_skip_ws(line, line + len);
	if (p == line + len)
		return 0; /* blank lines carry nothing */
	if (memchr(line, '\0', len)) {
		chm_err_set(&rerr, CHM_EX_DATAERR, "invalid_json", "", "line contains a NUL byte");
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
	if (!v && *first && (*p == '{' || *p == '[') && (size_t)jerr.position >= len) {
		/* the value goes on past the line: a pretty-printed document,
		 * unless the next line is a whole object by itself, which is
		 * NDJSON whose first line was cut (the rest must not be lost) */
		struct strbuf doc = STRBUF_INIT;
		long first_line = lr->lineno;
		const char *next;
		size_t next_len;
		int rc;
		strbuf_add(&doc, line, len);
		*first = 0;
		int got = line_reader_next(lr, &next, &next_len, err);
		if (got < 0) {
			strbuf_release(&doc);
			return -1;
		}
		if (got > 0 && *p == '{' && !lr->too_long && is_object_line(next, next_len)) {
			struct origin o1 = { lr->name, first_line, doc.buf, doc.len, NULL };
			chm_err_set(&rerr, CHM_EX_DATAERR, "invalid_json", "",
				    "invalid JSON at column %d: %s", jerr.column, jerr.text);
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
	*first = 0;
	if (!v) {
		chm_err_set(&rerr, CHM_EX_DATAERR,
			    strstr(jerr.text, "duplicate") ? "duplicate_key" : "invalid_json", "",
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

	line_reader_init(&lr, fp, name, 0);
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
	if (opts->source && !(n->default_src = find_source(opts->source))) {
		chm_err_set(err, CHM_EX_USAGE, "unknown_source", "source",
			    "--source: unknown source \"%s\" (known: airflow, dbt_cloud, dbt_artifact, "
			    "openlineage, vendor, cron)", opts->source);
		free(n);
		return NULL;
	}
	if (opts->nmappings > MAX_MAPPINGS) {
		chm_err_set(err, CHM_EX_USAGE, "usage", "mapping", "at most %d --mapping files",
			    MAX_MAPPINGS);
		free(n);
		return NULL;
	}
	for (size_t i = 0; i < opts->nmappings; i++) {
		struct chm_vendor_map *m = chm_vendor_map_load(opts->mappings[i], err);
		if (!m) {
			chm_norm_free(n);
			return NULL;
		}
		n->maps[n->nmaps++] = m;
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
		return chm_err_set(err, CHM_EX_IOERR, "io_error", "", "write error on standard output: %s",
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
