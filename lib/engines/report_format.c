/* report_format: a question's rows as ndjson, csv, table, html or prom.
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

/* ------------------------------------------------------------------ values */

enum kind { K_TEXT, K_INT, K_NUM, K_TIME, K_BOOL };

static enum kind col_kind(PGresult *res, int c)
{
	switch (PQftype(res, c)) {
	case 16: return K_BOOL;
	case 20: case 21: case 23: return K_INT;
	case 700: case 701: case 1700: return K_NUM;
	case 1114: case 1184: return K_TIME;
	default: return K_TEXT;
	}
}

static int is_numeric(enum kind k)
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
static const char *cell(PGresult *res, int r, int c, char *buf)
{
	if (PQgetisnull(res, r, c))
		return NULL;
	const char *v = PQgetvalue(res, r, c);
	enum kind k = col_kind(res, c);
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

static int col_index(PGresult *res, const char *name)
{
	return PQfnumber(res, name);
}

static double num_at(PGresult *res, int r, int c)
{
	return c < 0 || PQgetisnull(res, r, c) ? NAN : strtod(PQgetvalue(res, r, c), NULL);
}

static double time_at(PGresult *res, int r, int c)
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
			const char *v = cell(res, r, c, buf);
			enum kind k = col_kind(res, c);
			if (!v)
				strbuf_adds(out, "null");
			else if (is_numeric(k) || k == K_BOOL)
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
			enum kind k = col_kind(res, c);
			csv_field(out, cell(res, r, c, buf), !is_numeric(k) && k != K_BOOL);
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
			chm_table_add(&t, table_kind(col_kind(res, c)), cell(res, r, c, buf));
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

static void prom_labels(const struct chm_question *q, PGresult *res, int r, const char *extra,
			struct strbuf *out)
{
	int first = 1;
	strbuf_addc(out, '{');
	for (int i = 0; q->prom_labels[i]; i++) {
		int c = col_index(res, q->prom_labels[i]);
		if (c < 0 || PQgetisnull(res, r, c))
			continue;
		strbuf_addf(out, "%s%s=\"", first ? "" : ",", q->prom_labels[i]);
		prom_label_value(out, PQgetvalue(res, r, c));
		strbuf_addc(out, '"');
		first = 0;
	}
	if (extra) {
		int c = col_index(res, extra);
		strbuf_addf(out, "%s%s=\"", first ? "" : ",", extra);
		prom_label_value(out, PQgetvalue(res, r, c));
		strbuf_addc(out, '"');
	}
	strbuf_addc(out, '}');
}

/* Prometheus text exposition (for node_exporter's textfile collector): one
 * gauge family per numeric or timestamp column, its samples together; a
 * null is no sample. */
static void prom(const struct chm_question *q, PGresult *res, struct strbuf *out)
{
	int nf = PQnfields(res), nr = PQntuples(res);

	if (q->prom_one) {
		int oc = q->prom_one_label ? col_index(res, q->prom_one_label) : -1;
		strbuf_addf(out, "# HELP %s_%s %s: 1 per row%s%s.\n", q->prom_prefix, q->prom_one,
			    q->title, oc >= 0 ? ", labelled with the " : "",
			    oc >= 0 ? q->prom_one_label : "");
		strbuf_addf(out, "# TYPE %s_%s gauge\n", q->prom_prefix, q->prom_one);
		for (int r = 0; r < nr; r++) {
			if (oc >= 0 && PQgetisnull(res, r, oc))
				continue;
			strbuf_addf(out, "%s_%s", q->prom_prefix, q->prom_one);
			prom_labels(q, res, r, oc >= 0 ? q->prom_one_label : NULL, out);
			strbuf_adds(out, " 1\n");
		}
	}
	for (int c = 0; c < nf; c++) {
		const char *name = PQfname(res, c);
		enum kind k = col_kind(res, c);
		if (is_label(q, name) || (!is_numeric(k) && k != K_TIME))
			continue;
		const char *suffix = k == K_TIME ? "_timestamp_seconds" : "";
		strbuf_addf(out, "# HELP %s_%s%s %s: %s%s.\n", q->prom_prefix, name, suffix, q->title,
			    name, k == K_TIME ? " (Unix time)" : "");
		strbuf_addf(out, "# TYPE %s_%s%s gauge\n", q->prom_prefix, name, suffix);
		for (int r = 0; r < nr; r++) {
			double v = k == K_TIME ? time_at(res, r, c) : NAN;
			if (PQgetisnull(res, r, c) || (k == K_NUM && !finite_number(PQgetvalue(res, r, c))))
				continue;
			strbuf_addf(out, "%s_%s%s", q->prom_prefix, name, suffix);
			prom_labels(q, res, r, NULL, out);
			if (k == K_TIME)
				strbuf_addf(out, " %.6f\n", v);
			else
				strbuf_addf(out, " %s\n", PQgetvalue(res, r, c));
		}
	}
}

/* -------------------------------------------------------------------- html */

static void html_text(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_adds(sb, "&amp;"); break;
		case '<': strbuf_adds(sb, "&lt;"); break;
		case '>': strbuf_adds(sb, "&gt;"); break;
		case '"': strbuf_adds(sb, "&quot;"); break;
		default: strbuf_addc(sb, *s);
		}
	}
}

