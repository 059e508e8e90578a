#include "engines/load.h"

#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/linereader.h"
#include "core/record.h"
#include "core/redact.h"
#include "core/run.h"
#include "core/state.h"
#include "engines/inventory.h"
#include "engines/runscan.h"

struct chm_load {
	long long size_before;   /* runs' estimated rows before the load */
	int analyzed;
	struct chm_loader *loader;
	struct chm_rejects *rejects;
	volatile int *interrupted;
	struct chm_progress *progress;
	PGconn *conn;
	const char *state_file;
	json_t *pending_state;   /* written once everything before it is committed */
	long pending_after;      /* the runs added before it */
	/* The newest state whose runs are all sent, in the batch in flight:
	 * without it, a state record every fewer runs than a batch would
	 * replace the pending one before it could ever be written. */
	json_t *sent_state;
	long sent_after;
	long other;
};

/* Writes the newest state whose runs before it are all committed. */
static int write_state(struct chm_load *l, struct chm_err *err)
{
	long durable = chm_loader_durable(l->loader);
	int newest = l->pending_state && durable >= l->pending_after;

	if (!l->state_file || (!newest && !(l->sent_state && durable >= l->sent_after)))
		return 0;
	if (chm_state_write(l->state_file, newest ? l->pending_state : l->sent_state, err))
		return -1;
	if (newest) {
		json_decref(l->pending_state);
		l->pending_state = NULL;
	}
	json_decref(l->sent_state);
	l->sent_state = NULL;
	return 0;
}

/* What a record's handler says: done, a reject (rec_err), or stop (err). */
enum { LOADED = 0, REJECTED = 1, STOP = -1 };

/* A canonical run: redacted unless the fast read found nothing to hide, its
 * payload sent as the source wrote it. */
static int load_run(struct chm_load *l, struct line_reader *lr, const char *line, size_t len,
		    json_t *rec, int scanned, const char *payload, size_t payload_len,
		    struct chm_err *rec_err, struct chm_err *err)
{
	struct chm_run run;
	/* whoever wrote the line, no secret reaches a column */
	size_t redacted = scanned ? 0 : chm_redact_json(rec);
	if (chm_run_from_json(rec, &run, rec_err))
		return REJECTED;
	/* the payload as the source wrote it (0.1 stays 0.1), not as
	 * jansson would print it again */
	if (!payload && run.payload && !redacted &&
	    !chm_record_member_span(line, len, "payload", &payload, &payload_len))
		payload = NULL;
	if (chm_loader_add_text(l->loader, &run, payload, payload_len, lr->name, lr->lineno, line,
				len, rec_err)) {
		if (rec_err->status == CHM_EX_DATAERR)
			return REJECTED;
		*err = *rec_err;
		/* the batches before the failed one are committed: say so */
		struct chm_err ignored;
		write_state(l, &ignored);
		return STOP;
	}
	return write_state(l, err) ? STOP : LOADED;
}

/* A client, pipeline or alert rule: after every run before it is
 * committed, and the resolver forgets what it knew. */
static int load_inventory(struct chm_load *l, const char *type, json_t *rec,
			  struct chm_err *rec_err, struct chm_err *err)
{
	struct chm_load_counts *counts = chm_loader_counts(l->loader);

	if (chm_loader_flush(l->loader, err) || write_state(l, err))
		return STOP;
	int r = chm_inventory_apply(l->conn, type, rec, rec_err);
	if (r < 0) {
		if (rec_err->status == CHM_EX_DATAERR)
			return REJECTED;
		*err = *rec_err;
		return STOP;
	}
	if (r == CHM_UPSERT_INSERTED)
		counts->inserted++;
	else if (r == CHM_UPSERT_UPDATED)
		counts->updated++;
	else
		counts->unchanged++;
	chm_resolver_invalidate(chm_loader_resolver(l->loader));
	return LOADED;
}

/* A state record: pending until every run before it is committed. */
static int load_state(struct chm_load *l, json_t *rec, struct chm_err *rec_err,
		      struct chm_err *err)
{
	json_t *v = json_object_get(rec, "value");
	if (!v || json_is_null(v)) {
		chm_err_set(rec_err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "value",
			    "a state record needs a \"value\"");
		return REJECTED;
	}
	/* every reader of the state file refuses anything but an object:
	 * written, it would stop the next chm-fetch (78) */
	if (!json_is_object(v)) {
		chm_err_set(rec_err, CHM_EX_DATAERR, CHM_E_WRONG_TYPE, "value",
			    "a state record's \"value\" must be a JSON object");
		return REJECTED;
	}
	if (l->pending_state && l->pending_after <= chm_loader_sent(l->loader)) {
		json_decref(l->sent_state);
		l->sent_state = l->pending_state;
		l->sent_after = l->pending_after;
	} else {
		json_decref(l->pending_state);
	}
	l->pending_state = json_incref(v);
	l->pending_after = chm_loader_added(l->loader);
	return write_state(l, err) ? STOP : LOADED;
}

/* Handles one line; -1 with err only for what stops the load. */
static int load_line(struct chm_load *l, struct line_reader *lr, const char *line, size_t len,
		     struct chm_err *err)
{
	struct chm_load_counts *counts = chm_loader_counts(l->loader);
	struct chm_err rec_err;
	const char *type = NULL;
	const char *payload = NULL;
	size_t payload_len = 0;
	int rc = REJECTED;

