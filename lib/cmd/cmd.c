#include "cmd/cmd.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/cli.h"
#include "core/db.h"
#include "core/enums.h"
#include "core/sqlfiles.h"
#include "core/strbuf.h"
#include "core/suggest.h"
#include "engines/migrate.h"

void chm_ctx_init(struct chm_ctx *ctx, const char *db, FILE *out, FILE *diag)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->db = db;
	ctx->out = out;
	ctx->diag = diag;
	chm_fail_init(&ctx->fail);
}

void chm_ctx_release(struct chm_ctx *ctx)
{
	if (ctx->conn)
		PQfinish(ctx->conn);
	ctx->conn = NULL;
	chm_fail_release(&ctx->fail);
}

const char *chm_arg(const struct chm_args *a, const char *name)
{
	for (int i = 0; a->opts[i].name; i++)
		if (strcmp(a->opts[i].name, name) == 0)
			return a->val[i];
	return NULL;
}

static void print_usage(FILE *fp, const char *command, const struct chm_action *actions,
			int nactions, const struct chm_action *only)
{
	fputs("usage:\n", fp);
	for (int i = 0; i < nactions; i++)
		if (!only || only == &actions[i])
			fprintf(fp, "  chm %s %s\n", command, actions[i].synopsis);
	fputs("every action also takes --format json|table (default: table on a terminal, json\n"
	      "otherwise), --wide (every column whole, not fitted to the terminal),\n"
	      "--color never|always|auto (a table's statuses; auto: on a terminal, not under\n"
	      "NO_COLOR), --db CONNINFO and --help;\n"
	      "see README.md, section chm, for what each prints\n",
	      fp);
}

static int find_opt(const struct chm_opt *opts, const char *name, size_t len)
{
	for (int i = 0; opts[i].name; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return i;
	return -1;
}

static void action_names(struct strbuf *sb, const struct chm_action *actions, int nactions)
{
	for (int k = 0; k < nactions; k++)
		strbuf_addf(sb, "%s%s", k ? ", " : "", actions[k].name);
}

/* No action, or one the command does not have: the usage error, with the
 * nearest action when one is near. Returns -1. */
static int no_action(struct chm_ctx *ctx, const char *command, const struct chm_action *actions,
		     int nactions, const char *given)
{
	struct strbuf sb = STRBUF_INIT;
	const char *names[32], *near;
	int n = 0;

	action_names(&sb, actions, nactions);
	for (; n < nactions && n < 32; n++)
		names[n] = actions[n].name;
	if (!given)
		chm_fail_set(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE, "action", "chm %s needs an action: %s",
			     command, sb.buf);
	else if ((near = chm_suggest(given, names, (size_t)n)) != NULL)
		chm_fail_set(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE, "action",
			     "unknown action \"%.100s\" (did you mean %s?)", given, near);
	else
		chm_fail_set(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE, "action",
			     "unknown action \"%.100s\" of chm %s; expected one of %s", given, command, sb.buf);
	strbuf_release(&sb);
	return -1;
}

/* The options every action takes, besides its own. */
static const char *const common_opts[] = { "format", "wide", "db", "color", "help" };
#define NCOMMON (sizeof(common_opts) / sizeof(common_opts[0]))

/* An option the action does not have: the one usage error, with the
 * nearest name when one is near; nothing after it is read. */
static void unknown_option(struct chm_ctx *ctx, const struct chm_action *act, const char *arg)
{
	struct strbuf sb = STRBUF_INIT;
	const char *names[CHM_MAX_OPTS + NCOMMON];
	size_t n = 0;
	char field[80];

	for (int k = 0; act->opts[k].name && n < CHM_MAX_OPTS; k++)
		names[n++] = act->opts[k].name;
	for (size_t k = 0; k < NCOMMON; k++)
		names[n++] = common_opts[k];
	chm_suggest_option(&sb, arg, names, n);
	snprintf(field, sizeof(field), "%.*s", (int)strcspn(arg, "="), arg);
	chm_fail_set(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE, field, "%s", sb.buf);
	strbuf_release(&sb);
}

/* --format's value into ctx; -1 when it is neither json nor table. */
static int set_format(struct chm_ctx *ctx, const char *value)
{
	if (strcmp(value, "json") == 0)
		ctx->format = CHM_OUT_JSON;
	else if (strcmp(value, "table") == 0)
		ctx->format = CHM_OUT_TABLE;
	else
		return -1;
	return 0;
}

/* After an unknown option: a --format further on still says how the
 * error is shown. */
static void format_after(struct chm_ctx *ctx, int i, int argc, char **argv)
{
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *v = strncmp(argv[i], "--format=", 9) == 0 ? argv[i] + 9
				: strcmp(argv[i], "--format") == 0 && i + 1 < argc ? argv[i + 1]
										 : NULL;
		if (v)
			set_format(ctx, v);
	}
}

