/* chm: the operator's command. Its own subcommands are in the table below;
 * any other name runs chm-<name> (chm load -> chm-load), from the directory
 * chm itself is in, else from PATH. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/cli.h"
#include "core/db.h"
#include "core/strbuf.h"
#include "core/suggest.h"
#include "core/table.h"
#include "engines/migrate.h"

static void usage(FILE *fp)
{
	fputs("usage: chm [--db CONNINFO] COMMAND [ARGS...]\n"
	      "commands:\n"
	      "  migrate [--status] [--citus]          apply pending schema migrations (safe to run twice, or at once);\n"
	      "                                        --citus also lays the tables out on a Citus cluster\n"
	      "  client create|list|get|update|disable clients\n"
	      "  pipeline create|list|get|update|disable\n"
	      "                                        pipelines, each under one client\n"
	      "  rule create|list|get|update|enable|disable|delete|test\n"
	      "                                        alert rules\n"
	      "  run record|list|latest                record a run, list runs, latest run per pipeline\n"
	      "  summary --client C [--since T] [--until T]\n"
	      "                                        run counts and each pipeline's latest status\n"
	      "  state show|clear FILE ...             read or reset chm-fetch's bookmarks in a state file\n"
	      "  fetch|normalize|load|report|synth ... run chm-fetch, chm-normalize, chm-load, chm-report,\n"
	      "                                        chm-synth\n"
	      "  exec --pipeline C/N ... -- CMD ...    run a cron job and record it as a run (chm-exec)\n"
	      "`chm COMMAND --help` shows a command's options. Results are a table on a terminal and\n"
	      "JSON in a pipe (--format json|table says which; --wide for all of each value;\n"
	      "--color never|always|auto for statuses in colour, auto unless NO_COLOR is set);\n"
	      "a failure is one line on a terminal, one JSON error object on stderr otherwise.\n",
	      fp);
}

static void note_applied(const char *version, void *arg)
{
	(void)arg;
	printf("{\"type\":\"migration\",\"version\":\"%s\",\"applied\":true}\n", version);
}

static void note_citus(const char *table, const char *kind, int shards, void *arg)
{
	(void)arg;
	printf("{\"type\":\"citus\",\"table\":\"%s\",\"kind\":\"%s\",\"shards\":%d}\n", table, kind,
	       shards);
}

static int cmd_migrate(const char *db, int argc, char **argv)
{
	struct chm_err err;
	int status_only = 0, citus = 0;

	chm_err_clear(&err);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0)
			status_only = 1;
		else if (strcmp(argv[i], "--citus") == 0)
			citus = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			puts("usage: chm migrate [--status] [--citus]");
			return chm_close_stdout();
		} else {
			static const char *const names[] = { "status", "citus", "help" };
			struct strbuf sb = STRBUF_INIT;
			chm_suggest_option(&sb, argv[i], names, 3);
			chm_warn("migrate: %s", argv[i][0] == '-' ? sb.buf : "unexpected argument");
			strbuf_release(&sb);
			return CHM_EX_USAGE;
		}
	}
	PGconn *conn = chm_db_connect(db, "chm-migrate", &err);
	if (!conn)
		return chm_report_err(&err);
	int n = status_only ? chm_migrate_pending(conn, &err) : chm_migrate(conn, note_applied, NULL, &err);
	/* the layout after the migrations: a new table is laid out as it arrives */
	if (n >= 0 && citus && !status_only && chm_migrate_citus(conn, note_citus, NULL, &err) < 0)
		n = -1;
	PQfinish(conn);
	if (n < 0)
		return chm_report_err(&err);
	printf(status_only ? "{\"type\":\"migrate\",\"pending\":%d}\n" : "{\"type\":\"migrate\",\"applied\":%d}\n", n);
	return chm_close_stdout();
}

/* The inventory and run commands live in lib/cmd_*.c; here they get their
 * streams and what a terminal changes: a table, statuses in colour, and a
 * failure as one line for a person instead of the one JSON error object. */
