#include "engines/loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/chmtime.h"
#include "core/copybin.h"
#include "core/db.h"
#include "core/hashmap.h"
#include "core/redact.h"
#include "core/sqlfiles.h"
#include "core/strbuf.h"
#include "engines/rundays.h"
#include "engines/transition.h"

struct staged {
	int64_t pipeline_id;
	size_t key_off, key_len;   /* external_run_id in b->text */
	size_t row_off, row_len;   /* COPY row in b->rows, without round and seq */
	int round;
	long line;
	const char *file;
	size_t input_off, input_len; /* original line in b->inputs (reject policy only) */
	size_t dur_off;            /* the duration field (\\N) within the row, when derived */
	int64_t derived_us;        /* finished - started when the event gives no duration, or -1 */
	int has_started, has_finished;
	int64_t started_at, finished_at;
	int carried;               /* its key was in the previous batch: staged, never folded */
};

enum copy_mode {
	COPY_NONE,          /* no rows built */
	COPY_STAGE_ALL,     /* every event into chm_stage */
	COPY_STAGE_CARRIED, /* the events of keys also in the previous batch into chm_stage */
	COPY_DIRECT,        /* the other keys' events, one row a key, straight into runs */
};

/* One batch: filled by chm_loader_add, then in flight until collected. */
struct batch {
	struct staged *rec;
	int n, cap;
	struct strbuf rows, text, inputs;
	struct hashmap rounds;      /* key -> events of it so far */
	int max_round;
	int keys;                   /* distinct keys: the events of round 1 */
	int fast;                   /* round 1 COPYed straight into runs */
	int copy_pending;           /* that COPY's result is not read yet */
	long end_seq;               /* chm_loader_added() when it was sent */
	int carried_keys;           /* keys also in the previous batch */
	int carried_rounds;         /* the most events one of them has here */
	struct chm_load_counts folded;   /* what the later events of new runs did, folded */
	struct strbuf fold_rejected;     /* seqs the fold refused ("1,5,9") */
	struct chm_rundays rundays;      /* what the runs COPYed straight into runs add to their days */
	struct strbuf day_rows;          /* its COPY rows, one a day, made while */
	size_t new_days;                 /* PostgreSQL inserts the runs; how many */
	int days_to_merge;               /* some of those days have a rollup row */
	int locked;                      /* chm_run_days_lock taken with the days' query */
	struct strbuf copy_rows;         /* its COPY rows, built ahead (build_copy) */
	enum copy_mode copy_built;       /* for which mode, or COPY_NONE */
};

struct chm_loader {
	PGconn *conn;
	struct chm_loader_opts opts;
	struct chm_rejects *rejects;
	struct chm_resolver resolver;
	struct chm_load_counts counts;
	struct batch batches[2];
	struct batch *fill, *inflight;   /* inflight: NULL, or sent and not collected */
	long added, durable;
	struct strbuf key, copybuf;
	struct strbuf ids;    /* the batch's pipelines, for chm_run_days_lock */
	struct strbuf day_pipelines, day_keys; /* run_days_stored.sql's parameters */
	struct strbuf stored_days; /* the COPY rows of days to merge */
	int stage_ready;
	int all_new;       /* the last batch's round 1 inserted every key */
	int first_probed;  /* the first batch asked whether its pipelines have runs */
	long committed;    /* batches committed */
	int days_added;    /* a committed batch added new days to the rollups */
	unsigned jitter;   /* rand_r state for retry backoff, per process */
};

static const char *policy_name(enum chm_regressions r)
{
	return r == CHM_REGRESSIONS_REJECT ? "reject" : r == CHM_REGRESSIONS_ACCEPT ? "accept" : "ignore";
}

static int collect(struct chm_loader *ld, struct chm_err *err);

/* The resolver is about to ask the database (a pipeline its cache does not
 * know): the batch in flight is collected first, its pipeline ended. */
static int collect_for_query(void *arg, struct chm_err *err)
{
	return collect(arg, err);
}

struct chm_loader *chm_loader_new(PGconn *conn, const struct chm_loader_opts *opts,
				  struct chm_rejects *rejects)
{
	struct chm_loader *ld = calloc(1, sizeof(*ld));
	if (!ld)
		return chm_xmalloc(0), NULL;
	ld->conn = conn;
	ld->opts = *opts;
	if (ld->opts.batch_size <= 0)
		ld->opts.batch_size = 5000;
	if (!ld->opts.batch_bytes)
		ld->opts.batch_bytes = 16u << 20;
	ld->rejects = rejects;
	ld->jitter = (unsigned)getpid() ^ (unsigned)time(NULL);
	ld->fill = &ld->batches[0];
	chm_resolver_init(&ld->resolver, conn);
	ld->resolver.before_query = collect_for_query;
	ld->resolver.before_query_arg = ld;
	return ld;
}

static void batch_reset(struct batch *b)
{
	b->n = 0;
	b->max_round = 0;
	b->keys = 0;
	b->carried_keys = b->carried_rounds = 0;
	strbuf_reset(&b->rows);
	strbuf_reset(&b->text);
	strbuf_reset(&b->inputs);
	b->copy_built = COPY_NONE;
	/* b->rounds stays until b fills again: the next batch asks it which of
	 * its keys were here (chm_loader_add_text) */
}

static void batch_release(struct batch *b)
{
	free(b->rec);
	strbuf_release(&b->rows);
	strbuf_release(&b->text);
	strbuf_release(&b->inputs);
	strbuf_release(&b->fold_rejected);
	hashmap_release(&b->rounds);
	chm_rundays_release(&b->rundays);
	strbuf_release(&b->day_rows);
	strbuf_release(&b->copy_rows);
}

void chm_loader_free(struct chm_loader *ld)
{
	if (!ld)
		return;
	chm_resolver_release(&ld->resolver);
	batch_release(&ld->batches[0]);
	batch_release(&ld->batches[1]);
	strbuf_release(&ld->key);
	strbuf_release(&ld->copybuf);
	strbuf_release(&ld->ids);
	strbuf_release(&ld->day_pipelines);
	strbuf_release(&ld->day_keys);
	strbuf_release(&ld->stored_days);
	free(ld);
}

struct chm_load_counts *chm_loader_counts(struct chm_loader *ld)
{
	return &ld->counts;
}

struct chm_resolver *chm_loader_resolver(struct chm_loader *ld)
{
	return &ld->resolver;
}

long chm_loader_added(const struct chm_loader *ld)
{
	return ld->added;
}

long chm_loader_durable(const struct chm_loader *ld)
{
	return ld->durable;
}