static const char *const palette[] = { "#2b6cb0", "#c05621", "#2f855a", "#6b46c1",
				       "#b83280", "#2c7a7b", "#975a16", "#4a5568" };

#define SVG_W 760
#define SVG_H 220
#define PAD_L 56
#define PAD_R 16
#define PAD_T 14
#define PAD_B 34

static void svg_open(struct strbuf *out, const char *label, int height)
{
	strbuf_addf(out, "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
			 "xmlns=\"http://www.w3.org/2000/svg\"><title>",
		    SVG_W, height, SVG_W, height);
	html_text(out, label);
	strbuf_adds(out, "</title>");
}

static void svg_text(struct strbuf *out, double x, double y, const char *anchor, const char *s)
{
	strbuf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	html_text(out, s);
	strbuf_adds(out, "</text>");
}

static void day_label(double epoch, char *buf, int with_hour)
{
	char t[CHM_TIME_BUFSZ];
	chm_time_format((int64_t)epoch * 1000000, t);
	/* 2026-11-21T05:00:00.000000Z -> 2026-11-21 05:00 */
	if (with_hour)
		snprintf(buf, 20, "%.10s %.5s", t, t + 11);
	else
		snprintf(buf, 20, "%.10s", t);
}

/* Q1: failed runs per bucket (every client and pipeline together), bars
 * placed on a time axis so gaps show. */
static void chart_bars_time(struct chm_formatter *f, const struct chm_question *q,
			    PGresult *res, struct strbuf *out)
{
	int nr = PQntuples(res), bc = col_index(res, "bucket"), vc = col_index(res, "failed_runs");
	double *t = chm_xmalloc(sizeof(double) * (size_t)nr), *v = chm_xmalloc(sizeof(double) * (size_t)nr);
	int n = 0;
	for (int r = 0; r < nr; r++) { /* rows come ordered by bucket */
		double b = time_at(res, r, bc);
		if (n > 0 && t[n - 1] == b) {
			v[n - 1] += num_at(res, r, vc);
		} else {
			t[n] = b;
			v[n] = num_at(res, r, vc);
			n++;
		}
	}
	const char *bucket = f->opts && f->opts->bucket ? f->opts->bucket : "day";
	double step = !strcmp(bucket, "hour") ? 3600 : !strcmp(bucket, "week") ? 7 * 86400 : 86400;
	double t0 = t[0], t1 = t[n - 1] + step, vmax = 0;
	for (int i = 0; i < n; i++)
		if (v[i] > vmax)
			vmax = v[i];
	double pw = SVG_W - PAD_L - PAD_R, ph = SVG_H - PAD_T - PAD_B;
	char lab[32];
	svg_open(out, "Failed runs per bucket", SVG_H);
	strbuf_addf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", PAD_L,
		    SVG_H - PAD_B, SVG_W - PAD_R, SVG_H - PAD_B);
	for (int i = 0; i < n; i++) {
		double x = PAD_L + (t[i] - t0) / (t1 - t0) * pw;
		double w = step / (t1 - t0) * pw;
		double h = v[i] / vmax * ph;
		day_label(t[i], lab, step < 86400);
		strbuf_addf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
				 "<title>%s: %.0f</title></rect>",
			    x + 1, SVG_H - PAD_B - h, w > 3 ? w - 2 : 1, h, lab, v[i]);
	}
	snprintf(lab, sizeof(lab), "%.0f", vmax);
	svg_text(out, PAD_L - 6, PAD_T + 4, "end", lab);
	svg_text(out, PAD_L - 6, SVG_H - PAD_B, "end", "0");
	day_label(t0, lab, step < 86400);
	svg_text(out, PAD_L, SVG_H - PAD_B + 16, "start", lab);
	day_label(t[n - 1], lab, step < 86400);
	svg_text(out, SVG_W - PAD_R, SVG_H - PAD_B + 16, "end", lab);
	snprintf(lab, sizeof(lab), "failed runs per %s", bucket);
	svg_text(out, PAD_L, SVG_H - 4, "start", lab);
	strbuf_adds(out, "</svg>\n");
	free(t);
	free(v);
}

