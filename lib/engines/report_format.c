/* report_format: a question's rows as ndjson, csv, table or prom (the html
 * page is report_html.c), and how every format reads a cell.
 * Values come from PostgreSQL as text (TimeZone UTC); the column's type
 * decides how they are written: numbers stay numbers, timestamps become
 * RFC 3339 UTC with six fraction digits (as in every CHM record). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/record.h"
#include "core/table.h"
#include "engines/report.h"
#include "engines/report_int.h"

/* ------------------------------------------------------------------ values */

enum kind chm_report_kind(PGresult *res, int c)
{
	switch (PQftype(res, c)) {
	case 16: return K_BOOL;
	case 20: case 21: case 23: return K_INT;
	case 700: case 701: case 1700: return K_NUM;
	case 1114: case 1184: return K_TIME;
	default: return K_TEXT;
	}
}

int chm_report_numeric(enum kind k)
{
	return k == K_INT || k == K_NUM;
}

/* A finite number as PostgreSQL wrote it; 0 for NaN and infinities. */
static int finite_number(const char *s)
{
	return strcmp(s, "NaN") && strcmp(s, "Infinity") && strcmp(s, "-Infinity");
}

/* The cell as the formats show it; NULL for SQL null. buf holds a converted
 * timestamp. */
const char *chm_report_cell(PGresult *res, int r, int c, char *buf)
{
	if (PQgetisnull(res, r, c))
		return NULL;
	const char *v = PQgetvalue(res, r, c);
	enum kind k = chm_report_kind(res, c);
	if (k == K_TIME) {
		int64_t t;
		struct chm_err e;
		if (chm_time_parse(v, CHM_TIME_ALLOW_NO_ZONE, &t, NULL, "", &e) == 0)
			return chm_time_format(t, buf);
	} else if (k == K_BOOL) {
		return v[0] == 't' ? "true" : "false";
	} else if (k == K_NUM && !finite_number(v)) {
		return NULL;
	}
	return v;
}

double chm_report_time(PGresult *res, int r, int c)
{
	int64_t t;
	struct chm_err e;
	if (c < 0 || PQgetisnull(res, r, c) ||
	    chm_time_parse(PQgetvalue(res, r, c), CHM_TIME_ALLOW_NO_ZONE, &t, NULL, "", &e))
		return NAN;
	return (double)t / 1e6;
}

/* ------------------------------------------------------------------ ndjson */

static void ndjson(const struct chm_question *q, PGresult *res, struct strbuf *out)
{
	char buf[CHM_TIME_BUFSZ];
	int nf = PQnfields(res);
	for (int r = 0; r < PQntuples(res); r++) {
		strbuf_adds(out, "{\"type\":");
		chm_json_add_string(out, q->id, strlen(q->id));
		for (int c = 0; c < nf; c++) {
			strbuf_addc(out, ',');
			chm_json_add_string(out, PQfname(res, c), strlen(PQfname(res, c)));
			strbuf_addc(out, ':');
			const char *v = chm_report_cell(res, r, c, buf);
			enum kind k = chm_report_kind(res, c);
			if (!v)
				strbuf_adds(out, "null");
			else if (chm_report_numeric(k) || k == K_BOOL)
				strbuf_adds(out, v);
			else
				chm_json_add_string(out, v, strlen(v));
		}
		strbuf_adds(out, "}\n");
	}
}

/* --------------------------------------------------------------------- csv */

/* text: a text column. Partner data is opened in spreadsheets: a text
 * starting with = + - @, a tab or a CR would be read as a formula
 * (=HYPERLINK(...) in an error message), so such a field gets a leading
 * single quote and is quoted, as OWASP's CSV injection advice says. Numbers
 * (-1.5) are never changed. */
static void csv_field(struct strbuf *sb, const char *s, int text)
{
	if (!s)
		return;
	int formula = text && *s && strchr("=+-@\t\r", *s);
	if (!formula && !strpbrk(s, ",\"\r\n")) {
		strbuf_adds(sb, s);
		return;
	}
	strbuf_addc(sb, '"');
	if (formula)
		strbuf_addc(sb, '\'');
	for (; *s; s++) {
		if (*s == '"')
			strbuf_addc(sb, '"');
		strbuf_addc(sb, *s);
	}
	strbuf_addc(sb, '"');
}

/* RFC 4180: a header row, CRLF line ends, a field quoted when it holds a
 * comma, quote or line break (or starts like a formula, csv_field). Several questions: blocks apart by an empty
 * line (each block on its own is RFC 4180). */
static void csv(struct chm_formatter *f, PGresult *res, struct strbuf *out)
{
	char buf[CHM_TIME_BUFSZ];
	int nf = PQnfields(res);
	if (f->count > 0)
		strbuf_adds(out, "\r\n");
	for (int c = 0; c < nf; c++) {
		if (c)
			strbuf_addc(out, ',');
		csv_field(out, PQfname(res, c), 0);
	}
	strbuf_adds(out, "\r\n");
	for (int r = 0; r < PQntuples(res); r++) {
		for (int c = 0; c < nf; c++) {
			if (c)
				strbuf_addc(out, ',');
			enum kind k = chm_report_kind(res, c);
			csv_field(out, chm_report_cell(res, r, c, buf), !chm_report_numeric(k) && k != K_BOOL);
		}
		strbuf_adds(out, "\r\n");
	}
}