/* --format and --color (value) into ctx; the value is checked. */
static void common_value(struct chm_ctx *ctx, int is_format, const char *value)
{
	if (is_format) {
		if (set_format(ctx, value) < 0)
			chm_fail_issue(&ctx->fail, "format", "must be json or table (got \"%.64s\")", value);
	} else if (chm_color_parse(value, &ctx->color) < 0)
		chm_fail_issue(&ctx->fail, "color", "must be never, always or auto (got \"%.64s\")", value);
}

/* Takes --NAME VALUE, --NAME=VALUE, switches and the one bare argument into
 * a; every problem becomes an issue of ctx->fail, but an unknown option
 * ends the reading (-1): what follows it cannot be understood. The common
 * options --format, --wide, --color and --db go to ctx. */
static int parse_args(struct chm_ctx *ctx, const struct chm_action *act, struct chm_args *a, int i,
		      int argc, char **argv)
{
	int only_positional = 0;

	a->opts = act->opts;
	for (; i < argc; i++) {
		const char *arg = argv[i];
		if (!only_positional && strcmp(arg, "--") == 0) {
			only_positional = 1;
			continue;
		}
		if (!only_positional && arg[0] == '-' && arg[1] == '-') {
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const char *value = eq ? eq + 1 : NULL;
			int k = find_opt(act->opts, name, len);
			int is_format = len == 6 && strncmp(name, "format", 6) == 0;
			int is_color = len == 5 && strncmp(name, "color", 5) == 0;
			int is_db = len == 2 && strncmp(name, "db", 2) == 0;
			if (k < 0 && len == 4 && strncmp(name, "wide", 4) == 0 && !value) {
				ctx->width = 0;
				continue;
			}
			if (k < 0 && !is_format && !is_db && !is_color) {
				unknown_option(ctx, act, arg);
				format_after(ctx, i + 1, argc, argv);
				return -1;
			}
			int common = is_format || is_db || is_color;
			const char *field = is_format ? "format" : is_db ? "db" : is_color ? "color" : act->opts[k].field;
			if (common || (act->opts[k].flags & CHM_OPT_VALUE)) {
				if (!value && i + 1 >= argc) {
					chm_fail_issue(&ctx->fail, field, "--%.*s needs a value", (int)len, name);
					continue;
				}
				if (!value)
					value = argv[++i];
			} else if (value) {
				chm_fail_issue(&ctx->fail, field, "--%s takes no value", act->opts[k].name);
				continue;
			} else {
				value = "";
			}
			if (is_db) {
				ctx->db = value;
			} else if (common) {
				common_value(ctx, is_format, value);
			} else {
				if (a->val[k])
					chm_fail_issue(&ctx->fail, field, "--%s is given twice",
						       act->opts[k].name);
				a->val[k] = value;
			}
			continue;
		}
		if (!only_positional && arg[0] == '-' && arg[1]) {
			unknown_option(ctx, act, arg);
			format_after(ctx, i + 1, argc, argv);
			return -1;
		}
		int k;
		for (k = 0; act->opts[k].name; k++)
			if (act->opts[k].flags & CHM_OPT_POSITIONAL)
				break;
		if (!act->opts[k].name || a->val[k]) {
			chm_fail_issue(&ctx->fail, "argument", "unexpected argument \"%.100s\"", arg);
			continue;
		}
		a->val[k] = arg;
	}
	for (int k = 0; act->opts[k].name; k++)
		if ((act->opts[k].flags & CHM_OPT_REQUIRED) && !a->val[k])
			chm_fail_issue(&ctx->fail, act->opts[k].field, "is required (--%s)",
				       act->opts[k].name);
	return 0;
}