/* Q5: one line per client, success rate 0..1 by day. */
static void chart_lines(PGresult *res, struct strbuf *out)
{
	int nr = PQntuples(res), dc = col_index(res, "day"), cc = col_index(res, "client"),
	    rc = col_index(res, "success_rate");
	double t0 = INFINITY, t1 = -INFINITY;
	for (int r = 0; r < nr; r++) {
		double t = time_at(res, r, dc);
		if (t < t0)
			t0 = t;
		if (t > t1)
			t1 = t;
	}
	if (t1 <= t0)
		t1 = t0 + 86400;
	double pw = SVG_W - PAD_L - PAD_R - 120, ph = SVG_H - PAD_T - PAD_B;
	char lab[32];
	svg_open(out, "Success rate per client by day", SVG_H);
	for (int g = 0; g <= 4; g++) {
		double y = SVG_H - PAD_B - g / 4.0 * ph;
		strbuf_addf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
			    PAD_L, y, PAD_L + pw, y);
		snprintf(lab, sizeof(lab), "%d%%", g * 25);
		svg_text(out, PAD_L - 6, y + 4, "end", lab);
	}
	/* distinct clients in order of appearance */
	int *done = chm_xmalloc(sizeof(int) * ((size_t)nr + 1));
	memset(done, 0, sizeof(int) * ((size_t)nr + 1));
	int series = 0;
	for (int r = 0; r < nr; r++) {
		if (done[r])
			continue;
		const char *client = PQgetvalue(res, r, cc);
		const char *color = palette[series % 8];
		struct strbuf pts = STRBUF_INIT;
		for (int s = r; s < nr; s++) {
			if (strcmp(PQgetvalue(res, s, cc), client))
				continue;
			done[s] = 1;
			double x = PAD_L + (time_at(res, s, dc) - t0) / (t1 - t0) * pw;
			double y = SVG_H - PAD_B - num_at(res, s, rc) * ph;
			if (isnan(y))
				continue;
			strbuf_addf(&pts, "%.1f,%.1f ", x, y);
			strbuf_addf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y, color);
		}
		strbuf_addf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>",
			    color, pts.buf ? pts.buf : "");
		strbuf_release(&pts);
		strbuf_addf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>",
			    PAD_L + pw + 16, PAD_T + series * 16, color);
		svg_text(out, PAD_L + pw + 30, PAD_T + series * 16 + 9, "start", client);
		series++;
	}
	free(done);
	day_label(t0, lab, 0);
	svg_text(out, PAD_L, SVG_H - PAD_B + 16, "start", lab);
	day_label(t1, lab, 0);
	svg_text(out, PAD_L + pw, SVG_H - PAD_B + 16, "end", lab);
	strbuf_adds(out, "</svg>\n");
}

/* Q8: failure rate per platform as horizontal bars. */
static void chart_bars(PGresult *res, struct strbuf *out)
{
	int nr = PQntuples(res), pc = col_index(res, "platform"), rc = col_index(res, "failure_rate");
	int h = PAD_T + nr * 24 + 24;
	double pw = SVG_W - 160 - PAD_R - 60;
	char lab[32];
	svg_open(out, "Failure rate per platform", h);
	for (int r = 0; r < nr; r++) {
		double v = num_at(res, r, rc), y = PAD_T + r * 24;
		if (isnan(v))
			v = 0;
		svg_text(out, 150, y + 14, "end", PQgetvalue(res, r, pc));
		strbuf_addf(out, "<rect class=\"bar\" x=\"160\" y=\"%.1f\" width=\"%.1f\" height=\"18\"/>", y,
			    v * pw);
		snprintf(lab, sizeof(lab), "%.1f%%", v * 100);
		svg_text(out, 166 + v * pw, y + 14, "start", lab);
	}
	strbuf_adds(out, "</svg>\n");
}

