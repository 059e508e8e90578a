/* chm-report: the dashboard questions Q1-Q10 (views in the database) as
 * ndjson, csv, table, html or prom. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/chmtime.h"
#include "core/cli.h"
#include "core/db.h"
#include "core/enums.h"
#include "core/table.h"
#include "engines/migrate.h"
#include "engines/report.h"

static void usage(FILE *fp)
{
	size_t n;
	const struct chm_question *qs = chm_questions(&n);

	fputs("usage: chm-report [--db CONNINFO] [--format ndjson|csv|table|html|prom] [--wide]\n"
	      "                  [--color never|always|auto]\n"
	      "                  [--client NAME] [--pipeline [CLIENT/]NAME] [--platform PLATFORM]\n"
	      "                  [--since TIME] [--until TIME] [--bucket hour|day|week]\n"
	      "                  [--limit N] [--now TIME] QUESTION...\n"
	      "Answers the dashboard questions from the views in the database.\n"
	      "TIME is RFC 3339 or relative to now: 90s, 15m, 24h, 7d, 2w.\n"
	      "Questions (by id or name, or all):\n",
	      fp);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "  %-4s %-26s %s\n", qs[i].id, qs[i].name, qs[i].title + strlen(qs[i].id) + 1);
	fputs("--format prom writes the questions that have a Prometheus form (q2 q3 q6-q10),\n"
	      "then chm_last_ingest_timestamp_seconds per source (platform).\n"
	      "--format table fits the terminal (or COLUMNS); --wide shows every column whole;\n"
	      "--color: statuses in colour in a table (auto: on a terminal, unless NO_COLOR is set).\n"
	      "The default is table on a terminal, ndjson otherwise.\n", fp);
}

static int parse_time_opt(const char *opt, const char *value, int64_t now, int64_t *out)
{
	struct chm_err err;
	if (chm_time_parse_arg(value, now, out, opt, &err)) {
		chm_warn("%s", err.msg); /* it names the flag */
		return -1;
	}
	return 0;
}

struct report_args {
	struct chm_report_opts o;
	const char *db, *since, *until, *now;
	int format, wide, color;
};

/* A value-checked flag into a: 1 when c was one, 0 when not, -1 when bad. */
static int checked_option(int c, const char *arg, struct report_args *a)
{
	int64_t n;
	switch (c) {
	case 'f':
		if ((a->format = chm_format_parse(arg)) < 0)
			return chm_warn("--format: expected ndjson, csv, table, html or prom, got \"%s\"", arg), -1;
		return 1;
	case 'P':
		if (!chm_enum_has(chm_platforms, arg)) {
			const char *now_is = chm_enum_renamed(chm_platforms, arg);
			return chm_warn("--platform: unknown platform \"%s\"%s%s%s", arg,
					now_is ? ", from before the seed enums: write \"" : "",
					now_is ? now_is : "", now_is ? "\"" : ""), -1;
		}
		a->o.platform = arg;
		return 1;
	case 'C':
		if (chm_color_parse(arg, &a->color))
			return chm_warn("--color: expected never, always or auto, got \"%s\"", arg), -1;
		return 1;
	case 'b':
		if (strcmp(arg, "hour") && strcmp(arg, "day") && strcmp(arg, "week"))
			return chm_warn("--bucket: expected hour, day or week, got \"%s\"", arg), -1;
		a->o.bucket = arg;
		return 1;
	case 'l':
		if (chm_opt_int("--limit", arg, 1, 1000000000, &n))
			return -1;
		a->o.limit = n;
		return 1;
	default:
		return 0;
	}
}

/* Every flag into a; the questions are argv[optind..]. -1 after a message. */
static int parse_args(int argc, char **argv, struct report_args *a)
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
		{ "color", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	while ((c = chm_getopt(argc, argv, "", opts)) != -1) {
		if ((r = checked_option(c, optarg, a)) < 0)
			return -1;
		if (r)
			continue;
		switch (c) {
		case 'd': a->db = optarg; break;
		case 'c': a->o.client = optarg; break;
		case 'p': a->o.pipeline = optarg; break;
		case 's': a->since = optarg; break;
		case 'u': a->until = optarg; break;
		case 'n': a->now = optarg; break;
		case 'w': a->wide = 1; break;
		case 'h': usage(stdout); exit(chm_close_stdout());
		case 'V': exit(chm_print_version());
		default: return -1; /* chm_getopt said why */
		}
	}
	return 0;
}