/* ------------------------------------------------------------------- table */

static enum chm_cell table_kind(enum kind k)
{
	switch (k) {
	case K_INT: case K_NUM: return CHM_CELL_NUMBER;
	case K_TIME: return CHM_CELL_TIME;
	case K_TEXT: case K_BOOL: return CHM_CELL_TEXT;
	}
	return CHM_CELL_TEXT;
}

/* The title, then table.h's table (the one every program prints). */
static void table(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
		  struct strbuf *out)
{
	char buf[CHM_TIME_BUFSZ];
	int nf = PQnfields(res), nr = PQntuples(res);
	const char **names = chm_xmalloc(sizeof(char *) * (size_t)(nf ? nf : 1));
	struct chm_table t;

	if (f->count > 0)
		strbuf_addc(out, '\n');
	strbuf_addf(out, "%s: %s\n", q->id, q->title + strlen(q->id) + 1);
	if (nr == 0) {
		strbuf_adds(out, "(no rows)\n");
		free(names);
		return;
	}
	for (int c = 0; c < nf; c++)
		names[c] = PQfname(res, c);
	chm_table_init(&t, names, (size_t)nf);
	for (int r = 0; r < nr; r++)
		for (int c = 0; c < nf; c++)
			chm_table_add(&t, table_kind(chm_report_kind(res, c)), chm_report_cell(res, r, c, buf));
	chm_table_render(&t, f->width, f->color, out);
	chm_table_release(&t);
	free(names);
}

/* -------------------------------------------------------------------- prom */

static void prom_label_value(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			strbuf_addc(sb, '\\'), strbuf_addc(sb, *s);
		else if (*s == '\n')
			strbuf_adds(sb, "\\n");
		else
			strbuf_addc(sb, *s);
	}
}

static int is_label(const struct chm_question *q, const char *name)
{
	for (int i = 0; q->prom_labels[i]; i++)
		if (!strcmp(q->prom_labels[i], name))
			return 1;
	return 0;
}

/* The row's labels: the question's label columns (a null one left out),
 * then the column extra (if any), then le="<le>" (if any). */
static void prom_labels(const struct chm_question *q, PGresult *res, int r, const char *extra,
			const char *le, struct strbuf *out)
{
	int first = 1;
	strbuf_addc(out, '{');
	for (int i = 0; q->prom_labels[i]; i++) {
		int c = PQfnumber(res, q->prom_labels[i]);
		if (c < 0 || PQgetisnull(res, r, c))
			continue;
		strbuf_addf(out, "%s%s=\"", first ? "" : ",", q->prom_labels[i]);
		prom_label_value(out, PQgetvalue(res, r, c));
		strbuf_addc(out, '"');
		first = 0;
	}
	if (extra) {
		int c = PQfnumber(res, extra);
		strbuf_addf(out, "%s%s=\"", first ? "" : ",", extra);
		prom_label_value(out, PQgetvalue(res, r, c));
		strbuf_addc(out, '"');
		first = 0;
	}
	if (le)
		strbuf_addf(out, "%sle=\"%s\"", first ? "" : ",", le);
	strbuf_addc(out, '}');
}

/* A histogram column's upper bound as Prometheus writes le: hist_10s "10",
 * hist_1m "60", hist_6h "21600", hist_inf "+Inf". 0 when the column is not
 * one of the question's histogram buckets. */
static int hist_le(const struct chm_question *q, const char *col, char *le, size_t n)
{
	if (!q->prom_hist || strncmp(col, "hist_", 5))
		return 0;
	col += 5;
	if (!strcmp(col, "inf"))
		return snprintf(le, n, "+Inf"), 1;
	char *unit;
	long v = strtol(col, &unit, 10);
	static const char units[] = "smh";
	const char *u = unit[0] && !unit[1] ? strchr(units, unit[0]) : NULL;
	if (unit == col || v <= 0 || !u)
		return 0;
	static const long scale[] = { 1, 60, 3600 };
	return snprintf(le, n, "%ld", v * scale[u - units]), 1;
}

static int is_hist_part(const struct chm_question *q, const char *col)
{
	char le[24];
	return hist_le(q, col, le, sizeof(le)) ||
	       (q->prom_hist && !strncmp(col, "sum_", 4) && !strcmp(col + 4, q->prom_hist));
}

/* The bucket columns (their counts above the previous bound) as one
 * histogram family <prefix>_<hist>: cumulative buckets, then _sum and
 * _count, per row (a label set). */
