/* chm-report: the dashboard questions Q1-Q10 (views in the database) as
 * ndjson, csv, table, html or prom. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chmtime.h"
#include "cli.h"
#include "db.h"
#include "enums.h"
#include "report.h"
#include "table.h"

static void usage(FILE *fp)
{
	size_t n;
	const struct chm_question *qs = chm_questions(&n);

	fputs("usage: chm-report [--db CONNINFO] [--format ndjson|csv|table|html|prom] [--wide]\n"
	      "                  [--client NAME] [--pipeline [CLIENT/]NAME] [--platform PLATFORM]\n"
	      "                  [--since TIME] [--until TIME] [--bucket hour|day|week]\n"
	      "                  [--limit N] [--now TIME] QUESTION...\n"
	      "Answers the dashboard questions from the views in the database.\n"
	      "TIME is RFC 3339 or relative to now: 90s, 15m, 24h, 7d, 2w.\n"
	      "Questions (by id or name, or all):\n",
	      fp);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "  %-4s %-26s %s\n", qs[i].id, qs[i].name, qs[i].title + strlen(qs[i].id) + 1);
	fputs("--format prom writes the questions that have a Prometheus form (q2 q3 q6-q10).\n"
	      "--format table fits the terminal (or COLUMNS); --wide shows all of each value.\n", fp);
}

static int parse_time_opt(const char *opt, const char *value, int64_t now, int64_t *out)
{
	struct chm_err err;
	if (chm_time_parse_arg(value, now, out, opt, &err)) {
		chm_warn("%s: %s", opt, err.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "client", required_argument, NULL, 'c' },
		{ "pipeline", required_argument, NULL, 'p' },
		{ "platform", required_argument, NULL, 'P' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "limit", required_argument, NULL, 'l' },
		{ "now", required_argument, NULL, 'n' },
		{ "wide", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct chm_report_opts o = { 0 };
	const char *db = getenv("CHM_DATABASE_URL"), *since = NULL, *until = NULL, *now = NULL;
	int format = CHM_FMT_NDJSON, wide = 0;
	struct chm_err err;
	int64_t n;
	int c;

	chm_cli_init("chm-report");
	chm_err_clear(&err);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'f':
			if ((format = chm_format_parse(optarg)) < 0) {
				chm_warn("--format: expected ndjson, csv, table, html or prom, got \"%s\"", optarg);
				return CHM_EX_USAGE;
			}
			break;
		case 'c': o.client = optarg; break;
		case 'p': o.pipeline = optarg; break;
		case 'P':
			if (!chm_enum_has(chm_platforms, optarg)) {
				const char *now_is = chm_enum_renamed(chm_platforms, optarg);
				chm_warn("--platform: unknown platform \"%s\"%s%s%s", optarg,
					 now_is ? ", from before the seed enums: write \"" : "",
					 now_is ? now_is : "", now_is ? "\"" : "");
				return CHM_EX_USAGE;
			}
			o.platform = optarg;
			break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'n': now = optarg; break;
		case 'w': wide = 1; break;
		case 'b':
			if (strcmp(optarg, "hour") && strcmp(optarg, "day") && strcmp(optarg, "week")) {
				chm_warn("--bucket: expected hour, day or week, got \"%s\"", optarg);
				return CHM_EX_USAGE;
			}
			o.bucket = optarg;
			break;
		case 'l':
			if (chm_opt_int("--limit", optarg, 1, 1000000000, &n))
				return CHM_EX_USAGE;
			o.limit = n;
			break;
		case 'h': usage(stdout); return chm_close_stdout();
		case 'V': return chm_print_version();
		default: usage(stderr); return CHM_EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	/* relative --since/--until count back from --now when given */
	int64_t clock = chm_time_now();
	if (now) {
		if (parse_time_opt("--now", now, clock, &o.now))
			return CHM_EX_USAGE;
		o.has_now = 1;
	}
	if (since && parse_time_opt("--since", since, o.has_now ? o.now : clock, &o.since))
		return CHM_EX_USAGE;
	if (until && parse_time_opt("--until", until, o.has_now ? o.now : clock, &o.until))
		return CHM_EX_USAGE;
	o.has_since = since != NULL;
	o.has_until = until != NULL;
	if (o.has_since && o.has_until && o.since >= o.until) {
		chm_warn("--since must be before --until");
		return CHM_EX_USAGE;
	}

	size_t nq, total;
	const struct chm_question *all = chm_questions(&total);
	const struct chm_question **asked = calloc(total * (size_t)(argc ? argc : 1), sizeof(*asked));
	if (!asked)
		return CHM_EX_SOFTWARE;
	nq = 0;
	if (argc == 0) {
		chm_warn("name at least one question (q1..q10, or all)");
		usage(stderr);
		free(asked);
		return CHM_EX_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "all")) {
			for (size_t k = 0; k < total; k++)
				if (format != CHM_FMT_PROM || all[k].prom_prefix)
					asked[nq++] = &all[k];
			continue;
		}
		const struct chm_question *q = chm_question_find(argv[i]);
		if (!q) {
			chm_warn("unknown question \"%s\" (q1..q10, their names, or all)", argv[i]);
			free(asked);
			return CHM_EX_USAGE;
		}
		if (format == CHM_FMT_PROM && !q->prom_prefix) {
			chm_warn("%s has no Prometheus form (prom: q2 q3 q6 q7 q8 q9 q10)", q->id);
			free(asked);
			return CHM_EX_USAGE;
		}
		asked[nq++] = q;
	}

	PGconn *conn = chm_db_connect(db, "chm-report", &err);
	if (conn && chm_db_statement_timeout(conn, getenv("CHM_STATEMENT_TIMEOUT"), &err)) {
		PQfinish(conn);
		conn = NULL;
	}
	if (!conn) {
		free(asked);
		return chm_report_err(&err);
	}
	struct chm_formatter f = { .format = format, .opts = &o, .generated = clock,
				   .width = wide ? 0 : chm_table_width(STDOUT_FILENO, getenv("COLUMNS")) };
	struct strbuf out = STRBUF_INIT;
	int status = 0;
	if (chm_report_begin(conn, &o, &f.now, &err)) {
		status = chm_report_err(&err);
		goto done;
	}
	chm_format_head(&f, &out);
	for (size_t i = 0; i < nq; i++) {
		PGresult *res = chm_report_query(conn, asked[i], &o, &err);
		if (!res) {
			status = chm_report_err(&err);
			goto done;
		}
		chm_format_question(&f, asked[i], res, &out);
		PQclear(res);
		/* a question at a time: memory holds one result, not the report */
		if (fwrite(out.buf ? out.buf : "", 1, out.len, stdout) != out.len)
			break; /* chm_close_stdout says why */
		strbuf_reset(&out);
	}
	chm_format_tail(&f, &out);
	fwrite(out.buf ? out.buf : "", 1, out.len, stdout);
	if (chm_report_end(conn, &err))
		status = chm_report_err(&err);
done:
	strbuf_release(&out);
	PQfinish(conn);
	free(asked);
	return chm_exit_status(status, NULL);
}