	chm_err_clear(&rec_err);
	counts->read++;
	chm_progress_tick(l->progress, counts->read);
	if (lr->too_long) {
		chm_err_set(&rec_err, CHM_EX_DATAERR, CHM_E_LINE_TOO_LONG, "",
			    "line is longer than the maximum line length");
		chm_reject_err(l->rejects, lr->name, lr->lineno, &rec_err, line, len);
		counts->rejected++;
		return 0;
	}
	/* most lines are plain run records: read them without a full tree */
	json_t *rec = chm_run_scan(line, len, &payload, &payload_len);
	int scanned = rec != NULL; /* and so found nothing to redact */
	if (rec)
		type = "run";
	else
		rec = chm_record_parse(line, len, &type, &rec_err);
	if (rec && !type)
		chm_err_set(&rec_err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "type",
			    "a record needs a string \"type\"");
	else if (rec && strcmp(type, "run") == 0)
		rc = load_run(l, lr, line, len, rec, scanned, payload, payload_len, &rec_err, err);
	else if (rec && chm_inventory_is_type(type))
		rc = load_inventory(l, type, rec, &rec_err, err);
	else if (rec && strcmp(type, "state") == 0)
		rc = load_state(l, rec, &rec_err, err);
	else if (rec) {
		l->other++; /* raw, summary, reject, ...: not ours to load */
		rc = LOADED;
	}
	if (rc == REJECTED) {
		chm_reject_err(l->rejects, lr->name, lr->lineno, &rec_err, line, len);
		counts->rejected++;
	}
	json_decref(rec);
	return rc == STOP ? -1 : 0;
}

/* The input paused: commit what was read, and the state that says so. */
static int on_idle(void *arg, struct chm_err *err)
{
	struct chm_load *l = arg;
	if (chm_loader_flush(l->loader, err))
		return -1;
	return write_state(l, err);
}

int chm_load_file(struct chm_load *l, const char *path, struct chm_err *err)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct line_reader lr;
	const char *line;
	size_t len;
	int rc = 0, got;

	if (!fp)
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "", "cannot open %s: %m", path);
	line_reader_init(&lr, fp, path, 0);
	lr.interrupted = l->interrupted;
	lr.idle = on_idle;
	lr.idle_arg = l;
	while (!(l->interrupted && *l->interrupted) && (got = line_reader_next(&lr, &line, &len, err)) != 0) {
		if (got < 0 || load_line(l, &lr, line, len, err)) {
			rc = -1;
			break;
		}
	}
	line_reader_release(&lr);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

/* A load changing at least this share of the rows runs had, and at least
 * ANALYZE_MIN rows, leaves fresh statistics behind it. */
#define ANALYZE_SHARE 0.2
#define ANALYZE_MIN 1000

/* The planner's estimate of runs' rows before the load (-1: never analyzed). */
static long long runs_size(PGconn *conn)
{
	struct chm_err ignored;
	PGresult *res = chm_db_query_file(conn, "queries/runs_size.sql", 0, NULL, &ignored);
	long long n = res && PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return n;
}

/* After a bulk load the questions have no statistics to plan with (a first
 * report of a fresh 300k-run history took 23 s, 1.2 s after ANALYZE). */
static int analyze_if_changed(struct chm_load *l, struct chm_err *err)
{
	struct chm_load_counts *k = chm_loader_counts(l->loader);
	long changed = k->inserted + k->updated;
	long long before = l->size_before > 0 ? l->size_before : 0;
	if (changed < ANALYZE_MIN || (double)changed < ANALYZE_SHARE * (double)before)
		return 0;
	PGresult *res = chm_db_query_file(l->conn, "queries/runs_analyze.sql", 0, NULL, err);
	if (!res)
		return -1;
	PQclear(res);
	l->analyzed = 1;
	return 0;
}

struct chm_load *chm_load_new(PGconn *conn, const struct chm_load_opts *opts,
			      struct chm_rejects *rj)
{
	struct chm_load *l = chm_xmalloc(sizeof(*l));
	memset(l, 0, sizeof(*l));
	l->conn = conn;
	l->rejects = rj;
	l->state_file = opts->state_file;
	l->interrupted = opts->interrupted;
	l->progress = opts->progress;
	l->loader = chm_loader_new(conn, &opts->loader, rj);
	l->size_before = runs_size(conn);
	return l;
}

int chm_load_finish(struct chm_load *l, struct chm_err *err)
{
	if (chm_loader_flush(l->loader, err) || write_state(l, err))
		return -1;
	return analyze_if_changed(l, err);
}

void chm_load_print_summary(struct chm_load *l, FILE *fp)
{
	struct chm_load_counts *k = chm_loader_counts(l->loader);
	fprintf(fp, "{\"type\":\"summary\",\"read\":%ld,\"inserted\":%ld,\"updated\":%ld,\"unchanged\":%ld,"
		"\"ignored\":%ld,\"rejected\":%ld,\"other\":%ld}\n",
		k->read, k->inserted, k->updated, k->unchanged, k->ignored, k->rejected, l->other);
}

void chm_load_describe(struct chm_load *l, struct strbuf *sb)
{
	struct chm_load_counts *k = chm_loader_counts(l->loader);
	char a[32], b[32], c[32];
	strbuf_addf(sb, "loaded %s records: %s new, %s updated", chm_progress_count(a, k->read),
		    chm_progress_count(b, k->inserted), chm_progress_count(c, k->updated));
	if (k->unchanged)
		strbuf_addf(sb, ", %s unchanged", chm_progress_count(a, k->unchanged));
	if (k->ignored)
		strbuf_addf(sb, ", %s ignored", chm_progress_count(a, k->ignored));
	strbuf_addf(sb, ", %s rejected", chm_progress_count(a, k->rejected));
}

long chm_load_rejected(struct chm_load *l)
{
	return chm_loader_counts(l->loader)->rejected;
}

void chm_load_free(struct chm_load *l)
{
	if (!l)
		return;
	json_decref(l->pending_state);
	json_decref(l->sent_state);
	chm_loader_free(l->loader);
	free(l);
}