/* Q9: a box per pipeline on a log scale: whiskers min..max, box p50..p90,
 * a tick at p99. */
static void chart_box(PGresult *res, struct strbuf *out)
{
	int nr = PQntuples(res), cc = col_index(res, "client"), pc = col_index(res, "pipeline");
	int mn = col_index(res, "min_seconds"), mx = col_index(res, "max_seconds"),
	    p50 = col_index(res, "p50_seconds"), p90 = col_index(res, "p90_seconds"),
	    p99 = col_index(res, "p99_seconds");
	double lo = INFINITY, hi = 0;
	for (int r = 0; r < nr; r++) {
		double a = num_at(res, r, mn), b = num_at(res, r, mx);
		if (a < lo)
			lo = a;
		if (b > hi)
			hi = b;
	}
	lo = floor(log10(lo < 1 ? 1 : lo));
	hi = ceil(log10(hi < 10 ? 10 : hi));
	if (hi <= lo)
		hi = lo + 1;
	int h = PAD_T + nr * 26 + 30;
	double x0 = 230, pw = SVG_W - x0 - PAD_R - 30; /* room for the last label */
#define XS(s) (x0 + ((log10((s) < 1 ? 1 : (s)) - lo) / (hi - lo)) * pw)
	char lab[300];
	svg_open(out, "Run durations per pipeline (seconds, log scale)", h);
	for (double d = lo; d <= hi; d++) {
		double x = x0 + (d - lo) / (hi - lo) * pw;
		strbuf_addf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>", x,
			    PAD_T, x, h - 24);
		snprintf(lab, sizeof(lab), "%gs", pow(10, d));
		svg_text(out, x, h - 8, "middle", lab);
	}
	for (int r = 0; r < nr; r++) {
		double y = PAD_T + r * 26 + 11;
		snprintf(lab, sizeof(lab), "%s/%s", PQgetvalue(res, r, cc), PQgetvalue(res, r, pc));
		svg_text(out, x0 - 8, y + 4, "end", lab);
		double a = XS(num_at(res, r, mn)), b = XS(num_at(res, r, mx)), m = XS(num_at(res, r, p50)),
		       n = XS(num_at(res, r, p90)), p = XS(num_at(res, r, p99));
		strbuf_addf(out, "<line class=\"whisker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
			    a, y, b, y);
		strbuf_addf(out, "<rect class=\"box\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\"/>", m,
			    y - 8, n - m > 2 ? n - m : 2);
		strbuf_addf(out, "<line class=\"p99\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", p,
			    y - 9, p, y + 9);
	}
#undef XS
	strbuf_adds(out, "</svg>\n<p class=\"legend\">whiskers: min to max; box: p50 to p90; "
			 "red tick: p99</p>\n");
}

static void html_section(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
			 struct strbuf *out)
{
	char buf[CHM_TIME_BUFSZ];
	int nf = PQnfields(res), nr = PQntuples(res);

	strbuf_addf(out, "<section id=\"%s\">\n<h2>", q->id);
	html_text(out, q->title);
	strbuf_adds(out, "</h2>\n<p class=\"window\">");
	html_text(out, q->window);
	strbuf_addf(out, " &middot; %d row%s</p>\n", nr, nr == 1 ? "" : "s");
	if (nr == 0) {
		strbuf_adds(out, "<p class=\"empty\">No rows: nothing to show for this question.</p>\n"
				 "</section>\n");
		return;
	}
	switch (q->chart) {
	case CHM_CHART_BARS_TIME: chart_bars_time(f, q, res, out); break;
	case CHM_CHART_LINES: chart_lines(res, out); break;
	case CHM_CHART_BARS: chart_bars(res, out); break;
	case CHM_CHART_BOX: chart_box(res, out); break;
	case CHM_CHART_NONE: break;
	}
	strbuf_adds(out, "<div class=\"scroll\"><table>\n<thead><tr>");
	for (int c = 0; c < nf; c++) {
		strbuf_adds(out, "<th>");
		html_text(out, PQfname(res, c));
		strbuf_adds(out, "</th>");
	}
	strbuf_adds(out, "</tr></thead>\n<tbody>\n");
	for (int r = 0; r < nr; r++) {
		strbuf_adds(out, "<tr>");
		for (int c = 0; c < nf; c++) {
			const char *v = cell(res, r, c, buf);
			int num = is_numeric(col_kind(res, c));
			strbuf_adds(out, num ? "<td class=\"num\">" : v ? "<td>" : "<td class=\"null\">");
			html_text(out, v ? v : "");
			strbuf_adds(out, "</td>");
		}
		strbuf_adds(out, "</tr>\n");
	}
	strbuf_adds(out, "</tbody>\n</table></div>\n</section>\n");
}