long chm_loader_sent(const struct chm_loader *ld)
{
	return ld->inflight ? ld->inflight->end_seq : ld->durable;
}

static void add_field_sep(struct strbuf *sb)
{
	strbuf_addc(sb, '\t');
}

static void add_null(struct strbuf *sb)
{
	strbuf_add(sb, "\\N", 2);
}

static void add_text(struct strbuf *sb, const char *s)
{
	if (s)
		strbuf_add_copy_text(sb, s, strlen(s));
	else
		add_null(sb);
}

static void add_time(struct strbuf *sb, int has, int64_t t)
{
	char buf[CHM_TIME_BUFSZ];
	if (has)
		strbuf_adds(sb, chm_time_format_pg(t, buf));
	else
		add_null(sb);
}

/* The COPY row after the round and seq columns: pipeline_id .. payload. */
/* The payload's JSON text as a COPY field. A \u0000 in it (a partner's free
 * text) would make PostgreSQL refuse the whole row: it becomes \ufffd, and
 * the event is kept. */
static void add_payload(struct strbuf *sb, const char *p, size_t n)
{
	if (!memmem(p, n, "\\u0000", 6)) {
		strbuf_add_copy_text(sb, p, n);
		return;
	}
	struct strbuf clean = STRBUF_INIT;
	for (size_t i = 0; i < n;) {
		if (p[i] == '\\' && i + 1 < n) {
			if (i + 5 < n && p[i + 1] == 'u' && !memcmp(p + i + 2, "0000", 4)) {
				strbuf_adds(&clean, "\\ufffd");
				i += 6;
			} else {
				strbuf_add(&clean, p + i, 2);
				i += 2;
			}
		} else {
			strbuf_addc(&clean, p[i++]);
		}
	}
	strbuf_add_copy_text(sb, clean.buf, clean.len);
	strbuf_release(&clean);
}

/* The row after the round and seq columns; *dur_off is where the duration
 * field starts, relative to the row. */
static void format_row(struct strbuf *sb, int64_t pipeline_id, const struct chm_run *run,
		       const char *payload, size_t payload_len, size_t *dur_off)
{
	size_t start = sb->len;

	strbuf_add_int(sb, pipeline_id);
	add_field_sep(sb);
	add_text(sb, run->external_run_id);
	add_field_sep(sb);
	strbuf_adds(sb, run->status);
	add_field_sep(sb);
	add_time(sb, run->has_started, run->started_at);
	add_field_sep(sb);
	add_time(sb, run->has_finished, run->finished_at);
	add_field_sep(sb);
	*dur_off = sb->len - start;
	if (run->has_duration)
		strbuf_add_double(sb, run->duration_seconds);
	else
		add_null(sb);
	add_field_sep(sb);
	if (run->has_rows)
		strbuf_add_int(sb, run->rows_processed);
	else
		add_null(sb);
	add_field_sep(sb);
	add_text(sb, run->error_message);
	add_field_sep(sb);
	add_text(sb, run->status_reason);
	add_field_sep(sb);
	if (payload) {
		add_payload(sb, payload, payload_len);
	} else if (run->payload) {
		char *p = json_dumps(run->payload, JSON_COMPACT);
		add_payload(sb, p, strlen(p));
		free(p);
	} else {
		add_null(sb);
	}
	strbuf_addc(sb, '\n');
}

static int send_batch(struct chm_loader *ld, struct chm_err *err);

/* A run's key in the batches' maps: pipeline id, US, external_run_id. */
static void make_key(struct strbuf *key, int64_t pipeline_id, const char *external_run_id,
		     size_t len)
{
	strbuf_reset(key);
	strbuf_add_int(key, pipeline_id);
	strbuf_addc(key, '\x1f');
	strbuf_add(key, external_run_id, len);
}

int chm_loader_add(struct chm_loader *ld, const struct chm_run *run, const char *file, long line,
		   const char *input, size_t input_len, struct chm_err *err)
{
	/* a run built by a program (chm run record, chm exec) has seen no
	 * redaction: its texts and payload are redacted here, once a run */
	struct chm_run clean = *run;
	struct strbuf em = STRBUF_INIT, sr = STRBUF_INIT;
	if (run->error_message && chm_redact_text(run->error_message, strlen(run->error_message), &em))
		clean.error_message = em.buf;
	if (run->status_reason && chm_redact_text(run->status_reason, strlen(run->status_reason), &sr))
		clean.status_reason = sr.buf;
	if (run->payload) {
		clean.payload = json_deep_copy(run->payload);
		chm_redact_json(clean.payload);
	}
	int rc = chm_loader_add_text(ld, &clean, NULL, 0, file, line, input, input_len, err);
	json_decref(clean.payload);
	strbuf_release(&em);
	strbuf_release(&sr);
	return rc;
}

int chm_loader_add_text(struct chm_loader *ld, const struct chm_run *run, const char *payload,
			size_t payload_len, const char *file, long line, const char *input,
			size_t input_len, struct chm_err *err)
{
	struct batch *b = ld->fill;
	int64_t pipeline_id;

	if (chm_resolve_run(&ld->resolver, run, &pipeline_id, err))
		return -1;
	if (!pipeline_id)
		return -1; /* err says unknown_pipeline */
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->rec = chm_xrealloc(b->rec, (size_t)b->cap * sizeof(*b->rec));
	}
	struct staged *s = &b->rec[b->n++];
	memset(s, 0, sizeof(*s));
	s->pipeline_id = pipeline_id;
	s->line = line;
	s->file = file;
	s->key_off = b->text.len;
	s->key_len = strlen(run->external_run_id);
	strbuf_add(&b->text, run->external_run_id, s->key_len);
	s->row_off = b->rows.len;
	format_row(&b->rows, pipeline_id, run, payload, payload_len, &s->dur_off);
	s->row_len = b->rows.len - s->row_off;
	s->has_started = run->has_started;
	s->started_at = run->started_at;
	s->has_finished = run->has_finished;
	s->finished_at = run->finished_at;
	/* a new run's derived duration, as chm_run_duration() gives it */
	s->derived_us = run->has_duration ? -1
					  : chm_transition_duration_us(run->has_started, run->started_at,
								       run->has_finished, run->finished_at);
	if (ld->opts.regressions == CHM_REGRESSIONS_REJECT && input) {
		s->input_off = b->inputs.len;
		s->input_len = input_len;
		strbuf_add(&b->inputs, input, input_len);
	}
	make_key(&ld->key, pipeline_id, run->external_run_id, s->key_len);
	int64_t *round = hashmap_put(&b->rounds, ld->key.buf, ld->key.len, NULL);
	s->round = (int)++*round;
	if (s->round == 1)
		b->keys++;
	if (s->round > b->max_round)
		b->max_round = s->round;
	/* a run whose events straddle two batches is stored already: upserted,
	 * not COPYed (the batch sent last keeps its keys until it fills again) */
	const struct batch *prev = b == &ld->batches[0] ? &ld->batches[1] : &ld->batches[0];
	s->carried = prev->rounds.count && hashmap_get(&prev->rounds, ld->key.buf, ld->key.len);
	if (s->carried) {
		if (s->round == 1)
			b->carried_keys++;
		if (s->round > b->carried_rounds)
			b->carried_rounds = s->round;
	}
	ld->added++;
	if (b->n >= ld->opts.batch_size || b->rows.len + b->inputs.len >= ld->opts.batch_bytes)
		return send_batch(ld, err);
	return 0;
}

