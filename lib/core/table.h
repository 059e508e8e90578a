/* table: the one printer of aligned tables for people, used by chm's
 * `--format table` (output.c) and by chm-report's (report_format.c), so both
 * programs show a value the same way: null as "-", numbers right-aligned,
 * times without microseconds, seconds and rates in human units, control
 * characters never reaching the terminal, and the whole fitted to a width
 * (which columns are details a narrow terminal may leave out is decided
 * here too, by name, beside the kinds).
 *
 * A status may be coloured (success green, failed red, running yellow,
 * canceled and skipped dim) when the caller says so.
 *
 * What people read is humanised here, and only here: the terminal tables
 * and chm-report's html page (chm_table_human, chm_table_duration,
 * chm_table_rate); the machine formats (ndjson, csv, prom) keep the raw
 * values and never come here. Which columns hold durations, ages or rates
 * is decided here from the column's name, in one table of rules (table.c),
 * so every program agrees on it.
 *
 * table.c includes output.h and report.h together: each declares its own
 * format enum (chm_out_format, chm_format), and that file is the check that
 * they can be used side by side. */
#ifndef CHM_TABLE_H
#define CHM_TABLE_H

#include <stddef.h>

#include "core/strbuf.h"

/* What a value is. The caller says what it knows from the data's type
 * (text, number, time, null); the column's name may make a number a
 * duration, an age or a rate, or a text a status or a time. */
enum chm_cell {
	CHM_CELL_NULL,
	CHM_CELL_TEXT,
	CHM_CELL_NUMBER,
	CHM_CELL_TIME,      /* RFC 3339 */
	CHM_CELL_DURATION,  /* seconds: "4m 12s" */
	CHM_CELL_AGE,       /* seconds ago: "11d 5h ago" */
	CHM_CELL_RATE,      /* a fraction: "97.3%" */
	CHM_CELL_STATUS,
};

struct chm_table_cell;

struct chm_table {
	size_t ncol, nrow;
	char **names;
	struct chm_table_cell *cells;   /* row-major, as added */
	size_t ncells, cap;
};

void chm_table_init(struct chm_table *t, const char *const *names, size_t ncol);
/* The next cell, row by row; text is copied (NULL is a null). */
void chm_table_add(struct chm_table *t, enum chm_cell kind, const char *text);
/* Appends the header and the rows. width: the columns fit in it (details
 * left out first and named on a line under the rows, then the widest text
 * columns cut, with one "…"); 0 for no limit. color: run
 * statuses in colour (SGR escapes around the value, never counted in a
 * width); the program decides it (chm_color_auto, --color), never here. */
void chm_table_render(const struct chm_table *t, int width, int color, struct strbuf *out);
void chm_table_release(struct chm_table *t);

/* s as one terminal line without escapes, in place: line breaks and tabs
 * become spaces, other control characters (C0, DEL, C1) "?". For any text
 * from partners or the command line that a terminal shows. */
void chm_table_sanitise(char *s);

/* The kind a column's name gives a value of kind base (the rules). */
enum chm_cell chm_table_kind(const char *column, enum chm_cell base);

/* A value as a table shows it, for another medium (chm-report's html): the
 * column's rules and human units, no fitting and no control-character
 * cleaning (the caller escapes for its medium). text NULL is a null, "-".
 * Returns the kind the rules gave. */
enum chm_cell chm_table_human(struct strbuf *sb, const char *column, enum chm_cell base,
			      const char *text);
/* Seconds as a duration cell shows them: "850 ms", "42s", "4m 12s". */
void chm_table_duration(struct strbuf *sb, double seconds);
/* A fraction as a rate cell shows it: "97.3%". */
void chm_table_rate(struct strbuf *sb, double fraction);

/* The width a table may take on fd: COLUMNS when it is a positive number
 * (columns_env, read by the program), else the terminal's, else 80.
 * The programs' --wide asks for 0 instead. */
int chm_table_width(int fd, const char *columns_env);

#define CHM_TABLE_DEFAULT_WIDTH 80

#endif