/* Relative --since/--until count back from --now when given. */
static int read_times(struct report_args *a, int64_t clock)
{
	struct chm_report_opts *o = &a->o;
	if (a->now) {
		if (parse_time_opt("--now", a->now, clock, &o->now))
			return -1;
		o->has_now = 1;
	}
	if (a->since && parse_time_opt("--since", a->since, o->has_now ? o->now : clock, &o->since))
		return -1;
	if (a->until && parse_time_opt("--until", a->until, o->has_now ? o->now : clock, &o->until))
		return -1;
	o->has_since = a->since != NULL;
	o->has_until = a->until != NULL;
	if (o->has_since && o->has_until && o->since >= o->until)
		return chm_warn("--since must be before --until"), -1;
	/* --until defaults to now: a window that starts there is empty, and
	 * an empty answer would look like a quiet fleet */
	if (o->has_since && !o->has_until && o->since >= (o->has_now ? o->now : clock))
		return chm_warn("--since must be before --until, which defaults to %s", o->has_now ? "--now" : "now"), -1;
	return 0;
}

/* The questions named (q1..q10, names, all) into asked; -1 after a message. */
static int pick_questions(char **names, int n, int format, const struct chm_question **asked, size_t *nq)
{
	size_t total;
	const struct chm_question *all = chm_questions(&total);

	*nq = 0;
	if (n == 0)
		return chm_warn("name at least one question (q1..q10, or all)"), usage(stderr), -1;
	for (int i = 0; i < n; i++) {
		if (!strcmp(names[i], "all")) {
			for (size_t k = 0; k < total; k++)
				if (format != CHM_FMT_PROM || all[k].prom_prefix)
					asked[(*nq)++] = &all[k];
			continue;
		}
		const struct chm_question *q = chm_question_find(names[i]);
		if (!q)
			return chm_warn("unknown question \"%s\" (q1..q10, their names, or all)", names[i]), -1;
		if (format == CHM_FMT_PROM && !q->prom_prefix)
			return chm_warn("%s has no Prometheus form (prom: q2 q3 q6 q7 q8 q9 q10)", q->id), -1;
		asked[(*nq)++] = q;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* a person at a terminal reads a table, a pipe gets NDJSON; --format says otherwise */
	struct report_args a = { .db = getenv("CHM_DATABASE_URL"),
				 .format = isatty(STDOUT_FILENO) ? CHM_FMT_TABLE : CHM_FMT_NDJSON,
				 .color = chm_color_auto(getenv("NO_COLOR"), STDOUT_FILENO) };
	struct chm_err err;
	size_t nq, total;
	int64_t clock = chm_time_now();

	chm_cli_init("chm-report");
	chm_err_clear(&err);
	if (parse_args(argc, argv, &a) || read_times(&a, clock))
		return CHM_EX_USAGE;
	argc -= optind;
	argv += optind;
	chm_questions(&total);
	const struct chm_question **asked = chm_xmalloc(sizeof(*asked) * total * (size_t)(argc ? argc : 1));
	if (pick_questions(argv, argc, a.format, asked, &nq)) {
		free(asked);
		return CHM_EX_USAGE;
	}
	PGconn *conn = chm_migrate_connect(a.db, "chm-report", &err);
	if (conn && chm_db_statement_timeout(conn, getenv("CHM_STATEMENT_TIMEOUT"), &err)) {
		PQfinish(conn);
		conn = NULL;
	}
	int status = 0;
	if (!conn) {
		status = chm_report_err(&err);
	} else {
		struct chm_formatter f = { .format = a.format, .opts = &a.o, .generated = clock, .color = a.color,
					   .width = a.wide ? 0 : chm_table_width(STDOUT_FILENO, getenv("COLUMNS")) };
		if (chm_report_write(conn, &f, asked, nq, stdout, &err))
			status = chm_report_err(&err);
		PQfinish(conn);
	}
	free(asked);
	return chm_exit_status(status, NULL);
}