static const struct batch *sort_batch; /* qsort has no context argument in C11 */

static int cmp_staged(const void *a, const void *b)
{
	const struct staged *x = a, *y = b;
	if (x->pipeline_id != y->pipeline_id)
		return x->pipeline_id < y->pipeline_id ? -1 : 1;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(sort_batch->text.buf + x->key_off, sort_batch->text.buf + y->key_off, n);
	if (c)
		return c;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	return x->round - y->round;
}

/* Reads a COPY's result: the number of rows, or -1 with err. */
static long copy_result(struct chm_loader *ld, struct chm_err *err)
{
	PGresult *res;
	long rows = -1;
	while ((res = PQgetResult(ld->conn))) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK && rows == -1)
			rows = strtol(PQcmdTuples(res), NULL, 10);
		else if (rows != -2) {
			chm_db_error(ld->conn, res, "COPY", err);
			rows = -2;
		}
		PQclear(res);
	}
	return rows < 0 ? -1 : rows;
}

/* ---- folding the events of a new run ---------------------------------------
 * A batch's rows are COPY text, so a field's value is equal exactly when its
 * text is (times and numbers are printed one way). The exception is the
 * payload, compared as jsonb compares: a line jansson read is printed again
 * compactly while a plain line's payload is copied as it came, so payloads
 * are compared without the spaces between tokens. Payloads that differ
 * otherwise (key order, escapes spelled differently) count as an update here
 * where jsonb would see none; the row stored is the same. */

enum { F_PIPELINE, F_KEY, F_STATUS, F_STARTED, F_FINISHED, F_DURATION, F_ROWS, F_ERROR,
       F_REASON, F_PAYLOAD, NFIELDS };

struct field {
	const char *p;
	size_t n;
};

/* A COPY row (with its newline) into its fields: tabs in values are escaped. */
static void split_row(const char *row, size_t len, struct field *f)
{
	const char *start = row, *end = row + len - 1;
	int k = 0;
	for (const char *p = row; p < end && k < NFIELDS - 1; p++)
		if (*p == '\t') {
			f[k++] = (struct field){ start, (size_t)(p - start) };
			start = p + 1;
		}
	f[k] = (struct field){ start, (size_t)(end - start) };
}

static int field_null(const struct field *f)
{
	return f->n == 2 && f->p[0] == '\\' && f->p[1] == 'N';
}