static const char html_css[] =
	"body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1a202c;"
	"background:#fff}"
	"header{border-bottom:2px solid #2b6cb0;margin-bottom:16px}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 4px}"
	".meta,.window,.legend{color:#4a5568;margin:2px 0 8px}"
	"nav a{margin-right:10px}"
	"section{margin-bottom:28px}"
	".scroll{overflow-x:auto}"
	"table{border-collapse:collapse;font-size:13px}"
	"th,td{border:1px solid #cbd5e0;padding:3px 8px;text-align:left;white-space:nowrap}"
	"th{background:#edf2f7}td.num{text-align:right;font-variant-numeric:tabular-nums}"
	"td.null{background:#fafafa}"
	"tbody tr:nth-child(even){background:#f7fafc}"
	".empty{font-style:italic;color:#718096}"
	"svg.chart{display:block;margin:8px 0;max-width:100%;height:auto;font-size:11px}"
	"svg text{fill:#4a5568}"
	".bar{fill:#c53030}.axis{stroke:#4a5568}.grid{stroke:#e2e8f0}"
	".whisker{stroke:#4a5568;stroke-width:1.5}.box{fill:#90cdf4;stroke:#2b6cb0}"
	".p99{stroke:#c53030;stroke-width:2}";

static void html_head(struct chm_formatter *f, struct strbuf *out)
{
	char now[CHM_TIME_BUFSZ], gen[CHM_TIME_BUFSZ], t[CHM_TIME_BUFSZ];
	const struct chm_report_opts *o = f->opts;

	strbuf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			 "<title>CHM report</title>\n<style>");
	strbuf_adds(out, html_css);
	strbuf_addf(out, "</style>\n</head>\n<body>\n<header>\n<h1>CHM client health report</h1>\n"
			 "<p class=\"meta\">As of <time>%s</time> &middot; generated <time>%s</time>",
		    chm_time_format(f->now, now), chm_time_format(f->generated, gen));
	strbuf_adds(out, " &middot; window: ");
	if (o && o->has_since)
		strbuf_addf(out, "from %s ", chm_time_format(o->since, t));
	else
		strbuf_adds(out, "each question's default ");
	if (o && o->has_until)
		strbuf_addf(out, "until %s", chm_time_format(o->until, t));
	else
		strbuf_adds(out, "until now");
	if (o && (o->client || o->pipeline || o->platform)) {
		strbuf_adds(out, " &middot; filters:");
		if (o->client)
			strbuf_adds(out, " client="), html_text(out, o->client);
		if (o->pipeline)
			strbuf_adds(out, " pipeline="), html_text(out, o->pipeline);
		if (o->platform)
			strbuf_adds(out, " platform="), html_text(out, o->platform);
	}
	strbuf_adds(out, "</p>\n</header>\n<main>\n");
}

/* ------------------------------------------------------------------ driver */

void chm_format_head(struct chm_formatter *f, struct strbuf *out)
{
	if (f->format == CHM_FMT_HTML)
		html_head(f, out);
}

void chm_format_question(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
			 struct strbuf *out)
{
	switch (f->format) {
	case CHM_FMT_NDJSON: ndjson(q, res, out); break;
	case CHM_FMT_CSV: csv(f, res, out); break;
	case CHM_FMT_TABLE: table(f, q, res, out); break;
	case CHM_FMT_HTML: html_section(f, q, res, out); break;
	case CHM_FMT_PROM:
		if (q->prom_prefix)
			prom(q, res, out);
		break;
	}
	f->count++;
}

void chm_format_tail(struct chm_formatter *f, struct strbuf *out)
{
	if (f->format == CHM_FMT_HTML)
		strbuf_adds(out, "</main>\n</body>\n</html>\n");
}
