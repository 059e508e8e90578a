/* chm-load: canonical run and inventory records -> PostgreSQL, idempotent,
 * in batches; state records persisted to --state-file after commit. */
#include <getopt.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/db.h"
#include "core/reject.h"
#include "engines/load.h"
#include "engines/migrate.h"

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
	      "                [--batch-size N] [--regressions ignore|reject|accept] [--progress]\n"
	      "                [FILE...]\n"
	      "Loads run, client, pipeline and alert_rule records (NDJSON) into PostgreSQL.\n"
	      "Replaying a stream changes nothing. Prints one summary record on stdout.\n"
	      "On a terminal stderr shows records, rate and time as it goes, and one line\n"
	      "at the end; --progress says so into a file too (a line a second).\n",
	      fp);
}

struct load_args {
	struct chm_load_opts load;
	const char *db, *rejects;
	int progress;
};

/* Every flag into a; the files are argv[optind..]. -1 after a message for
 * a usage error. */
static int parse_args(int argc, char **argv, struct load_args *a)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "state-file", required_argument, NULL, 's' },
		{ "rejects", required_argument, NULL, 'r' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "regressions", required_argument, NULL, 'R' },
		{ "progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t n;
	int c;

	while ((c = chm_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'd': a->db = optarg; break;
		case 's': a->load.state_file = optarg; break;
		case 'r': a->rejects = optarg; break;
		case 'P': a->progress = 1; break;
		case 'b':
			if (chm_opt_int("--batch-size", optarg, 1, 1000000, &n))
				return -1;
			a->load.loader.batch_size = (int)n;
			break;
		case 'R':
			if (chm_regressions_parse(optarg, &a->load.loader.regressions))
				return chm_warn("--regressions: expected ignore, reject or accept, got \"%s\"", optarg), -1;
			break;
		case 'h': usage(stdout); exit(chm_close_stdout());
		case 'V': exit(chm_print_version());
		default: return -1; /* chm_getopt said why */
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct load_args a = { .load = { .interrupted = &terminated }, .db = getenv("CHM_DATABASE_URL") };
	struct chm_rejects rejects;
	PGconn *conn;
	struct chm_err err;
	int status = 0;

	chm_cli_init("chm-load");
	chm_err_clear(&err);
	if (parse_args(argc, argv, &a))
		return CHM_EX_USAGE;
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

	if (chm_rejects_open(&rejects, "chm-load", a.rejects, &err))
		return chm_report_err(&err);
	conn = chm_migrate_connect(a.db, "chm-load", &err);
	if (!conn) {
		chm_rejects_close(&rejects, &err);
		return chm_report_err(&err);
	}
	struct chm_progress progress;
	a.load.progress = chm_progress_init(&progress, chm_progress_mode(a.progress, STDERR_FILENO, -1), stderr,
					    chm_program, "records", 4096);
	struct chm_load *l = chm_load_new(conn, &a.load, &rejects);
	cancel_handle = PQgetCancel(conn);

	int rc = 0;
	if (argc == 0)
		rc = chm_load_file(l, "-", &err);
	for (int i = 0; i < argc && rc == 0 && !terminated; i++)
		rc = chm_load_file(l, argv[i], &err);
	/* what is staged is complete and valid: commit it, also on SIGTERM,
	 * and when a later input cannot be read (its error is still the exit
	 * status: the input was not all read) */
	if (rc == 0) {
		rc = chm_load_finish(l, &err);
	} else if (err.status == CHM_EX_IOERR) {
		struct chm_err ferr;
		if (chm_load_finish(l, &ferr))
			chm_report_err(&ferr);
	}

	chm_load_print_summary(l, stdout);
	struct strbuf said = STRBUF_INIT;
	chm_load_describe(l, &said);
	chm_progress_end(a.load.progress, "%s", said.buf);
	strbuf_release(&said);
	if (rc)
		status = chm_report_err(&err);
	else if (terminated)
		chm_warn("stopped by signal %d after committing every record read so far", terminated),
			status = CHM_EX_TEMPFAIL;
	else if (chm_load_rejected(l))
		status = CHM_EX_DATAERR;
	chm_load_free(l);
	alarm(0);
	PGcancel *handle = cancel_handle;
	cancel_handle = NULL;
	PQfreeCancel(handle);
	PQfinish(conn);
	return chm_exit_status(status, &rejects);
}