int chm_cmd_dispatch(struct chm_ctx *ctx, const char *command, const struct chm_action *actions,
		     int nactions, int argc, char **argv)
{
	const struct chm_action *act = NULL;
	struct chm_args a;
	int i = 1;

	memset(&a, 0, sizeof(a));
	snprintf(ctx->where, sizeof(ctx->where), "%s", command);
	if (!actions[0].name) {
		act = &actions[0];
	} else if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		print_usage(ctx->out, command, actions, nactions, NULL);
		return 0;
	} else {
		for (int k = 0; argc >= 2 && k < nactions; k++)
			if (strcmp(argv[1], actions[k].name) == 0)
				act = &actions[k];
		if (!act)
			return no_action(ctx, command, actions, nactions, argc >= 2 ? argv[1] : NULL);
		i = 2;
	}
	for (int k = i; k < argc && strcmp(argv[k], "--") != 0; k++) {
		if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
			print_usage(ctx->out, command, actions, nactions, act);
			return 0;
		}
	}
	snprintf(ctx->where, sizeof(ctx->where), "%s%s%s", command, act->name ? " " : "",
		 act->name ? act->name : "");
	if (parse_args(ctx, act, &a, i, argc, argv))
		return -1;
	if (chm_fail_finish(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE))
		return -1;
	return act->run(ctx, &a);
}

int chm_check_enum(struct chm_ctx *ctx, const char *field, const char *value,
		   const char *const *names)
{
	struct strbuf sb = STRBUF_INIT;
	if (!value)
		return 0;
	for (const char *const *n = names; *n; n++)
		if (strcmp(*n, value) == 0)
			return 0;
	for (const char *const *n = names; *n; n++)
		strbuf_addf(&sb, "%s%s", n == names ? "" : ", ", *n);
	const char *now = chm_enum_renamed(names, value);
	chm_fail_issue(&ctx->fail, field, "must be one of %s (got \"%.64s\"%s%s%s)", sb.buf, value,
		       now ? ", a value from before the seed enums: write \"" : "", now ? now : "",
		       now ? "\"" : "");
	strbuf_release(&sb);
	return -1;
}

int chm_check_text(struct chm_ctx *ctx, const char *field, const char *value, size_t max,
		   int allow_empty)
{
	if (!value)
		return 0;
	json_t *s = json_string(value);
	if (!s) {
		chm_fail_issue(&ctx->fail, field, "must be valid UTF-8");
		return -1;
	}
	json_decref(s);
	size_t chars = 0, blank = 1;
	for (const char *p = value; *p; p++) {
		chars += ((unsigned char)*p & 0xc0) != 0x80;
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			blank = 0;
	}
	if (blank && !allow_empty) {
		chm_fail_issue(&ctx->fail, field, "must not be empty");
		return -1;
	}
	if (chars > max) {
		chm_fail_issue(&ctx->fail, field, "must be at most %zu characters (got %zu)", max, chars);
		return -1;
	}
	return 0;
}

