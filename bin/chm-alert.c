/* chm-alert: every enabled alert rule against the runs in the database ->
 * `alert` records (firing, resolved) and one `state` record, for chm-notify. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/cli.h"
#include "core/db.h"
#include "core/state.h"
#include "engines/alert.h"
#include "engines/migrate.h"

static void usage(FILE *fp)
{
	fputs("usage: chm-alert [--db CONNINFO] [--state-file FILE] [--now T]\n"
	      "                 [--repeat-after DURATION] [--report-url URL]\n"
	      "Evaluates every enabled alert rule against the runs as of --now and prints\n"
	      "`alert` records (firing, resolved) and a `state` record for chm-notify:\n"
	      "  chm-alert --state-file s.json | chm-notify --state-file s.json\n"
	      "T is RFC 3339 or relative to now (90m, 24h, 7d); DURATION is like 4h or 1d.\n",
	      fp);
}

struct alert_args {
	const char *db, *state_file, *now, *repeat_after;
	struct chm_alert_opts o;
};

static int parse_args(int argc, char **argv, struct alert_args *a)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "state-file", required_argument, NULL, 's' },
		{ "now", required_argument, NULL, 'n' },
		{ "repeat-after", required_argument, NULL, 'r' },
		{ "report-url", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct chm_err err;
	int c;

	a->db = getenv("CHM_DATABASE_URL");
	while ((c = chm_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'd': a->db = optarg; break;
		case 's': a->state_file = optarg; break;
		case 'n': a->now = optarg; break;
		case 'r': a->repeat_after = optarg; break;
		case 'u': a->o.report_url = optarg; break;
		case 'h': usage(stdout); exit(chm_close_stdout());
		case 'V': exit(chm_print_version());
		default: return -1; /* chm_getopt said why */
		}
	}
	if (optind < argc) {
		chm_warn("unexpected argument \"%s\"", argv[optind]);
		usage(stderr);
		return -1;
	}
	int64_t clock = chm_time_now();
	a->o.now = clock;
	if (a->now && chm_time_parse_arg(a->now, clock, &a->o.now, "--now", &err)) {
		chm_warn("%s", err.msg); /* it names the flag */
		return -1;
	}
	if (a->repeat_after) {
		int64_t then;
		if (chm_time_parse_arg(a->repeat_after, a->o.now, &then, "--repeat-after", &err) ||
		    then >= a->o.now || strchr(a->repeat_after, 'T')) {
			chm_warn("--repeat-after: expected a duration such as 4h or 1d, got \"%s\"", a->repeat_after);
			return -1;
		}
		a->o.repeat_after = a->o.now - then;
	}
	return 0;
}

static void print_record(json_t *rec)
{
	char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line) {
		fputs(line, stdout);
		fputc('\n', stdout);
		free(line);
	}
}

int main(int argc, char **argv)
{
	struct alert_args a = { 0 };
	struct chm_err err;
	json_t *prev = NULL, *alerts = NULL, *next = NULL;
	int status = 0;

	chm_cli_init("chm-alert");
	chm_err_clear(&err);
	if (parse_args(argc, argv, &a))
		return CHM_EX_USAGE;
	if (a.state_file && chm_state_read(a.state_file, &prev, &err))
		return chm_report_err(&err);
	PGconn *conn = chm_migrate_connect(a.db, "chm-alert", &err);
	if (conn && chm_db_statement_timeout(conn, getenv("CHM_STATEMENT_TIMEOUT"), &err)) {
		PQfinish(conn);
		conn = NULL;
	}
	if (!conn) {
		json_decref(prev);
		return chm_report_err(&err);
	}
	alerts = json_array();
	if (chm_alert_evaluate(conn, &a.o, prev, alerts, &next, &err)) {
		status = chm_report_err(&err);
	} else {
		size_t i;
		json_t *rec;
		json_array_foreach(alerts, i, rec)
			print_record(rec);
		json_t *st = json_pack("{s:s,s:O}", "type", "state", "value", next);
		print_record(st);
		json_decref(st);
	}
	PQfinish(conn);
	json_decref(prev);
	json_decref(alerts);
	json_decref(next);
	return chm_exit_status(status, NULL);
}