static int run_cmd(const char *db, int argc, char **argv,
		   int (*cmd)(struct chm_ctx *ctx, int argc, char **argv))
{
	struct chm_ctx ctx;
	int status = 0;

	chm_ctx_init(&ctx, db, stdout, stderr);
	ctx.statement_timeout = getenv("CHM_STATEMENT_TIMEOUT");
	ctx.width = chm_table_width(STDOUT_FILENO, getenv("COLUMNS"));
	/* a person at a terminal reads a table, a pipe gets JSON (as ls and git
	 * decide); --format says otherwise */
	ctx.format = isatty(STDOUT_FILENO) ? CHM_OUT_TABLE : CHM_OUT_JSON;
	ctx.color = chm_color_auto(getenv("NO_COLOR"), STDOUT_FILENO);
	int rc = cmd(&ctx, argc, argv);
	/* a failed write is a failure like any other: in the error shape */
	if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE)
		rc = chm_fail_set(&ctx.fail, CHM_EX_IOERR, CHM_E_IO_ERROR, NULL,
				  "write error on standard output: %s", strerror(errno));
	if (rc) {
		/* a person reads a line; a program (or --format json) the object */
		if (isatty(STDERR_FILENO) && ctx.format == CHM_OUT_TABLE)
			chm_fail_print_text(stderr, ctx.where, &ctx.fail);
		else
			chm_fail_print(stderr, &ctx.fail);
		status = ctx.fail.err.status ? ctx.fail.err.status : CHM_EX_SOFTWARE;
	}
	chm_ctx_release(&ctx);
	return status;
}

static int cmd_client(const char *db, int argc, char **argv)
{
	return run_cmd(db, argc, argv, chm_cmd_client);
}

static int cmd_pipeline(const char *db, int argc, char **argv)
{
	return run_cmd(db, argc, argv, chm_cmd_pipeline);
}

static int cmd_rule(const char *db, int argc, char **argv)
{
	return run_cmd(db, argc, argv, chm_cmd_rule);
}

static int cmd_run(const char *db, int argc, char **argv)
{
	return run_cmd(db, argc, argv, chm_cmd_run);
}

static int cmd_summary(const char *db, int argc, char **argv)
{
	return run_cmd(db, argc, argv, chm_cmd_summary);
}

static int cmd_state(const char *db, int argc, char **argv)
{
	return run_cmd(db, argc, argv, chm_cmd_state);
}

struct command {
	const char *name;
	int (*run)(const char *db, int argc, char **argv);
};

static const struct command commands[] = {
	{ "migrate", cmd_migrate },
	{ "client", cmd_client },
	{ "pipeline", cmd_pipeline },
	{ "rule", cmd_rule },
	{ "run", cmd_run },
	{ "summary", cmd_summary },
	{ "state", cmd_state },
};

/* Runs chm-<name> with the rest of the arguments; returns only on failure. */
static int run_external(const char *db, int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char prog[128];

	snprintf(prog, sizeof(prog), "chm-%s", argv[0]);
	if (db)
		setenv("CHM_DATABASE_URL", db, 1); /* never on a command line another user can see */
	argv[0] = prog;
	if (n > 0) {
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dirname(self), prog);
		if (access(path, X_OK) == 0)
			execv(path, argv);
	}
	execvp(prog, argv);
	/* the nearest of chm's own commands and the programs it runs */
	static const char *const externals[] = { "fetch", "normalize", "load", "report", "synth",
						 "exec", "alert", "notify" };
	enum { NOWN = sizeof(commands) / sizeof(commands[0]), NEXT = sizeof(externals) / sizeof(externals[0]) };
	const char *names[NOWN + NEXT];
	for (size_t i = 0; i < NOWN; i++)
		names[i] = commands[i].name;
	memcpy(names + NOWN, externals, sizeof(externals));
	const char *near = errno == ENOENT ? chm_suggest(prog + 4, names, NOWN + NEXT) : NULL;
	if (near)
		chm_warn("'%s' is not a chm command (did you mean %s?); see chm --help", prog + 4, near);
	else
		chm_warn("'%s' is not a chm command (no %s: %s); see chm --help", prog + 4, prog,
			 strerror(errno));
	return CHM_EX_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = getenv("CHM_DATABASE_URL");
	int c;

	chm_cli_init("chm");
	/* stop at the subcommand: its options are its own */
	while ((c = chm_getopt(argc, argv, "+", opts)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': usage(stdout); return chm_close_stdout();
		case 'V': return chm_print_version();
		default: return CHM_EX_USAGE; /* chm_getopt said why */
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return CHM_EX_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(db, argc, argv);
	return run_external(db, argc, argv);
}