int chm_check_int(struct chm_ctx *ctx, const char *field, const char *value, int64_t min,
		  int64_t max, int64_t *out)
{
	char *end;
	if (!value)
		return 0;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (errno == ERANGE || end == value || *end || value[0] == ' ') {
		chm_fail_issue(&ctx->fail, field, "must be a whole number (got \"%.64s\")", value);
		return -1;
	}
	if (v < min) {
		if (min == 1)
			chm_fail_issue(&ctx->fail, field, "must be > 0");
		else
			chm_fail_issue(&ctx->fail, field, "must be >= %lld", (long long)min);
		return -1;
	}
	if (v > max) {
		chm_fail_issue(&ctx->fail, field, "must be <= %lld", (long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int chm_check_number(struct chm_ctx *ctx, const char *field, const char *value, double min,
		     double *out)
{
	char *end;
	if (!value)
		return 0;
	double v = strtod(value, &end);
	if (end == value || *end || !isfinite(v)) {
		chm_fail_issue(&ctx->fail, field, "must be a number (got \"%.64s\")", value);
		return -1;
	}
	if (v < min) {
		chm_fail_issue(&ctx->fail, field, "must be >= %g", min);
		return -1;
	}
	*out = v;
	return 0;
}

int chm_check_bool(struct chm_ctx *ctx, const char *field, const char *value, int *out)
{
	if (!value)
		return 0;
	if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0")) {
		*out = 0;
		return 0;
	}
	chm_fail_issue(&ctx->fail, field, "must be true or false (got \"%.64s\")", value);
	return -1;
}

int chm_check_time(struct chm_ctx *ctx, const char *field, const char *value, int64_t now,
		   int64_t *out)
{
	struct chm_err err;
	if (!value)
		return 0;
	chm_err_clear(&err);
	if (chm_time_parse_arg(value, now, out, field, &err) == 0)
		return 0;
	chm_fail_issue(&ctx->fail, field,
		       "must be RFC 3339, a date (2026-12-01), now, today, yesterday or a time back "
		       "from now (90m, 1.5h, 7d, 2w) (got \"%.64s\")",
		       value);
	return -1;
}

int chm_check_done(struct chm_ctx *ctx)
{
	return chm_fail_finish(&ctx->fail, CHM_EX_DATAERR, CHM_E_VALIDATION_FAILED);
}

int chm_check_usage(struct chm_ctx *ctx)
{
	return chm_fail_finish(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE);
}

/* A database behind chm is served with a warning, one without its schema
 * refused: when a migration refuses, these commands are how a person mends
 * what it refused (011's message names `chm pipeline update`). */
static int check_schema(struct chm_ctx *ctx, struct chm_err *err)
{
	int empty;
	if (chm_migrate_check(ctx->conn, "chm", &empty, err) == 0)
		return 0;
	if (empty || err->kind != CHM_E_SCHEMA_BEHIND)
		return -1;
	fprintf(ctx->diag, "chm: warning: %s\n", err->msg);
	chm_err_clear(err);
	return 0;
}

PGconn *chm_ctx_conn(struct chm_ctx *ctx)
{
	struct chm_err err;
	if (ctx->conn)
		return ctx->conn;
	chm_err_clear(&err);
	ctx->conn = chm_db_connect(ctx->db, "chm", &err);
	if (ctx->conn && (check_schema(ctx, &err) ||
			  chm_db_statement_timeout(ctx->conn, ctx->statement_timeout, &err))) {
		PQfinish(ctx->conn);
		ctx->conn = NULL;
	}
	if (!ctx->conn)
		chm_fail_from_err(&ctx->fail, &err);
	return ctx->conn;
}

/* What a violated constraint means to the person at the terminal. */
static const struct {
	const char *constraint, *field, *message;
} constraint_text[] = {
	{ "clients_name_key", "name", "a client with this name already exists" },
	{ "pipelines_client_name_key", "name", "the client already has a pipeline with this name" },
	{ "pipelines_client_platform_external_id_key", "external_id",
	  "the client already has a pipeline on this platform with this external_id" },
	{ "alert_rules_enabled_key", "rule",
	  "an enabled rule with the same scope, type, channel and destination already exists" },
	{ "runs_pkey", "external_run_id", "the pipeline already has a run with this external_run_id" },
	{ "clients_name_check", "name", "must be 1 to 200 characters, not blank" },
	{ "pipelines_name_check", "name", "must be 1 to 200 characters, not blank" },
	{ "clients_name_printable", "name", "must not contain control characters" },
	{ "pipelines_name_printable", "name", "must not contain control characters" },
	{ "pipelines_external_id_check", "external_id", "must be 1 to 500 characters" },
	{ "alert_rules_destination_check", "destination", "must be 1 to 500 characters, not blank" },
	{ "alert_rules_threshold_check", "threshold", "must be > 0" },
	{ "alert_rules_window_check", "window_minutes", "must be > 0" },
	{ "alert_rules_parameters_check", "threshold",
	  "failures_in_window needs threshold and window_minutes" },
	{ "alert_rules_scope_check", "client", "a rule needs a client, a pipeline or both" },
};

PGresult *chm_ctx_query(struct chm_ctx *ctx, const char *name, int nparams,
			const char *const *params)
{
	PGconn *conn = chm_ctx_conn(ctx);
	if (!conn)
		return NULL;
	const char *sql = chm_sql(name);
	if (!sql) {
		chm_fail_set(&ctx->fail, CHM_EX_SOFTWARE, CHM_E_INTERNAL, NULL, "no embedded SQL file %s", name);
		return NULL;
	}
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	const char *state = chm_db_sqlstate(res);
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	int unique = strcmp(state, "23505") == 0;
	if (cons && (unique || strcmp(state, "23514") == 0)) {
		for (size_t i = 0; i < sizeof(constraint_text) / sizeof(constraint_text[0]); i++) {
			if (strcmp(cons, constraint_text[i].constraint) != 0)
				continue;
			chm_fail_set(&ctx->fail, CHM_EX_DATAERR, unique ? CHM_E_CONFLICT : CHM_E_VALIDATION_FAILED,
				     constraint_text[i].field, "%s", constraint_text[i].message);
			PQclear(res);
			return NULL;
		}
	}
	struct chm_err err;
	chm_err_clear(&err);
	chm_db_error(conn, res, "database", &err);
	if (unique)
		snprintf(err.msg, sizeof(err.msg), "conflicts with an existing row (%s)",
			 cons ? cons : "unique key");
	chm_fail_from_err(&ctx->fail, &err);
	PQclear(res);
	return NULL;
}

const char *chm_param_id(int64_t id, char *buf)
{
	snprintf(buf, 24, "%lld", (long long)id);
	return buf;
}

/* An id as given on the command line: 1 to 18 digits. */
static int is_id(const char *s)
{
	size_t n = strspn(s, "0123456789");
	return n > 0 && n <= 18 && s[n] == '\0';
}

static int find_client_id(struct chm_ctx *ctx, const char *ref, int64_t *id)
{
	const char *params[] = { is_id(ref) ? ref : NULL, ref };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_client_find.sql", 2, params);
	if (!res)
		return -1;
	*id = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return 0;
}

int chm_find_client(struct chm_ctx *ctx, const char *ref, const char *field, int64_t *id)
{
	if (find_client_id(ctx, ref, id))
		return -1;
	if (!*id) {
		struct chm_err err;
		/* by name: say which name was meant, when one is near */
		if (!is_id(ref) && chm_db_check_name(ctx->conn, "queries/names_clients.sql", "client", field, ref, &err))
			return chm_fail_from_err(&ctx->fail, &err);
		return chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_NOT_FOUND, field,
				    "no client with name or id \"%.200s\"", ref);
	}
	return 0;
}

/* The pipeline of client cid named name: 0 and *id (0 when none), or -1. */
static int find_pipeline_id(struct chm_ctx *ctx, const char *id_ref, int64_t cid, const char *name, int64_t *id)
{
	char cid_s[24];
	const char *params[] = { id_ref, id_ref ? NULL : chm_param_id(cid, cid_s), name };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_pipeline_find.sql", 3, params);
	if (!res)
		return -1;
	*id = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return 0;
}

/* CLIENT/PIPELINE, split at each "/" in turn: a client's name may hold
 * one ("Acme/EU"), and so may a pipeline's. Two splits that both name a
 * pipeline are ambiguous; none, and the client is named when no split
 * gave one. */
static int find_pipeline_by_names(struct chm_ctx *ctx, const char *ref, const char *field, int64_t *id)
{
	int64_t cid, pid, other = 0;
	int clients = 0;

	for (const char *slash = strchr(ref, '/'); slash; slash = strchr(slash + 1, '/')) {
		char *client = strndup(ref, (size_t)(slash - ref));
		int rc = find_client_id(ctx, client, &cid);
		free(client);
		if (rc || (cid && find_pipeline_id(ctx, NULL, cid, slash + 1, &pid)))
			return -1;
		clients += cid != 0;
		if (!cid || !pid)
			continue;
		if (*id)
			other = pid;
		else
			*id = pid;
	}
	if (other)
		return chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_AMBIGUOUS_PIPELINE, field,
				    "\"%.200s\" names two pipelines (ids %lld and %lld): a client's or a pipeline's "
				    "name holds a \"/\"; give the pipeline's id", ref, (long long)*id, (long long)other);
	if (*id)
		return 0;
	int first = (int)(strchr(ref, '/') - ref);
	if (!clients)
		return chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_NOT_FOUND, field,
				    "no client with name or id \"%.*s\"", first < 200 ? first : 200, ref);
	return chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_NOT_FOUND, field, "no pipeline \"%.200s\"", ref);
}

