/* output: what chm's inventory and run commands print. Success is JSON (one
 * object, or NDJSON for a list) or, for people, an aligned table. Every
 * failure is one JSON object of one shape:
 *   {"error":{"code":"validation_failed","message":"...",
 *             "details":[{"field":"threshold","issue":"must be > 0"}]}}
 * The caller hands in the streams (chm passes stdout and stderr): this module
 * writes only where it is told. */
#ifndef CHM_OUTPUT_H
#define CHM_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

#include "core/err.h"

/* chm's own formats; chm-report has more (enum chm_format, report.h). */
enum chm_out_format { CHM_OUT_JSON, CHM_OUT_TABLE };

/* A failure with any number of field-level issues. err.status is the exit
 * status, err.code the error code; details collects {"field","issue"}. */
struct chm_fail {
	struct chm_err err;
	json_t *details;   /* NULL until the first issue */
};

void chm_fail_init(struct chm_fail *f);
void chm_fail_release(struct chm_fail *f);
/* Adds one issue about field. */
void chm_fail_issue(struct chm_fail *f, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int chm_fail_count(const struct chm_fail *f);
/* When issues were added: sets status and code and a message that lists
 * them, and returns -1; 0 when there were none. */
int chm_fail_finish(struct chm_fail *f, int status, enum chm_err_kind kind);
/* Sets the whole failure; a non-empty field also becomes an issue whose text
 * is the message. Returns -1. */
int chm_fail_set(struct chm_fail *f, int status, enum chm_err_kind kind, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same from a library chm_err. Returns -1. */
int chm_fail_from_err(struct chm_fail *f, const struct chm_err *err);
/* Writes the one error object as a line. */
void chm_fail_print(FILE *fp, const struct chm_fail *f);
/* The same failure for a person at a terminal: one line,
 * "chm: pipeline list: unknown option --clinet (did you mean --client?)";
 * where names the command. */
void chm_fail_print_text(FILE *fp, const char *where, const struct chm_fail *f);

/* Rows out: JSON lines as they come, or a table printed at the end (a table
 * needs every row to size its columns; commands bound their lists). Columns
 * are keys of the row objects; "a.b" reaches into a nested object. The
 * table is table.h's, fitted to width (0: no limit). */
struct chm_out {
	FILE *fp;
	enum chm_out_format format;
	int width;
	int color;                    /* statuses in colour (table only) */
	const char *const *columns;   /* NULL-terminated */
	json_t *rows;                 /* table rows, until chm_out_end */
};

void chm_out_begin(struct chm_out *o, FILE *fp, enum chm_out_format format, int width, int color,
		   const char *const *columns);
/* Takes the reference to row. -1 on a write error. */
int chm_out_row(struct chm_out *o, json_t *row);
/* Prints the table, if any, and frees what is buffered. -1 on a write error. */
int chm_out_end(struct chm_out *o);
/* Writes rows as a table with the given columns (no buffering needed). */
int chm_out_table(FILE *fp, json_t *rows, const char *const *columns, int width, int color);

#endif
