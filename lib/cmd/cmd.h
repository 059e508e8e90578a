/* cmd: the frame of chm's own subcommands (client, pipeline, rule, run,
 * summary): declared options parsed into named values, the action table of
 * each command, validation helpers that collect field-level issues, the
 * database connection made on first use, and the lookups of clients and
 * pipelines by name or id. The commands themselves are cmd_<name>.c.
 *
 * Exit statuses: 64 when the command line cannot be understood (unknown
 * action or option, option without its value or given twice, a required
 * option missing); 65 when a value is invalid, names what does not exist or
 * breaks a rule (duplicate name, duplicate enabled rule); 75/78 from the
 * database connection (db.h). */
#ifndef CHM_CMD_H
#define CHM_CMD_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/output.h"

struct chm_ctx {
	const char *db;          /* --db, or NULL: CHM_DATABASE_URL, libpq rules */
	const char *statement_timeout; /* CHM_STATEMENT_TIMEOUT, or NULL: the default */
	PGconn *conn;            /* connected by chm_ctx_conn */
	enum chm_out_format format;
	int width;               /* a table's width (0: no limit); --wide sets 0 */
	int color;               /* a table's statuses in colour: the program's
				  * decision (NO_COLOR, a terminal), --color's over it */
	char where[64];          /* "pipeline list": what failed, for a person */
	FILE *out;               /* results */
	FILE *diag;              /* notes for people (a list's "more rows") */
	struct chm_fail fail;    /* filled when a command returns -1 */
};

void chm_ctx_init(struct chm_ctx *ctx, const char *db, FILE *out, FILE *diag);
void chm_ctx_release(struct chm_ctx *ctx);

enum {
	CHM_OPT_VALUE = 1,        /* --name VALUE (else a switch: --all) */
	CHM_OPT_REQUIRED = 2,
	CHM_OPT_POSITIONAL = 4,   /* also taken as the one bare argument */
};

struct chm_opt {
	const char *name;    /* without the dashes */
	const char *field;   /* the field named in errors and output */
	unsigned flags;
};

#define CHM_MAX_OPTS 24   /* options an action may declare */

struct chm_args {
	const struct chm_opt *opts;
	const char *val[CHM_MAX_OPTS];   /* NULL when not given; "" for a switch given */
};

/* The value of option name, or NULL when it was not given. */
const char *chm_arg(const struct chm_args *a, const char *name);

struct chm_action {
	const char *name;        /* NULL for a command without actions (summary) */
	const char *synopsis;    /* "create --name NAME [--description TEXT]" */
	const struct chm_opt *opts;   /* ends with { NULL } */
	int (*run)(struct chm_ctx *ctx, const struct chm_args *a);
};

/* Runs `chm COMMAND ACTION [OPTIONS]` (argv[0] is COMMAND). --format,
 * --wide, --db and --help are taken by every action. 0 on success; -1 with ctx->fail. */
int chm_cmd_dispatch(struct chm_ctx *ctx, const char *command, const struct chm_action *actions,
		     int nactions, int argc, char **argv);

/* Validation helpers: each adds an issue to ctx->fail and returns -1, or 0. */
int chm_check_enum(struct chm_ctx *ctx, const char *field, const char *value,
		   const char *const *names);
int chm_check_text(struct chm_ctx *ctx, const char *field, const char *value, size_t max,
		   int allow_empty);
int chm_check_int(struct chm_ctx *ctx, const char *field, const char *value, int64_t min,
		  int64_t max, int64_t *out);
int chm_check_number(struct chm_ctx *ctx, const char *field, const char *value, double min,
		     double *out);
/* true|false (also yes|no, 1|0). */
int chm_check_bool(struct chm_ctx *ctx, const char *field, const char *value, int *out);
/* Any time chm_time_parse_arg reads: RFC 3339, a date, now, today,
 * yesterday, or back from now (90m, 7d). */
int chm_check_time(struct chm_ctx *ctx, const char *field, const char *value, int64_t now,
		   int64_t *out);
/* Ends validation: -1 with a validation_failed error (65) when any issue was
 * added: the values of a client, pipeline, rule or run, which chm-load would
 * reject in a record alike. */
int chm_check_done(struct chm_ctx *ctx);
/* Ends validation of a question's flags (a window, a filter, a limit): -1
 * with a usage error (64) when any issue was added, as chm-report says of
 * the same flags. */
int chm_check_usage(struct chm_ctx *ctx);

/* The connection, made on first use. NULL with ctx->fail. */
PGconn *chm_ctx_conn(struct chm_ctx *ctx);
/* Runs an embedded query (sql/queries/NAME). NULL with ctx->fail: a unique
 * violation becomes a `conflict` naming the field, a check violation a
 * `validation_failed`, never PostgreSQL's own text alone. */
PGresult *chm_ctx_query(struct chm_ctx *ctx, const char *name, int nparams,
			const char *const *params);
/* A client by id (all digits) or name: 0 and *id; -1 with a not_found issue on field. */
int chm_find_client(struct chm_ctx *ctx, const char *ref, const char *field, int64_t *id);
/* A pipeline by id or "client/name": 0 and *id; -1 with not_found on field. */
int chm_find_pipeline(struct chm_ctx *ctx, const char *ref, const char *field, int64_t *id);

/* When ctx->fail has code: replaces its message (a conflict that can name
 * the values at fault, which the database's constraint name cannot). */
void chm_fail_reword(struct chm_ctx *ctx, enum chm_err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints column 0 of the first max rows (-1: all; JSON text) with the given
 * table columns: NDJSON or one table. -1 with ctx->fail on a write error. */
int chm_emit_rows(struct chm_ctx *ctx, PGresult *res, int max, const char *const *columns);
/* Runs an embedded query whose rows are JSON text and prints them all, as
 * chm_emit_rows. -1 with ctx->fail. */
int chm_emit_query(struct chm_ctx *ctx, const char *name, int nparams, const char *const *params,
		   const char *const *columns);
/* Prints one object (takes the reference). */
int chm_emit_object(struct chm_ctx *ctx, json_t *obj, const char *const *columns);
/* An int64 as a query parameter in buf (24 bytes). */
const char *chm_param_id(int64_t id, char *buf);

/* The commands. */
int chm_cmd_client(struct chm_ctx *ctx, int argc, char **argv);
int chm_cmd_pipeline(struct chm_ctx *ctx, int argc, char **argv);
int chm_cmd_rule(struct chm_ctx *ctx, int argc, char **argv);
int chm_cmd_run(struct chm_ctx *ctx, int argc, char **argv);
int chm_cmd_summary(struct chm_ctx *ctx, int argc, char **argv);
int chm_cmd_state(struct chm_ctx *ctx, int argc, char **argv);

#endif