int chm_find_pipeline(struct chm_ctx *ctx, const char *ref, const char *field, int64_t *id)
{
	*id = 0;
	if (is_id(ref)) {
		if (find_pipeline_id(ctx, ref, 0, NULL, id))
			return -1;
		return *id ? 0 : chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_NOT_FOUND, field,
					      "no pipeline with id %.200s", ref);
	}
	if (!strchr(ref, '/'))
		return chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_VALIDATION_FAILED, field,
				    "a pipeline is named as client/pipeline or by its id (got \"%.200s\")",
				    ref);
	return find_pipeline_by_names(ctx, ref, field, id);
}

void chm_fail_reword(struct chm_ctx *ctx, enum chm_err_kind kind, const char *fmt, ...)
{
	va_list ap;
	if (ctx->fail.err.kind != kind)
		return;
	va_start(ap, fmt);
	vsnprintf(ctx->fail.err.msg, sizeof(ctx->fail.err.msg), fmt, ap);
	va_end(ap);
}

/* A reader that went away (chm run list | head) is not a failure. */
static int write_failed(struct chm_ctx *ctx)
{
	if (errno == EPIPE)
		return 0;
	return chm_fail_set(&ctx->fail, CHM_EX_IOERR, CHM_E_IO_ERROR, NULL,
			    "write error on standard output: %s", strerror(errno));
}