static int field_eq(const struct field *a, const struct field *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Payload texts (COPY-escaped JSON) equal up to spaces between tokens. */
static int payload_eq(const struct field *a, const struct field *b)
{
	size_t i = 0, j = 0;
	int in_string = 0;

	if (field_eq(a, b))
		return 1;
	if (field_null(a) || field_null(b))
		return 0;
	for (;;) {
		if (!in_string) {
			while (i < a->n && a->p[i] == ' ')
				i++;
			while (j < b->n && b->p[j] == ' ')
				j++;
		}
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		char c = a->p[i++];
		if (c != b->p[j++])
			return 0;
		if (c == '"') {
			in_string = !in_string;
		} else if (c == '\\') {
			/* COPY escapes are two characters; "\\\\" is one JSON backslash,
			 * which escapes the JSON character after it (a quote, or
			 * another COPY escape) */
			for (int k = 0; k < 3; k++) {
				if (i == a->n || j == b->n || a->p[i] != b->p[j])
					return 0;
				char d = a->p[i++];
				j++;
				if (d != '\\' || k == 2)
					break;
			}
		}
	}
}

/* A status field as a string (the enum's names are short). */
static const char *field_str(const struct field *f, char *buf, size_t cap)
{
	size_t n = f->n < cap ? f->n : cap - 1;
	memcpy(buf, f->p, n);
	buf[n] = '\0';
	return buf;
}

/* A duration as the loader prints it: what PostgreSQL reads back as the
 * same double. */
static struct field duration_field(int64_t us, char *buf)
{
	if (us < 0)
		return (struct field){ "\\N", 2 };
	return (struct field){ buf, chm_double_text((double)us / 1e6, buf) };
}

/* Appends to out the row that inserting b->rec[i0] and then applying
 * rec[i0+1..i1) in order, as load_runs.sql's rounds would, leaves; counts
 * what each later event did as the upsert counts it. Returns 1, with nothing
 * appended or counted, for a run that meets two events of equal standing (the
 * same terminal status) with different payloads: the greater payload in
 * jsonb's order wins between them (012_equal_standing_payload.sql), which
 * only PostgreSQL can tell, so the run is marked carried and staged with the
 * runs the last batch had. Rare in a real feed: a finished run's event
 * repeated with other facets. */
/* The run as the fold has it so far: its row's fields and its times. */
struct fold_state {
	struct field f[NFIELDS];
	char dur[CHM_DOUBLE_BUFSZ]; /* a derived duration f[F_DURATION] points at */
	int has_started, has_finished;
	int64_t started, finished;
};

/* Undoes what the fold of b->rec[i0..i1) counted, and leaves its events to
 * the staged upsert: carried, in their rounds. */
static void carry_run(struct batch *b, int i0, int i1, const struct chm_load_counts *counted,
		      size_t rejected_len)
{
	b->folded = *counted;
	b->fold_rejected.len = rejected_len;
	if (b->fold_rejected.buf)
		b->fold_rejected.buf[rejected_len] = '\0';
	for (int j = i0; j < i1; j++) {
		b->rec[j].carried = 1;
		if (b->rec[j].round > b->carried_rounds)
			b->carried_rounds = b->rec[j].round;
	}
}

/* The run after event e with fields ev (action a), into next; counts what
 * the event did as the upsert counts it. */
static void apply_event(struct batch *b, const struct fold_state *cur, const struct staged *e,
			const struct field *ev, const char *ev_dur, enum chm_transition a,
			struct fold_state *next)
{
	memcpy(next->f, cur->f, sizeof(cur->f));
	if (chm_transition_takes_new_status(a))
		next->f[F_STATUS] = ev[F_STATUS];
	for (int f = F_STARTED; f < NFIELDS; f++)
		if (chm_transition_takes_new(a, field_null(&cur->f[f]), field_null(&ev[f])))
			next->f[f] = ev[f];
	next->has_started = cur->has_started;
	next->started = cur->started;
	next->has_finished = cur->has_finished;
	next->finished = cur->finished;
	if (next->f[F_STARTED].p == ev[F_STARTED].p) {
		next->has_started = e->has_started;
		next->started = e->started_at;
	}
	if (next->f[F_FINISHED].p == ev[F_FINISHED].p) {
		next->has_finished = e->has_finished;
		next->finished = e->finished_at;
	}
	if (field_null(&next->f[F_DURATION]))
		next->f[F_DURATION] = duration_field(
			chm_transition_duration_us(next->has_started, next->started,
						   next->has_finished, next->finished),
			next->dur);
	int same = 1;
	for (int f = F_STATUS; f < F_PAYLOAD && same; f++)
		same = field_eq(&next->f[f], &cur->f[f]);
	same = same && payload_eq(&next->f[F_PAYLOAD], &cur->f[F_PAYLOAD]);
	if (!same)
		b->folded.updated++;
	else if (a == CHM_TRANSITION_FILL || a == CHM_TRANSITION_OLDER)
		b->folded.ignored++;
	else
		b->folded.unchanged++;
	/* the duration must outlive the event's buffers */
	if (next->f[F_DURATION].p == ev_dur || next->f[F_DURATION].p == cur->dur) {
		memmove(next->dur, next->f[F_DURATION].p, next->f[F_DURATION].n);
		next->f[F_DURATION].p = next->dur;
	}
}

static int fold_run(struct chm_loader *ld, struct batch *b, int i0, int i1, struct strbuf *out,
		    int *has_started, int64_t *started)
{
	struct chm_load_counts counted = b->folded;
	size_t rejected_len = b->fold_rejected.len;
	struct fold_state st[2], *cur = &st[0], *next = &st[1];
	struct field ev[NFIELDS];
	char ev_dur[CHM_DOUBLE_BUFSZ], old_status[16], new_status[16];
	const struct staged *s = &b->rec[i0];

	cur->has_started = s->has_started;
	cur->has_finished = s->has_finished;
	cur->started = s->started_at;
	cur->finished = s->finished_at;
	split_row(b->rows.buf + s->row_off, s->row_len, cur->f);
	if (s->derived_us >= 0)
		cur->f[F_DURATION] = duration_field(s->derived_us, cur->dur);
	for (int i = i0 + 1; i < i1; i++) {
		const struct staged *e = &b->rec[i];
		split_row(b->rows.buf + e->row_off, e->row_len, ev);
		/* an event with both times has the duration they give (as EXCLUDED has) */
		if (e->derived_us >= 0)
			ev[F_DURATION] = duration_field(e->derived_us, ev_dur);
		enum chm_transition a = chm_transition_action(
			field_str(&cur->f[F_STATUS], old_status, sizeof(old_status)), cur->has_started,
			cur->started, cur->has_finished, cur->finished,
			field_str(&ev[F_STATUS], new_status, sizeof(new_status)),
			e->has_started, e->started_at, ld->opts.regressions);
		if (a == CHM_TRANSITION_REJECT) {
			if (b->fold_rejected.len)
				strbuf_addc(&b->fold_rejected, ',');
			strbuf_add_int(&b->fold_rejected, i);
			continue;
		}
		if (a == CHM_TRANSITION_MERGE && !strcmp(old_status, new_status) &&
		    strcmp(old_status, "running") && !field_null(&cur->f[F_PAYLOAD]) &&
		    !field_null(&ev[F_PAYLOAD]) && !payload_eq(&cur->f[F_PAYLOAD], &ev[F_PAYLOAD])) {
			carry_run(b, i0, i1, &counted, rejected_len);
			return 1;
		}
		apply_event(b, cur, e, ev, ev_dur, a, next);
		struct fold_state *t = cur;
		cur = next;
		next = t;
	}
	for (int f = 0; f < NFIELDS; f++) {
		if (f)
			strbuf_addc(out, '\t');
		strbuf_add(out, cur->f[f].p, cur->f[f].n);
	}
	strbuf_addc(out, '\n');
	*has_started = cur->has_started;
	*started = cur->started;
	return 0;
}

/* A run COPYed straight into runs, as its row says it is stored, to the
 * sums of its day (lib/engines/rundays.c). */
static void note_new_run(struct batch *b, int64_t pipeline_id, const char *row, size_t len,
			 int has_started, int64_t started)
{
	struct field f[NFIELDS];
	split_row(row, len - 1, f); /* without its line break */
	int has_duration = !field_null(&f[F_DURATION]);
	double duration = 0;
	if (has_duration) {
		char num[64];
		duration = strtod(field_str(&f[F_DURATION], num, sizeof(num)), NULL);
	}
	chm_rundays_add(&b->rundays, pipeline_id, f[F_STATUS].p, f[F_STATUS].n, has_started, started,
			has_duration, duration);
}

/* The row of a new run COPYed straight into runs (its events folded into
 * one, or its one event with the duration it derives), noted in the sums of
 * its day. */
static void add_direct_row(struct chm_loader *ld, struct batch *b, int i, int last)
{
	const struct staged *s = &b->rec[i];
	const char *row = b->rows.buf + s->row_off;
	size_t row_at = b->copy_rows.len;
	int has_started = s->has_started;
	int64_t started = s->started_at;
	if (last - i > 1) {
		if (fold_run(ld, b, i, last, &b->copy_rows, &has_started, &started))
			return; /* carried, staged later */
	} else if (s->derived_us >= 0) {
		/* the "\N" of the duration becomes the derived one */
		strbuf_add(&b->copy_rows, row, s->dur_off);
		strbuf_add_double(&b->copy_rows, (double)s->derived_us / 1e6);
		strbuf_add(&b->copy_rows, row + s->dur_off + 2, s->row_len - s->dur_off - 2);
	} else {
		strbuf_add(&b->copy_rows, row, s->row_len);
	}
	note_new_run(b, s->pipeline_id, b->copy_rows.buf + row_at, b->copy_rows.len - row_at,
		     has_started, started);
}

/* Where the events of b->rec[i]'s key end, i being its first: the batch
 * is sorted by key and round, so a key's later events follow its first. */
static int key_end(const struct batch *b, int i)
{
	int end = i + 1;
	while (end < b->n && b->rec[end].round > 1)
		end++;
	return end;
}

/* The rows of a batch's COPY straight into runs (its keys' events folded),
 * with what they add to their days. */
static void build_direct(struct chm_loader *ld, struct batch *b)
{
	memset(&b->folded, 0, sizeof(b->folded));
	strbuf_reset(&b->fold_rejected);
	chm_rundays_reset(&b->rundays);
	for (int i = 0; i < b->n; i++)
		if (!b->rec[i].carried && b->rec[i].round == 1)
			add_direct_row(ld, b, i, key_end(b, i));
	strbuf_reset(&b->day_rows);
	b->new_days = chm_rundays_copy_rows(&b->rundays, &b->day_rows);
}

/* One staged event as a binary COPY tuple (core/copybin.h): chm_stage's
 * round, events, seq, then the run's fields from its row. */
static void add_stage_tuple(const struct batch *b, const struct staged *s, int events, int seq,
			    struct strbuf *out)
{
	struct field f[NFIELDS];
	split_row(b->rows.buf + s->row_off, s->row_len, f);
	copybin_tuple(out, 3 + NFIELDS);
	copybin_int4(out, s->round);
	copybin_int4(out, events);
	copybin_int4(out, seq);
	copybin_int8(out, s->pipeline_id);
	copybin_text(out, b->text.buf + s->key_off, s->key_len);
	copybin_text(out, f[F_STATUS].p, f[F_STATUS].n);
	if (s->has_started)
		copybin_timestamptz(out, s->started_at);
	else
		copybin_null(out);
	if (s->has_finished)
		copybin_timestamptz(out, s->finished_at);
	else
		copybin_null(out);
	/* the fields end at a tab (or the row's newline): strtod and strtoll
	 * stop there, and read what float8in and int8in would */
	if (field_null(&f[F_DURATION]))
		copybin_null(out);
	else
		copybin_float8(out, strtod(f[F_DURATION].p, NULL));
	if (field_null(&f[F_ROWS]))
		copybin_null(out);
	else
		copybin_int8(out, strtoll(f[F_ROWS].p, NULL, 10));
	for (int k = F_ERROR; k <= F_REASON; k++)
		if (field_null(&f[k]))
			copybin_null(out);
		else
			copybin_text_unescape(out, f[k].p, f[k].n);
	if (field_null(&f[F_PAYLOAD]))
		copybin_null(out);
	else
		copybin_jsonb_unescape(out, f[F_PAYLOAD].p, f[F_PAYLOAD].n);
}

/* The staged rows of a batch's events into OUT, all of them or the
 * carried keys' only, as binary COPY data: the server reads a binary row
 * in about 60% of the time it parses the same row as text. */
static void build_stage(const struct batch *b, enum copy_mode mode, struct strbuf *out)
{
	int events = 0; /* the key's, in this batch */
	copybin_header(out);
	for (int i = 0; i < b->n; i++) {
		const struct staged *s = &b->rec[i];
		if (s->round == 1)
			events = key_end(b, i) - i;
		if (mode == COPY_STAGE_CARRIED && !s->carried)
			continue;
		add_stage_tuple(b, s, events, i, out);
	}
	copybin_trailer(out);
}

/* A batch's COPY rows for MODE. Those of a batch's first COPY are built
 * while the batch before it is still in flight: PostgreSQL would otherwise
 * wait for them between the two, and a first load spent a tenth of its time
 * in that wait. */
static void build_copy(struct chm_loader *ld, struct batch *b, enum copy_mode mode)
{
	strbuf_reset(&b->copy_rows);
	if (mode == COPY_DIRECT)
		build_direct(ld, b);
	else
		build_stage(b, mode, &b->copy_rows);
	b->copy_built = mode;
}

/* Sends ROWS as COPY data in pieces a socket takes. */
static int put_copy(struct chm_loader *ld, const char *rows, size_t len, struct chm_err *err)
{
	for (size_t at = 0; at < len;) {
		size_t n = len - at < (256u << 10) ? len - at : (256u << 10);
		if (PQputCopyData(ld->conn, rows + at, (int)n) != 1)
			return chm_db_error(ld->conn, NULL, "COPY", err);
		at += n;
	}
	return 0;
}


/* COPYs the batch's rows; for COPY_DIRECT returns without reading the
 * result, so PostgreSQL inserts while the caller parses on. */
static int send_copy(struct chm_loader *ld, struct batch *b, enum copy_mode mode,
		     struct chm_err *err)
{
	PGresult *res = PQexec(ld->conn,
			       mode == COPY_DIRECT
				       ? "COPY runs (pipeline_id, external_run_id, status, "
					 "started_at, finished_at, duration_seconds, rows_processed, "
					 "error_message, status_reason, payload) FROM STDIN"
				       : "COPY chm_stage (round, events, seq, pipeline_id, external_run_id, status, "
					 "started_at, finished_at, duration_seconds, rows_processed, "
					 "error_message, status_reason, payload) FROM STDIN (FORMAT binary)");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		chm_db_error(ld->conn, res, "COPY", err);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (b->copy_built != mode)
		build_copy(ld, b, mode);
	b->copy_built = COPY_NONE;
	if (put_copy(ld, b->copy_rows.buf, b->copy_rows.len, err))
		return -1;
	if (PQputCopyEnd(ld->conn, NULL) != 1)
		return chm_db_error(ld->conn, NULL, "COPY", err);
	return mode == COPY_DIRECT || copy_result(ld, err) >= 0 ? 0 : -1;
}

/* Rejects the staged records whose seq is listed ("1,5,9"), for --regressions reject. */
static void reject_listed(struct chm_loader *ld, const struct batch *b, const char *list)
{
	for (const char *p = list; *p;) {
		char *end;
		long seq = strtol(p, &end, 10);
		if (end == p)
			break;
		if (seq >= 0 && seq < b->n) {
			const struct staged *s = &b->rec[seq];
			chm_reject(ld->rejects, s->file, s->line, CHM_E_STALE_REGRESSION, "status",
				   "the run is already in a terminal state with a different status, "
				   "and this event is not a newer attempt",
				   b->inputs.len ? b->inputs.buf + s->input_off : NULL, s->input_len);
			ld->counts.rejected++;
		}
		p = *end ? end + 1 : end;
	}
}

static void abort_batch(struct chm_loader *ld)
{
	if (PQpipelineStatus(ld->conn) != PQ_PIPELINE_OFF) {
		PGresult *res;
		/* drain what the pipeline still holds, then leave it */
		for (int idle = 0; idle < 2 && PQstatus(ld->conn) == CONNECTION_OK;) {
			res = PQgetResult(ld->conn);
			if (!res) {
				idle++;
				continue;
			}
			idle = 0;
			int sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
			PQclear(res);
			if (sync)
				break;
		}
		PQexitPipelineMode(ld->conn);
	}
	if (PQstatus(ld->conn) == CONNECTION_OK)
		PQclear(PQexec(ld->conn, "ROLLBACK"));
}

/* The batch's pipelines as an array literal, for chm_run_days_lock (040). */
static void pipeline_ids(const struct batch *b, struct strbuf *ids)
{
	strbuf_reset(ids);
	strbuf_addc(ids, '{');
	for (int i = 0; i < b->n; i++) {
		if (i > 0 && b->rec[i].pipeline_id == b->rec[i - 1].pipeline_id)
			continue; /* sorted by key: a pipeline's runs are together */
		if (ids->len > 1)
			strbuf_addc(ids, ',');
		strbuf_add_int(ids, b->rec[i].pipeline_id);
	}
	strbuf_addc(ids, '}');
}

/* Sends the lock of the batch's pipelines' rollups (chm_run_days_lock, 040:
 * before the upserts read runs, and before the new days are stored, so a
 * recount sees every other loader's runs of its days committed; a COPY
 * straight into runs reads nothing). */
static int send_lock(struct chm_loader *ld, const struct batch *b, struct chm_err *err)
{
	const char *ids[1];
	pipeline_ids(b, &ld->ids);
	ids[0] = ld->ids.buf;
	if (PQsendQueryParams(ld->conn, "SELECT chm_run_days_lock($1::bigint[])", 1, NULL, ids, NULL,
			      NULL, 0) != 1)
		return chm_db_error(ld->conn, NULL, "lock", err);
	return 0;
}

/* Sends, in pipeline mode and without waiting for them: the lock (unless
 * the batch's new days took it), the upserts of rounds 1..last, the
 * rollups' refresh (the stored days the batch's COPY added to, and those
 * its upserts touched: chm_run_days_refresh), the DELETE of the staged rows
 * and the COMMIT. */
static int send_rounds(struct chm_loader *ld, const struct batch *b, int last, struct chm_err *err)
{
	char round_s[16];
	const char *params[2] = { round_s, policy_name(ld->opts.regressions) };
	const char *new_days[1] = { b->days_to_merge ? "true" : "false" };

	if (PQenterPipelineMode(ld->conn) != 1)
		return chm_db_error(ld->conn, NULL, "pipeline mode", err);
	if (!b->locked && send_lock(ld, b, err))
		return -1;
	for (int round = 1; round <= last; round++) {
		snprintf(round_s, sizeof(round_s), "%d", round);
		if (PQsendQueryPrepared(ld->conn, "chm_load_runs", 2, params, NULL, NULL, 0) != 1)
			return chm_db_error(ld->conn, NULL, "upsert", err);
	}
	/* the staging table is shared: a batch leaves nothing in it
	 * (025_stage_table.sql) */
	if (PQsendQueryParams(ld->conn, "SELECT chm_run_days_refresh($1::boolean)", 1, NULL,
			      new_days, NULL, NULL, 0) != 1 ||
	    PQsendQueryParams(ld->conn, "DELETE FROM chm_stage", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    PQsendQueryParams(ld->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    PQpipelineSync(ld->conn) != 1)
		return chm_db_error(ld->conn, NULL, "upsert", err);
	/* push the queries to the server now, not when we next read */
	while (PQflush(ld->conn) == 1)
		;
	return 0;
}

static int prepare(struct chm_loader *ld, const char *name, const char *file,
		   struct chm_err *err)
{
	PGresult *res = PQprepare(ld->conn, name, chm_sql(file), 2, NULL);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : chm_db_error(ld->conn, res, "prepare", err);
	PQclear(res);
	return rc;
}

/* The first batch has no batch before it to say whether its keys are new:
 * when none of its pipelines has a stored run (a first load, a new client)
 * they are, and it goes straight into runs too. Sets ld->all_new; -1 with
 * err when the question fails. */
static int pipelines_have_no_runs(struct chm_loader *ld, const struct batch *b,
				  struct chm_err *err)
{
	const char *ids[1];
	pipeline_ids(b, &ld->ids);
	ids[0] = ld->ids.buf;
	PGresult *res = chm_db_query_file(ld->conn, "queries/runs_none_of.sql", 1, ids, err);
	if (!res)
		return -1;
	ld->all_new = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

/* Starts a batch without waiting for PostgreSQL to apply it. Usually: BEGIN,
 * COPY into staging, then every round's upsert and the COMMIT pipelined.
 * When the last batch's keys were all new (a first load, a feed of new
 * runs), its keys are taken to be new too: each key's events are folded into
 * one row (lib/transition) and COPYed straight into runs, neither staged nor
 * probed, and the result read when the batch is collected; only the keys the
 * previous batch also had go through staging. A key that exists after all
 * fails that COPY, and collect() runs the batch again the usual way. */
static int start_batch(struct chm_loader *ld, struct batch *b, struct chm_err *err)
{
	if (!ld->stage_ready) {
		/* prepared once: parsing and planning the upsert for every batch
		 * cost 7% of the server's time in an unchanged replay */
		if (prepare(ld, "chm_load_runs", "queries/load_runs.sql", err) ||
		    prepare(ld, "chm_run_days_stored", "queries/run_days_stored.sql", err))
			return -1;
		ld->stage_ready = 1;
	}
	if (!ld->first_probed) {
		ld->first_probed = 1;
		if (!ld->all_new && pipelines_have_no_runs(ld, b, err) < 0)
			return -1;
	}
	b->fast = ld->all_new;
	/* the staged batch is small, whatever the staging table's statistics
	 * say: probe runs by its unique index, never hash or sort all of runs
	 * (PERF-NOTES); and never compile a batch's statements (JIT), which
	 * those statistics priced at 20 ms where running them takes 2 */
	if (chm_db_exec(ld->conn, "BEGIN; SET LOCAL enable_hashjoin = off; "
				  "SET LOCAL enable_mergejoin = off; SET LOCAL jit = off", err))
		goto fail;
	b->days_to_merge = b->locked = 0;
	if (b->fast) {
		if (send_copy(ld, b, COPY_DIRECT, err))
			goto fail;
		b->copy_pending = 1;
		return 0;
	}
	/* what rows built ahead for the fast path added to their days: the
	 * upsert's days are recounted from runs instead */
	chm_rundays_reset(&b->rundays);
	b->new_days = 0;
	if (send_copy(ld, b, COPY_STAGE_ALL, err) || send_rounds(ld, b, b->max_round, err))
		goto fail;
	return 0;
fail:
	b->copy_pending = 0;
	abort_batch(ld);
	return -1;
}

static int lock_result(struct chm_loader *ld, struct chm_err *err)
{
	PGresult *res = PQgetResult(ld->conn);
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : chm_db_error(ld->conn, res, "lock", err);
	PQclear(res);
	PQclear(PQgetResult(ld->conn)); /* the NULL that ends its results */
	return rc;
}

/* The sync that ends a pipeline's queries; what names the step for an error. */
static int sync_result(struct chm_loader *ld, const char *what, struct chm_err *err)
{
	PGresult *res = PQgetResult(ld->conn);
	int rc = PQresultStatus(res) == PGRES_PIPELINE_SYNC ? 0 : chm_db_error(ld->conn, res, what, err);
	PQclear(res);
	return rc;
}

static int copy_rows(struct chm_loader *ld, const char *copy, const struct strbuf *rows,
		     struct chm_err *err)
{
	if (!rows->len)
		return 0;
	PGresult *res = PQexec(ld->conn, copy);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		chm_db_error(ld->conn, res, "COPY", err);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (PQputCopyData(ld->conn, rows->buf, (int)rows->len) != 1 ||
	    PQputCopyEnd(ld->conn, NULL) != 1)
		return chm_db_error(ld->conn, NULL, "COPY", err);
	return copy_result(ld, err) >= 0 ? 0 : -1;
}

/* Locks the batch's pipelines' rollups and asks which of its new days are
 * stored (run_days_stored.sql), in one round trip. */
static int find_stored_days(struct chm_loader *ld, struct batch *b, struct chm_err *err)
{
	const char *params[2];
	PGresult *res;
	int rc = 0;

	chm_rundays_keys(&b->rundays, &ld->day_pipelines, &ld->day_keys);
	params[0] = ld->day_pipelines.buf;
	params[1] = ld->day_keys.buf;
	if (PQenterPipelineMode(ld->conn) != 1)
		return chm_db_error(ld->conn, NULL, "pipeline mode", err);
	if (send_lock(ld, b, err) ||
	    PQsendQueryPrepared(ld->conn, "chm_run_days_stored", 2, params, NULL, NULL, 0) != 1 ||
	    PQpipelineSync(ld->conn) != 1)
		return chm_db_error(ld->conn, NULL, "rollups", err);
	if (lock_result(ld, err))
		return -1;
	res = PQgetResult(ld->conn);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = chm_db_error(ld->conn, res, "rollups", err);
	for (int i = 0; rc == 0 && i < PQntuples(res); i++)
		chm_rundays_mark_stored(&b->rundays, strtoll(PQgetvalue(res, i, 0), NULL, 10),
					strtoll(PQgetvalue(res, i, 1), NULL, 10));
	PQclear(res);
	if (rc == 0) {
		PQclear(PQgetResult(ld->conn)); /* the NULL that ends its results */
		rc = sync_result(ld, "rollups", err);
	}
	if (rc == 0 && PQexitPipelineMode(ld->conn) != 1)
		rc = chm_db_error(ld->conn, NULL, "pipeline mode", err);
	b->locked = rc == 0;
	return rc;
}

/* Stores what the batch's runs COPYed straight into runs add to their days:
 * a day without a rollup row is COPYed into chm_run_days, a stored one into
 * chm_run_days_new for chm_run_days_refresh (040) to merge. */
static int send_new_days(struct chm_loader *ld, struct batch *b, struct chm_err *err)
{
	if (!b->new_days)
		return 0;
	if (find_stored_days(ld, b, err))
		return -1;
	strbuf_reset(&ld->copybuf);
	strbuf_reset(&ld->stored_days);
	b->days_to_merge =
		chm_rundays_split(&b->rundays, &b->day_rows, &ld->copybuf, &ld->stored_days) > 0;
	int rc = copy_rows(ld, "COPY chm_run_days (" CHM_RUNDAYS_COLUMNS ") FROM STDIN",
			   &ld->copybuf, err) ||
		 copy_rows(ld, "COPY chm_run_days_new (" CHM_RUNDAYS_COLUMNS ") FROM STDIN",
			   &ld->stored_days, err);
	strbuf_reset(&ld->copybuf);
	return rc ? -1 : 0;
}

/* The folded new keys went straight into runs: their COPY's count, then
 * the carried keys' upsert rounds sent. -1 with err. */
static int finish_direct(struct chm_loader *ld, struct batch *b, struct chm_load_counts *delta,
			 struct strbuf *rejected, int *last, struct chm_err *err)
{
	b->copy_pending = 0;
	long rows = copy_result(ld, err);
	if (rows < 0)
		return -1;
	delta->inserted += rows;
	if (send_new_days(ld, b, err))
		return -1;
	delta->updated += b->folded.updated;
	delta->unchanged += b->folded.unchanged;
	delta->ignored += b->folded.ignored;
	if (b->fold_rejected.len)
		strbuf_add(rejected, b->fold_rejected.buf, b->fold_rejected.len);
	*last = b->carried_rounds;
	if ((*last > 0 && send_copy(ld, b, COPY_STAGE_CARRIED, err)) ||
	    send_rounds(ld, b, *last, err))
		return -1;
	return 0;
}

/* The result of round q (after the last round: the DELETE of the staged
 * rows, then the COMMIT): its counts, and the events it refused. -1 with err. */
static int round_result(struct chm_loader *ld, struct batch *b, int q, int last,
			struct chm_load_counts *delta, struct strbuf *rejected, int *all_new,
			struct chm_err *err)
{
	PGresult *res = PQgetResult(ld->conn);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		chm_db_error(ld->conn, res,
			     q < last ? "upsert" : q == last ? "rollups" : q == last + 1 ? "staging" : "COMMIT",
			     err);
		PQclear(res);
		return -1;
	}
	if (q < last) {
		long candidates = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		long ins = strtol(PQgetvalue(res, 0, 1), NULL, 10);
		long upd = strtol(PQgetvalue(res, 0, 2), NULL, 10);
		delta->inserted += ins;
		delta->updated += upd;
		/* a key the last batch had is no sign of a feed of old runs */
		if (q == 0 && !b->fast)
			*all_new = ins + b->carried_keys >= b->keys;
		/* a candidate a concurrent loader already brought up to date */
		delta->unchanged += strtol(PQgetvalue(res, 0, 3), NULL, 10) + (candidates - ins - upd);
		delta->ignored += strtol(PQgetvalue(res, 0, 4), NULL, 10);
		if (PQgetvalue(res, 0, 5)[0]) {
			if (rejected->len)
				strbuf_addc(rejected, ',');
			strbuf_adds(rejected, PQgetvalue(res, 0, 5));
		}
	}
	PQclear(res);
	res = PQgetResult(ld->conn); /* the NULL that ends each query's results */
	PQclear(res);
	return rc;
}

/* Waits for a started batch: the rounds' counts, the COMMIT, the sync. */
static int finish_batch(struct chm_loader *ld, struct batch *b, struct chm_err *err)
{
	struct chm_load_counts delta = { 0 };
	struct strbuf rejected = STRBUF_INIT;
	int rc = 0, all_new = 0, last = b->max_round;

	if (b->copy_pending) {
		all_new = 1;
		rc = finish_direct(ld, b, &delta, &rejected, &last, err);
	}
	/* the lock's result, the rounds', the recount's, the DELETE of the
	 * staged rows', COMMIT's */
	if (rc == 0 && !b->locked)
		rc = lock_result(ld, err);
	for (int q = 0; q <= last + 2 && rc == 0; q++)
		rc = round_result(ld, b, q, last, &delta, &rejected, &all_new, err);
	if (rc == 0)
		rc = sync_result(ld, "COMMIT", err);
	if (rc) {
		abort_batch(ld);
		strbuf_release(&rejected);
		return -1;
	}
	PQexitPipelineMode(ld->conn);
	ld->all_new = all_new;
	if (b->new_days)
		ld->days_added = 1;
	ld->counts.inserted += delta.inserted;
	ld->counts.updated += delta.updated;
	ld->counts.unchanged += delta.unchanged;
	ld->counts.ignored += delta.ignored;
	if (rejected.len)
		reject_listed(ld, b, rejected.buf);
	strbuf_release(&rejected);
	ld->durable = b->end_seq;
	return 0;
}

/* Collects the batch in flight. A batch PostgreSQL aborted as a deadlock
 * (rows are locked in key order, but a key unchanged in one round and
 * changed in a later one can still close a cycle) is still in memory and
 * simply runs again. */
static int collect(struct chm_loader *ld, struct chm_err *err)
{
	struct batch *b = ld->inflight;
	if (!b)
		return 0;
	int rc = finish_batch(ld, b, err);
	/* the fast path met a stored key: the upsert decides. Citus reports a
	 * shard's unique violation in a COPY as XX000 (a db_error), so any
	 * failure but a lost connection goes to the upsert, which reports an
	 * error of its own if there is one. */
	if (rc && b->fast && PQstatus(ld->conn) == CONNECTION_OK &&
	    (err->kind == CHM_E_CONFLICT || err->kind == CHM_E_DB_ERROR)) {
		ld->all_new = 0;
		rc = start_batch(ld, b, err);
		if (rc == 0)
			rc = finish_batch(ld, b, err);
	}
	for (int attempt = 1; rc && err->kind == CHM_E_DB_CONFLICT && attempt < 8; attempt++) {
		usleep((useconds_t)(1000 * attempt * (1 + rand_r(&ld->jitter) % 20)));
		/* a COPY straight into runs takes the rollup lock after its rows:
		 * a loader upserting one of them can close a cycle, and the keys
		 * may be stored by now; the upsert decides */
		ld->all_new = 0;
		rc = start_batch(ld, b, err);
		if (rc == 0)
			rc = finish_batch(ld, b, err);
	}
	if (rc == 0) {
		batch_reset(b);
		ld->inflight = NULL;
	}
	return rc;
}

/* The staging tables (chm_stage, chm_run_days_new, chm_run_days_dirty)
 * are emptied by DELETE at every COMMIT, and their dead rows stay until a
 * VACUUM: autovacuum comes once a minute at most, and a replay of 1M runs
 * then read and deleted through 1M dead staged rows a batch (DELETE FROM
 * chm_stage took 13 ms a batch by the end, and grew with every load). The
 * loader vacuums them itself every few batches, skipping a table another
 * session is vacuuming; housekeeping only, so a refusal (a role that does
 * not own them) is not an error. */
#define VACUUM_EVERY 16

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void vacuum_staging(struct chm_loader *ld)
{
	if (++ld->committed % VACUUM_EVERY)
		return;
	/* its "skipping" warnings are not the user's business */
	PQnoticeProcessor prev = PQsetNoticeProcessor(ld->conn, ignore_notice, NULL);
	PQclear(PQexec(ld->conn, "VACUUM (SKIP_LOCKED) chm_stage, chm_run_days_new, chm_run_days_dirty"));
	PQsetNoticeProcessor(ld->conn, prev, NULL);
}

static int send_batch(struct chm_loader *ld, struct chm_err *err)
{
	struct batch *b = ld->fill;
	int had = ld->inflight != NULL;
	if (b->n > 0) {
		sort_batch = b;
		qsort(b->rec, (size_t)b->n, sizeof(*b->rec), cmp_staged);
		/* its rows, as the batch in flight says it will go, while
		 * PostgreSQL still works on that one */
		build_copy(ld, b, ld->all_new ? COPY_DIRECT : COPY_STAGE_ALL);
	}
	if (collect(ld, err))
		return -1;
	if (had)
		vacuum_staging(ld);
	if (b->n == 0)
		return 0;
	b->end_seq = ld->added;
	if (start_batch(ld, b, err))
		return -1;
	ld->inflight = b;
	ld->fill = b == &ld->batches[0] ? &ld->batches[1] : &ld->batches[0];
	hashmap_clear(&ld->fill->rounds);
	return 0;
}

/* New runs that fell between a day's stored outcomes left Q7's columns
 * of that day to recount (sf_stale, 040): once, when the load is done, not
 * once a batch. */
static int settle_days(struct chm_loader *ld, struct chm_err *err)
{
	if (!ld->days_added)
		return 0;
	PGresult *res = PQexec(ld->conn, "SELECT chm_run_days_settle()");
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : chm_db_error(ld->conn, res, "settle", err);
	PQclear(res);
	if (rc == 0)
		ld->days_added = 0;
	return rc;
}

int chm_loader_flush(struct chm_loader *ld, struct chm_err *err)
{
	if (send_batch(ld, err) || collect(ld, err))
		return -1;
	return settle_days(ld, err);
}
