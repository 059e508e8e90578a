/* chm-load: canonical run and inventory records -> PostgreSQL, idempotent,
 * in batches; state records persisted to --state-file after commit. */
#include <getopt.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "db.h"
#include "inventory.h"
#include "linereader.h"
#include "loader.h"
#include "record.h"
#include "redact.h"
#include "reject.h"
#include "run.h"
#include "runscan.h"
#include "state.h"

static volatile int terminated;
/* The running query's cancel handle: a SIGTERM commits what is staged, but a
 * statement stuck behind a lock must not hold the stop for ever. */
static PGcancel *volatile cancel_handle;
#define CANCEL_GRACE_SECONDS 5

static void on_term(int sig)
{
	terminated = sig;
	alarm(CANCEL_GRACE_SECONDS);
}

/* CANCEL_GRACE_SECONDS after a SIGTERM: cancel what still runs (PQcancel is
 * safe in a signal handler); the batch is rolled back and the exit is 75. */
static void on_alarm(int sig)
{
	char buf[256];
	(void)sig;
	if (cancel_handle)
		PQcancel(cancel_handle, buf, sizeof(buf));
}

static void usage(FILE *fp)
{
	fputs("usage: chm-load [--db CONNINFO] [--state-file FILE] [--rejects FILE]\n"
	      "                [--batch-size N] [--regressions ignore|reject|accept] [FILE...]\n"
	      "Loads run, client, pipeline and alert_rule records (NDJSON) into PostgreSQL.\n"
	      "Replaying a stream changes nothing. Prints one summary record on stdout.\n",
	      fp);
}

struct load {
	struct chm_loader *loader;
	struct chm_rejects rejects;
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
static int write_state(struct load *l, struct chm_err *err)
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

/* Handles one line; -1 with err only for what stops the load. */
static int load_line(struct load *l, struct line_reader *lr, const char *line, size_t len,
		     struct chm_err *err)
{
	struct chm_load_counts *counts = chm_loader_counts(l->loader);
	struct chm_err rec_err;
	const char *type;
	const char *payload = NULL;
	size_t payload_len = 0;
	json_t *rec;
	int rc = 0;

	chm_err_clear(&rec_err);
	counts->read++;
	if (lr->too_long) {
		chm_reject(&l->rejects, lr->name, lr->lineno, "line_too_long", NULL,
			   "line is longer than the maximum line length", line, len);
		counts->rejected++;
		return 0;
	}
	/* most lines are plain run records: read them without a full tree */
	rec = chm_run_scan(line, len, &payload, &payload_len);
	int scanned = rec != NULL; /* and so found nothing to redact */
	if (rec)
		type = "run";
	else if (!(rec = chm_record_parse(line, len, &type, &rec_err)))
		goto reject;
	if (!type) {
		chm_err_set(&rec_err, CHM_EX_DATAERR, "missing_field", "type",
			    "a record needs a string \"type\"");
		goto reject;
	}
	if (strcmp(type, "run") == 0) {
		struct chm_run run;
		/* whoever wrote the line, no secret reaches a column */
		size_t redacted = scanned ? 0 : chm_redact_json(rec);
		if (chm_run_from_json(rec, &run, &rec_err))
			goto reject;
		/* the payload as the source wrote it (0.1 stays 0.1), not as
		 * jansson would print it again */
		if (!payload && run.payload && !redacted &&
		    !chm_record_member_span(line, len, "payload", &payload, &payload_len))
			payload = NULL;
		if (chm_loader_add_text(l->loader, &run, payload, payload_len, lr->name, lr->lineno,
					line, len, &rec_err)) {
			if (rec_err.status == CHM_EX_DATAERR)
				goto reject;
			*err = rec_err;
			rc = -1;
			/* the batches before the failed one are committed: say so */
			struct chm_err ignored;
			write_state(l, &ignored);
		} else {
			rc = write_state(l, err);
		}
	} else if (chm_inventory_is_type(type)) {
		if (chm_loader_flush(l->loader, err) || write_state(l, err)) {
			rc = -1;
		} else {
			int r = chm_inventory_apply(l->conn, type, rec, &rec_err);
			if (r < 0) {
				if (rec_err.status == CHM_EX_DATAERR)
					goto reject;
				*err = rec_err;
				rc = -1;
			} else {
				if (r == CHM_UPSERT_INSERTED)
					counts->inserted++;
				else if (r == CHM_UPSERT_UPDATED)
					counts->updated++;
				else
					counts->unchanged++;
				chm_resolver_invalidate(chm_loader_resolver(l->loader));
			}
		}
	} else if (strcmp(type, "state") == 0) {
		json_t *v = json_object_get(rec, "value");
		if (!v) {
			chm_err_set(&rec_err, CHM_EX_DATAERR, "missing_field", "value",
				    "a state record needs a \"value\"");
			goto reject;
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
		rc = write_state(l, err);
	} else {
		l->other++; /* raw, summary, reject, ...: not ours to load */
	}
	json_decref(rec);
	return rc;
reject:
	chm_reject_err(&l->rejects, lr->name, lr->lineno, &rec_err, line, len);
	counts->rejected++;
	json_decref(rec);
	return 0;
}

/* The input paused: commit what was read, and the state that says so. */
static int on_idle(void *arg, struct chm_err *err)
{
	struct load *l = arg;
	if (chm_loader_flush(l->loader, err))
		return -1;
	return write_state(l, err);
}

static int load_file(struct load *l, const char *path, struct chm_err *err)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct line_reader lr;
	const char *line;
	size_t len;
	int rc = 0, got;

