#include "loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chmtime.h"
#include "db.h"
#include "hashmap.h"
#include "sqlfiles.h"
#include "strbuf.h"

struct staged {
	int64_t pipeline_id;
	size_t key_off, key_len;   /* external_run_id in ld->text */
	size_t row_off, row_len;   /* COPY row in ld->rows, without the round */
	int round;
	long line;
	const char *file;
	size_t input_off, input_len; /* original line in ld->inputs (reject policy only) */
};

struct chm_loader {
	PGconn *conn;
	struct chm_loader_opts opts;
	struct chm_rejects *rejects;
	struct chm_resolver resolver;
	struct chm_load_counts counts;
	struct staged *batch;
	int n, cap;
	struct strbuf rows, text, inputs, key, copybuf;
	struct hashmap rounds;
	int max_round;
	int stage_ready;
	unsigned jitter;   /* rand_r state for retry backoff, per process */
};

static const char *policy_name(enum chm_regressions r)
{
	return r == CHM_REGRESSIONS_REJECT ? "reject" : r == CHM_REGRESSIONS_ACCEPT ? "accept" : "ignore";
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
	chm_resolver_init(&ld->resolver, conn);
	return ld;
}

void chm_loader_free(struct chm_loader *ld)
{
	if (!ld)
		return;
	chm_resolver_release(&ld->resolver);
	free(ld->batch);
	strbuf_release(&ld->rows);
	strbuf_release(&ld->text);
	strbuf_release(&ld->inputs);
	strbuf_release(&ld->key);
	strbuf_release(&ld->copybuf);
	hashmap_release(&ld->rounds);
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

int chm_loader_pending(const struct chm_loader *ld)
{
	return ld->n;
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
static void format_row(struct strbuf *sb, int64_t pipeline_id, const struct chm_run *run)
{
	strbuf_addf(sb, "%lld", (long long)pipeline_id);
	add_field_sep(sb);
	add_text(sb, run->external_run_id);
	add_field_sep(sb);
	strbuf_adds(sb, run->status);
	add_field_sep(sb);
	add_time(sb, run->has_started, run->started_at);
	add_field_sep(sb);
	add_time(sb, run->has_finished, run->finished_at);
	add_field_sep(sb);
	if (run->has_duration)
		strbuf_addf(sb, "%.17g", run->duration_seconds);
	else
		add_null(sb);
	add_field_sep(sb);
	if (run->has_rows)
		strbuf_addf(sb, "%lld", (long long)run->rows_processed);
	else
		add_null(sb);
	add_field_sep(sb);
	add_text(sb, run->error_message);
	add_field_sep(sb);
	add_text(sb, run->status_reason);
	add_field_sep(sb);
	if (run->payload) {
		char *p = json_dumps(run->payload, JSON_COMPACT);
		add_text(sb, p);
		free(p);
	} else {
		add_null(sb);
	}
	strbuf_addc(sb, '\n');
}

int chm_loader_add(struct chm_loader *ld, const struct chm_run *run, const char *file, long line,
		   const char *input, size_t input_len, struct chm_err *err)
{
	int64_t pipeline_id;
	int created;

	if (chm_resolve_run(&ld->resolver, run, &pipeline_id, err))
		return -1;
	if (!pipeline_id)
		return -1; /* err says unknown_pipeline */
	if (ld->n == ld->cap) {
		ld->cap = ld->cap ? ld->cap * 2 : 1024;
		ld->batch = chm_xrealloc(ld->batch, (size_t)ld->cap * sizeof(*ld->batch));
	}
	struct staged *s = &ld->batch[ld->n++];
	memset(s, 0, sizeof(*s));
	s->pipeline_id = pipeline_id;
	s->line = line;
	s->file = file;
	s->key_off = ld->text.len;
	s->key_len = strlen(run->external_run_id);
	strbuf_add(&ld->text, run->external_run_id, s->key_len);
	s->row_off = ld->rows.len;
	format_row(&ld->rows, pipeline_id, run);
	s->row_len = ld->rows.len - s->row_off;
	if (ld->opts.regressions == CHM_REGRESSIONS_REJECT && input) {
		s->input_off = ld->inputs.len;
		s->input_len = input_len;
		strbuf_add(&ld->inputs, input, input_len);
	}
	strbuf_reset(&ld->key);
	strbuf_addf(&ld->key, "%lld\x1f", (long long)pipeline_id);
	strbuf_add(&ld->key, run->external_run_id, s->key_len);
	int64_t *round = hashmap_put(&ld->rounds, ld->key.buf, ld->key.len, &created);
	s->round = (int)++*round;
	if (s->round > ld->max_round)
		ld->max_round = s->round;
	if (ld->n >= ld->opts.batch_size ||
	    ld->rows.len + ld->inputs.len >= ld->opts.batch_bytes)
		return chm_loader_flush(ld, err);
	return 0;
}

static struct chm_loader *sort_ld; /* qsort has no context argument in C11 */

static int cmp_staged(const void *a, const void *b)
{
	const struct staged *x = a, *y = b;
	if (x->pipeline_id != y->pipeline_id)
		return x->pipeline_id < y->pipeline_id ? -1 : 1;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(sort_ld->text.buf + x->key_off, sort_ld->text.buf + y->key_off, n);
	if (c)
		return c;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	return x->round - y->round;
}

static int send_copy(struct chm_loader *ld, struct chm_err *err)
{
	PGresult *res = PQexec(ld->conn,
			       "COPY chm_stage (round, seq, pipeline_id, external_run_id, status, "
			       "started_at, finished_at, duration_seconds, rows_processed, "
			       "error_message, status_reason, payload) FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		chm_db_error(ld->conn, res, "COPY", err);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	strbuf_reset(&ld->copybuf);
	for (int i = 0; i < ld->n; i++) {
		struct staged *s = &ld->batch[i];
		strbuf_addf(&ld->copybuf, "%d\t%d\t", s->round, i);
		strbuf_add(&ld->copybuf, ld->rows.buf + s->row_off, s->row_len);
		if (ld->copybuf.len >= (256u << 10) || i == ld->n - 1) {
			if (PQputCopyData(ld->conn, ld->copybuf.buf, (int)ld->copybuf.len) != 1) {
				chm_db_error(ld->conn, NULL, "COPY", err);
				return -1;
			}
			strbuf_reset(&ld->copybuf);
		}
	}
	if (PQputCopyEnd(ld->conn, NULL) != 1) {
		chm_db_error(ld->conn, NULL, "COPY", err);
		return -1;
	}
	int rc = 0;
	while ((res = PQgetResult(ld->conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			chm_db_error(ld->conn, res, "COPY", err);
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

/* Rejects the staged records whose seq is listed ("1,5,9"), for --regressions reject. */
static void reject_listed(struct chm_loader *ld, const char *list)
{
	for (const char *p = list; *p;) {
		char *end;
		long seq = strtol(p, &end, 10);
		if (end == p)
			break;
		if (seq >= 0 && seq < ld->n) {
			struct staged *s = &ld->batch[seq];
			chm_reject(ld->rejects, s->file, s->line, "stale_regression", "status",
				   "the run is already in a terminal state with a different status, "
				   "and this event is not a newer attempt",
				   ld->inputs.buf ? ld->inputs.buf + s->input_off : NULL, s->input_len);
			ld->counts.rejected++;
		}
		p = *end ? end + 1 : end;
	}
}

static void reset_batch(struct chm_loader *ld)
{
	ld->n = 0;
	ld->max_round = 0;
	strbuf_reset(&ld->rows);
	strbuf_reset(&ld->text);
	strbuf_reset(&ld->inputs);
	hashmap_clear(&ld->rounds);
}

static int flush_once(struct chm_loader *ld, struct chm_err *err)
{
	struct chm_load_counts delta = { 0 };
	struct strbuf rejected = STRBUF_INIT;
	char round_s[16];
	const char *params[2] = { round_s, policy_name(ld->opts.regressions) };

	if (chm_db_exec(ld->conn, "BEGIN", err))
		goto fail;
	if (!ld->stage_ready) {
		if (chm_db_exec(ld->conn, chm_sql("queries/load_stage.sql"), err))
			goto fail;
	}
	/* the staging table is small and unanalyzed: probe runs by its unique
	 * index, never hash or sort all of runs (PERF-NOTES) */
	if (chm_db_exec(ld->conn, "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off",
			err) ||
	    send_copy(ld, err))
		goto fail;
	for (int round = 1; round <= ld->max_round; round++) {
		snprintf(round_s, sizeof(round_s), "%d", round);
		PGresult *res = chm_db_query_file(ld->conn, "queries/load_runs.sql", 2, params, err);
		if (!res)
			goto fail;
		long candidates = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		long ins = strtol(PQgetvalue(res, 0, 1), NULL, 10);
		long upd = strtol(PQgetvalue(res, 0, 2), NULL, 10);
		delta.inserted += ins;
		delta.updated += upd;
		/* a candidate a concurrent loader already brought up to date */
		delta.unchanged += strtol(PQgetvalue(res, 0, 3), NULL, 10) + (candidates - ins - upd);
		delta.ignored += strtol(PQgetvalue(res, 0, 4), NULL, 10);
		if (PQgetvalue(res, 0, 5)[0]) {
			if (rejected.len)
				strbuf_addc(&rejected, ',');
			strbuf_adds(&rejected, PQgetvalue(res, 0, 5));
		}
		PQclear(res);
	}
	if (chm_db_exec(ld->conn, "COMMIT", err))
		goto fail;
	ld->stage_ready = 1;
	ld->counts.inserted += delta.inserted;
	ld->counts.updated += delta.updated;
	ld->counts.unchanged += delta.unchanged;
	ld->counts.ignored += delta.ignored;
	if (rejected.len)
		reject_listed(ld, rejected.buf);
	strbuf_release(&rejected);
	reset_batch(ld);
	return 0;
fail:
	if (PQstatus(ld->conn) == CONNECTION_OK)
		PQclear(PQexec(ld->conn, "ROLLBACK"));
	strbuf_release(&rejected);
	/* the staging table was created in the failed transaction */
	ld->stage_ready = 0;
	return -1;
}

int chm_loader_flush(struct chm_loader *ld, struct chm_err *err)
{
	if (ld->n == 0)
		return 0;
	/* Rows are locked in key order, so two loaders on overlapping keys wait
	 * for each other instead of deadlocking; the rare cycle that remains
	 * (a key unchanged in one round and changed in a later one) is a
	 * deadlock PostgreSQL breaks by aborting one batch, which is still in
	 * memory and simply runs again. */
	sort_ld = ld;
	qsort(ld->batch, (size_t)ld->n, sizeof(*ld->batch), cmp_staged);
	for (int attempt = 1;; attempt++) {
		if (flush_once(ld, err) == 0)
			return 0;
		if (strcmp(err->code, "db_conflict") != 0 || attempt == 8)
			return -1;
		usleep((useconds_t)(1000 * attempt * (1 + rand_r(&ld->jitter) % 20)));
	}
}