int chm_emit_object(struct chm_ctx *ctx, json_t *obj, const char *const *columns)
{
	struct chm_out o;
	chm_out_begin(&o, ctx->out, ctx->format, ctx->width, ctx->color, columns);
	int rc = chm_out_row(&o, obj);
	if (chm_out_end(&o) || rc)
		return write_failed(ctx);
	return 0;
}

int chm_emit_rows(struct chm_ctx *ctx, PGresult *res, int max, const char *const *columns)
{
	struct chm_out o;
	int rc = 0, n = PQntuples(res);

	if (max >= 0 && max < n)
		n = max;
	chm_out_begin(&o, ctx->out, ctx->format, ctx->width, ctx->color, columns);
	for (int i = 0; i < n && rc == 0; i++) {
		json_error_t jerr;
		json_t *row = json_loads(PQgetvalue(res, i, 0), 0, &jerr);
		if (!row) {
			chm_out_end(&o);
			return chm_fail_set(&ctx->fail, CHM_EX_SOFTWARE, CHM_E_INTERNAL, NULL,
					    "query returned invalid JSON: %s", jerr.text);
		}
		rc = chm_out_row(&o, row);
	}
	if (chm_out_end(&o) || rc)
		return write_failed(ctx);
	return 0;
}

int chm_emit_query(struct chm_ctx *ctx, const char *name, int nparams, const char *const *params,
		   const char *const *columns)
{
	PGresult *res = chm_ctx_query(ctx, name, nparams, params);
	if (!res)
		return -1;
	int rc = chm_emit_rows(ctx, res, -1, columns);
	PQclear(res);
	return rc;
}