static void prom_histogram(const struct chm_question *q, PGresult *res, struct strbuf *out)
{
	int nf = PQnfields(res);
	char sum_col[64], le[24];
	snprintf(sum_col, sizeof(sum_col), "sum_%s", q->prom_hist);
	int sc = PQfnumber(res, sum_col), cc = PQfnumber(res, q->prom_hist_count);

	strbuf_addf(out, "# HELP %s_%s %s: %s, a histogram.\n", q->prom_prefix, q->prom_hist,
		    q->title, q->prom_hist);
	strbuf_addf(out, "# TYPE %s_%s histogram\n", q->prom_prefix, q->prom_hist);
	for (int r = 0; r < PQntuples(res); r++) {
		long long total = 0;
		for (int c = 0; c < nf; c++) {
			if (!hist_le(q, PQfname(res, c), le, sizeof(le)))
				continue;
			total += PQgetisnull(res, r, c) ? 0 : strtoll(PQgetvalue(res, r, c), NULL, 10);
			strbuf_addf(out, "%s_%s_bucket", q->prom_prefix, q->prom_hist);
			prom_labels(q, res, r, NULL, le, out);
			strbuf_addf(out, " %lld\n", total);
		}
		strbuf_addf(out, "%s_%s_sum", q->prom_prefix, q->prom_hist);
		prom_labels(q, res, r, NULL, NULL, out);
		strbuf_addf(out, " %s\n", sc >= 0 && !PQgetisnull(res, r, sc) ? PQgetvalue(res, r, sc) : "0");
		strbuf_addf(out, "%s_%s_count", q->prom_prefix, q->prom_hist);
		prom_labels(q, res, r, NULL, NULL, out);
		strbuf_addf(out, " %s\n", cc >= 0 && !PQgetisnull(res, r, cc) ? PQgetvalue(res, r, cc) : "0");
	}
}

/* One gauge family <prefix>_<column>: a sample per row that has a value. */
static void prom_gauge(const struct chm_question *q, PGresult *res, int c, struct strbuf *out)
{
	const char *name = PQfname(res, c);
	enum kind k = chm_report_kind(res, c);
	const char *suffix = k == K_TIME ? "_timestamp_seconds" : "";
	strbuf_addf(out, "# HELP %s_%s%s %s: %s%s.\n", q->prom_prefix, name, suffix, q->title,
		    name, k == K_TIME ? " (Unix time)" : "");
	strbuf_addf(out, "# TYPE %s_%s%s gauge\n", q->prom_prefix, name, suffix);
	for (int r = 0; r < PQntuples(res); r++) {
		double v = k == K_TIME ? chm_report_time(res, r, c) : NAN;
		if (PQgetisnull(res, r, c) || (k == K_NUM && !finite_number(PQgetvalue(res, r, c))))
			continue;
		strbuf_addf(out, "%s_%s%s", q->prom_prefix, name, suffix);
		prom_labels(q, res, r, NULL, NULL, out);
		if (k == K_TIME)
			strbuf_addf(out, " %.6f\n", v);
		else
			strbuf_addf(out, " %s\n", PQgetvalue(res, r, c));
	}
}

/* Prometheus text exposition (for node_exporter's textfile collector): one
 * gauge family per numeric or timestamp column, its samples together; a
 * null is no sample. A question's histogram columns are one histogram
 * family, where its first bucket column is. */
static void prom(const struct chm_question *q, PGresult *res, struct strbuf *out)
{
	int nf = PQnfields(res), nr = PQntuples(res), hist_done = 0;

	if (q->prom_one) {
		int oc = q->prom_one_label ? PQfnumber(res, q->prom_one_label) : -1;
		strbuf_addf(out, "# HELP %s_%s %s: 1 per row%s%s.\n", q->prom_prefix, q->prom_one,
			    q->title, oc >= 0 ? ", labelled with the " : "",
			    oc >= 0 ? q->prom_one_label : "");
		strbuf_addf(out, "# TYPE %s_%s gauge\n", q->prom_prefix, q->prom_one);
		for (int r = 0; r < nr; r++) {
			if (oc >= 0 && PQgetisnull(res, r, oc))
				continue;
			strbuf_addf(out, "%s_%s", q->prom_prefix, q->prom_one);
			prom_labels(q, res, r, oc >= 0 ? q->prom_one_label : NULL, NULL, out);
			strbuf_adds(out, " 1\n");
		}
	}
	for (int c = 0; c < nf; c++) {
		const char *name = PQfname(res, c);
		enum kind k = chm_report_kind(res, c);
		if (is_label(q, name) || (!chm_report_numeric(k) && k != K_TIME))
			continue;
		if (is_hist_part(q, name)) {
			if (!hist_done)
				prom_histogram(q, res, out);
			hist_done = 1;
			continue;
		}
		prom_gauge(q, res, c, out);
	}
}

/* ------------------------------------------------------------------ driver */

void chm_format_question(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
			 struct strbuf *out)
{
	switch (f->format) {
	case CHM_FMT_NDJSON: ndjson(q, res, out); break;
	case CHM_FMT_CSV: csv(f, res, out); break;
	case CHM_FMT_TABLE: table(f, q, res, out); break;
	case CHM_FMT_HTML: break; /* a page: chm_format_html */
	case CHM_FMT_PROM:
		if (q->prom_prefix)
			prom(q, res, out);
		break;
	}
	f->count++;
}