	if (!fp)
		return chm_err_set(err, CHM_EX_IOERR, "io_error", "", "cannot open %s: %m", path);
	line_reader_init(&lr, fp, path, 0);
	lr.interrupted = &terminated;
	lr.idle = on_idle;
	lr.idle_arg = l;
	while (!terminated && (got = line_reader_next(&lr, &line, &len, err)) != 0) {
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "state-file", required_argument, NULL, 's' },
		{ "rejects", required_argument, NULL, 'r' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "regressions", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct chm_loader_opts lopts = { 0 };
	struct load l = { 0 };
	struct chm_err err;
	const char *db = getenv("CHM_DATABASE_URL"), *rejects_path = NULL;
	int64_t n;
	int c, status = 0;

	chm_cli_init("chm-load");
	chm_err_clear(&err);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 's': l.state_file = optarg; break;
		case 'r': rejects_path = optarg; break;
		case 'b':
			if (chm_opt_int("--batch-size", optarg, 1, 1000000, &n))
				return CHM_EX_USAGE;
			lopts.batch_size = (int)n;
			break;
		case 'R':
			if (strcmp(optarg, "ignore") == 0)
				lopts.regressions = CHM_REGRESSIONS_IGNORE;
			else if (strcmp(optarg, "reject") == 0)
				lopts.regressions = CHM_REGRESSIONS_REJECT;
			else if (strcmp(optarg, "accept") == 0)
				lopts.regressions = CHM_REGRESSIONS_ACCEPT;
			else {
				chm_warn("--regressions: expected ignore, reject or accept, got \"%s\"", optarg);
				return CHM_EX_USAGE;
			}
			break;
		case 'h': usage(stdout); return chm_close_stdout();
		case 'V': return chm_print_version();
		default: usage(stderr); return CHM_EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	struct sigaction sa = { 0 };
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: a blocked read returns */
	sigaction(SIGINT, &sa, NULL);
	struct sigaction al = { 0 };
	al.sa_handler = on_alarm;
	al.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &al, NULL);

	if (chm_rejects_open(&l.rejects, "chm-load", rejects_path, &err))
		return chm_report_err(&err);
	l.conn = chm_db_connect(db, "chm-load", &err);
	if (!l.conn) {
		chm_rejects_close(&l.rejects, &err);
		return chm_report_err(&err);
	}
	l.loader = chm_loader_new(l.conn, &lopts, &l.rejects);
	cancel_handle = PQgetCancel(l.conn);

	int rc = 0;
	if (argc == 0)
		rc = load_file(&l, "-", &err);
	for (int i = 0; i < argc && rc == 0 && !terminated; i++)
		rc = load_file(&l, argv[i], &err);
	/* what is staged is complete and valid: commit it, also on SIGTERM */
	if (rc == 0)
		rc = chm_loader_flush(l.loader, &err);
	if (rc == 0)
		rc = write_state(&l, &err);

	struct chm_load_counts *k = chm_loader_counts(l.loader);
	printf("{\"type\":\"summary\",\"read\":%ld,\"inserted\":%ld,\"updated\":%ld,\"unchanged\":%ld,"
	       "\"ignored\":%ld,\"rejected\":%ld,\"other\":%ld}\n",
	       k->read, k->inserted, k->updated, k->unchanged, k->ignored, k->rejected, l.other);
	if (rc)
		status = chm_report_err(&err);
	else if (terminated)
		chm_warn("stopped by signal %d after committing every record read so far", terminated),
			status = CHM_EX_TEMPFAIL;
	else if (k->rejected)
		status = CHM_EX_DATAERR;
	struct chm_err cerr;
	/* lost rejects are worse than rejected input: say so, exit 74 */
	if (chm_rejects_close(&l.rejects, &cerr)) {
		int st = chm_report_err(&cerr);
		if (!status || status == CHM_EX_DATAERR)
			status = st;
	}
	json_decref(l.pending_state);
	json_decref(l.sent_state);
	chm_loader_free(l.loader);
	alarm(0);
	PGcancel *handle = cancel_handle;
	cancel_handle = NULL;
	PQfreeCancel(handle);
	PQfinish(l.conn);
	/* output lost on a full disk is worse than rejected input */
	int out = chm_close_stdout();
	return out && (!status || status == CHM_EX_DATAERR) ? out : status;
}
