/* report_html: chm-report's html page, for a stakeholder who opens it. It
 * leads with answers: a header with the counts that matter (failing now,
 * new failures since yesterday, the success rate of the last 7 days against
 * the 7 before, silent pipelines), each taken from the rows of the question
 * whose section it links to; a table of contents; the charts (Q1 stacked by
 * client, Q5, Q8, Q9 with its medians), then the lists. Values are in the
 * human units of core/table.h (the one place they are written), each
 * section states its own window, and tables are capped (HTML_TOP rows and
 * "N more") and folded under their chart, so the page stays light whatever
 * the history: its size is bounded by the caps, not by the runs.
 *
 * One self-contained file: inline CSS and SVG, no script, nothing from the
 * network; dark through prefers-color-scheme, and it prints (tables
 * unfolded, nothing fixed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/hashmap.h"
#include "core/table.h"
#include "engines/report.h"
#include "engines/report_int.h"

#define HTML_TOP 25        /* rows of a table */
#define TEXT_MAX 200       /* code points of a text cell (error messages) */
#define LONG_TEXT 48       /* a text cell this long may wrap */
#define CHART_SERIES 6     /* stacks of Q1, lines of Q5 (the last: the rest, or all) */
#define CHART_BOXES 20     /* pipelines in Q9's chart */
#define CHART_BUCKETS 240  /* bars in Q1's chart */
#define DAY 86400.0

/* ----------------------------------------------------------------- text */

/* s escaped for html text and attributes, cut to max code points with "…"
 * (0: whole); control characters but line breaks and tabs as "?". */
static void esc_cut(struct strbuf *sb, const char *s, size_t max)
{
	size_t points = 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch & 0xc0) != 0x80 && max && ++points > max) {
			strbuf_adds(sb, "\xE2\x80\xA6");
			return;
		}
		switch (ch) {
		case '&': strbuf_adds(sb, "&amp;"); break;
		case '<': strbuf_adds(sb, "&lt;"); break;
		case '>': strbuf_adds(sb, "&gt;"); break;
		case '"': strbuf_adds(sb, "&quot;"); break;
		default: strbuf_addc(sb, ch < 0x20 && ch != '\n' && ch != '\t' ? '?' : *s);
		}
	}
}

static void esc(struct strbuf *sb, const char *s)
{
	esc_cut(sb, s, 0);
}

/* A time as people read it (table.c's), the exact one for machines. */
static void add_time(struct strbuf *out, int64_t usec)
{
	char t[CHM_TIME_BUFSZ];
	chm_time_format(usec, t);
	strbuf_addf(out, "<time datetime=\"%s\">", t);
	chm_table_human(out, "", CHM_CELL_TIME, t);
	strbuf_adds(out, "</time>");
}

/* A UTC day: 2026-11-21. */
static void add_day(struct strbuf *out, double epoch)
{
	char t[CHM_TIME_BUFSZ];
	chm_time_format((int64_t)epoch * 1000000, t);
	strbuf_addf(out, "<time datetime=\"%.10s\">%.10s</time>", t, t);
}

/* A UTC day or hour for an axis: 2026-11-21, or 11-21 05:00. */
static void axis_time(double epoch, char *buf, int with_hour)
{
	char t[CHM_TIME_BUFSZ];
	chm_time_format((int64_t)epoch * 1000000, t);
	if (with_hour)
		snprintf(buf, 20, "%.5s %.5s", t + 5, t + 11);
	else
		snprintf(buf, 20, "%.10s", t);
}

static const struct chm_question *find_q(const struct chm_question *const *asked, PGresult *const *res,
					 size_t nq, const char *id, PGresult **out)
{
	for (size_t i = 0; i < nq; i++)
		if (!strcmp(asked[i]->id, id)) {
			*out = res[i];
			return asked[i];
		}
	*out = NULL;
	return NULL;
}

static int count_where(PGresult *res, const char *col, const char *value)
{
	int c = PQfnumber(res, col), n = 0;
	for (int r = 0; c >= 0 && r < PQntuples(res); r++)
		n += !PQgetisnull(res, r, c) && !strcmp(PQgetvalue(res, r, c), value);
	return n;
}

/* n doubles, all 0 (chm_xmalloc: out of memory ends the program). */
static double *zeros(size_t n)
{
	double *v = chm_xmalloc(sizeof(double) * (n ? n : 1));
	memset(v, 0, sizeof(double) * (n ? n : 1));
	return v;
}

static double num_at(PGresult *res, int r, int c)
{
	return c < 0 || PQgetisnull(res, r, c) ? NAN : strtod(PQgetvalue(res, r, c), NULL);
}

/* -------------------------------------------------------------- windows */

struct span {
	int64_t since, until;
};

/* A windowed question's window as the views take it: [since, until). */
static struct span window_of(const struct chm_formatter *f, const struct chm_question *q)
{
	const struct chm_report_opts *o = f->opts;
	struct span w;
	w.until = o && o->has_until ? o->until : f->now;
	w.since = o && o->has_since ? o->since : w.until - (int64_t)q->window_days * 86400 * 1000000;
	return w;
}

/* What a section covers: "<since> to <until> (30 days)" or "... as of <now>". */
static void add_window(struct chm_formatter *f, const struct chm_question *q, struct strbuf *out)
{
	if (q->window[0]) {
		esc(out, q->window);
		strbuf_addc(out, ' ');
	}
	if (!q->window_days) {
		strbuf_adds(out, "as of ");
		add_time(out, f->now);
		return;
	}
	struct span w = window_of(f, q);
	int64_t d = w.until - w.since, day = 86400LL * 1000000;
	add_time(out, w.since);
	strbuf_adds(out, " to ");
	add_time(out, w.until);
	strbuf_adds(out, " (");
	if (d % day == 0)
		strbuf_addf(out, "%lld day%s", (long long)(d / day), d == day ? "" : "s");
	else
		chm_table_duration(out, (double)d / 1e6);
	strbuf_addc(out, ')');
}

/* ---------------------------------------------------------- the header */

struct rate {
	double ok, all;
};

/* Q5's rows summed over the last 7 UTC days of its window (the day of its
 * end and the 6 before, or from the window's first day when it is shorter)
 * and over the 7 before those, with the days they are. */
struct weeks {
	struct rate cur, prev;
	double first, last;  /* the days of cur */
	int short_window;    /* the window starts after last - 6 days */
	int so_far;          /* the last day is not over at the window's end */
	int prev_whole;      /* the window holds all of the 7 before */
};

static void success_weeks(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
			  struct weeks *w)
{
	struct span s = window_of(f, q);
	double until = (double)s.until / 1e6, since = (double)s.since / 1e6;
	int dc = PQfnumber(res, "day"), rc = PQfnumber(res, "runs"), sc = PQfnumber(res, "succeeded");

	memset(w, 0, sizeof(*w));
	w->last = floor((until - 1e-6) / DAY) * DAY;
	w->first = w->last - 6 * DAY;
	w->short_window = since > w->first;
	if (w->short_window)
		w->first = floor(since / DAY) * DAY;
	w->so_far = until < w->last + DAY;
	w->prev_whole = since <= w->last - 13 * DAY;
	for (int r = 0; r < PQntuples(res); r++) {
		double day = chm_report_time(res, r, dc);
		struct rate *into = day > w->last - 7 * DAY ? &w->cur : day > w->last - 14 * DAY ? &w->prev : NULL;
		if (into && day <= w->last) {
			into->ok += num_at(res, r, sc);
			into->all += num_at(res, r, rc);
		}
	}
}

static void kpi_count(struct strbuf *out, const char *id, int n, const char *one, const char *many,
		      const char *tone)
{
	strbuf_addf(out, "<li><a class=\"kpi %s\" href=\"#%s\"><b>%d</b> %s</a></li>\n", n ? tone : "good",
		    id, n, n == 1 ? one : many);
}

static void kpi_success(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
			struct strbuf *out)
{
	struct weeks w;
	success_weeks(f, q, res, &w);
	int has_prev = w.prev_whole && w.prev.all > 0;
	double c = w.cur.all > 0 ? w.cur.ok / w.cur.all : NAN, p = has_prev ? w.prev.ok / w.prev.all : NAN;

	strbuf_addf(out, "<li><a class=\"kpi %s\" href=\"#%s\"><b>",
		    isnan(c) || isnan(p) ? "" : c < p ? "bad" : "good", q->id);
	if (isnan(c))
		strbuf_adds(out, "no runs");
	else
		chm_table_rate(out, c);
	strbuf_addf(out, "</b> success, %s<small>UTC days ", w.short_window ? "the window" : "last 7 days");
	add_day(out, w.first);
	strbuf_adds(out, " to ");
	add_day(out, w.last);
	strbuf_adds(out, w.so_far ? " (the last so far); the 7 before: " : "; the 7 before: ");
	if (has_prev)
		chm_table_rate(out, p);
	else
		strbuf_adds(out, w.prev_whole ? "no runs" : "not in the window");
	if (!isnan(c) && has_prev)
		strbuf_addf(out, ", %s %.1f points", c < p ? "down" : "up", fabs(c - p) * 100);
	strbuf_adds(out, "</small></a></li>\n");
}

/* The counts that matter, each from the rows of its own section. */
static void kpis(struct chm_formatter *f, const struct chm_question *const *asked, PGresult *const *res,
		 size_t nq, struct strbuf *out)
{
	PGresult *r;
	const struct chm_question *q;

	strbuf_adds(out, "<ul class=\"kpis\">\n");
	if ((q = find_q(asked, res, nq, "q6", &r)))
		kpi_count(out, q->id, PQntuples(r), "pipeline failing now", "pipelines failing now", "bad");
	if ((q = find_q(asked, res, nq, "q4", &r)))
		kpi_count(out, q->id, count_where(r, "change", "new_failure"), "new failure since yesterday",
			  "new failures since yesterday", "bad");
	if ((q = find_q(asked, res, nq, "q5", &r)))
		kpi_success(f, q, r, out);
	if ((q = find_q(asked, res, nq, "q10", &r)))
		kpi_count(out, q->id, count_where(r, "finding", "silent"), "silent pipeline", "silent pipelines",
			  "warn");
	strbuf_adds(out, "</ul>\n");
}

/* ------------------------------------------------------------- tables */

/* The colour of a status-like value (the text says it too). */
static const char *tone_of(const char *column, const char *v)
{
	static const char *const tones[][2] = {
		{ "failed", "bad" },        { "new_failure", "bad" }, { "success", "good" },
		{ "recovery", "good" },     { "running", "info" },    { "silent", "warn" },
		{ "disabled_runs", "warn" }, { "canceled", "muted" },  { "skipped", "muted" },
		{ "no_alert_rule", "muted" },
	};
	if (chm_table_kind(column, CHM_CELL_TEXT) != CHM_CELL_STATUS && strcmp(column, "change") &&
	    strcmp(column, "finding"))
		return NULL;
	for (size_t i = 0; i < sizeof tones / sizeof tones[0]; i++)
		if (!strcmp(v, tones[i][0]))
			return tones[i][1];
	return NULL;
}

static void td(PGresult *res, int r, int c, struct strbuf *out)
{
	char buf[CHM_TIME_BUFSZ];
	const char *v = chm_report_cell(res, r, c, buf), *name = PQfname(res, c), *tone;
	enum kind k = chm_report_kind(res, c);
	struct strbuf h = STRBUF_INIT;
	enum chm_cell kind = chm_table_human(&h, name,
					     k == K_TIME ? CHM_CELL_TIME :
					     chm_report_numeric(k) ? CHM_CELL_NUMBER : CHM_CELL_TEXT, v);

	if (!v) {
		strbuf_adds(out, "<td class=\"null\">");
		esc(out, h.buf);
	} else if (kind == CHM_CELL_TIME) {
		strbuf_addf(out, "<td><time datetime=\"%s\">", v);
		esc(out, h.buf);
		strbuf_adds(out, "</time>");
	} else if (chm_report_numeric(k)) {
		strbuf_adds(out, "<td class=\"num\">");
		esc(out, h.buf);
	} else if ((tone = tone_of(name, v))) {
		strbuf_addf(out, "<td><span class=\"tag %s\">", tone);
		esc(out, h.buf);
		strbuf_adds(out, "</span>");
	} else {
		strbuf_adds(out, h.len > LONG_TEXT ? "<td class=\"long\">" : "<td>");
		esc_cut(out, h.buf, TEXT_MAX);
	}
	strbuf_adds(out, "</td>");
	strbuf_release(&h);
}

/* The first HTML_TOP rows (in order[], or as they came), then how many more. */
static void table(const struct chm_question *q, PGresult *res, const int *order, struct strbuf *out)
{
	int nf = PQnfields(res), nr = PQntuples(res), shown = nr < HTML_TOP ? nr : HTML_TOP;

	strbuf_addf(out, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"%s table\">"
			 "<table>\n<thead><tr>", q->id);
	for (int c = 0; c < nf; c++) {
		strbuf_adds(out, chm_report_numeric(chm_report_kind(res, c)) ? "<th class=\"num\">" : "<th>");
		esc(out, PQfname(res, c));
		strbuf_adds(out, "</th>");
	}
	strbuf_adds(out, "</tr></thead>\n<tbody>\n");
	for (int i = 0; i < shown; i++) {
		strbuf_adds(out, "<tr>");
		for (int c = 0; c < nf; c++)
			td(res, order ? order[i] : i, c, out);
		strbuf_adds(out, "</tr>\n");
	}
	strbuf_adds(out, "</tbody>\n");
	if (nr > shown)
		strbuf_addf(out, "<tfoot><tr><td colspan=\"%d\" class=\"more\">and %d more row%s, not shown: "
				 "<code>chm-report --format csv %s</code> lists every row</td></tr></tfoot>\n",
			    nf, nr - shown, nr - shown == 1 ? "" : "s", q->id);
	strbuf_adds(out, "</table></div>\n");
}

/* -------------------------------------------------------------- charts */

#define SVG_W 760

/* A chart keeps a width its labels can be read at: on a narrow screen it
 * scrolls in its own box (svg_close), never the page. */
static void svg_open(struct strbuf *out, const char *label, int height)
{
	strbuf_adds(out, "<div class=\"chartbox\" tabindex=\"0\" role=\"region\" aria-label=\"");
	esc(out, label);
	strbuf_adds(out, "\"><svg class=\"chart\" role=\"img\" aria-label=\"");
	esc(out, label);
	strbuf_addf(out, "\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
			 "xmlns=\"http://www.w3.org/2000/svg\">",
		    SVG_W, height, SVG_W, height);
}

static void svg_close(struct strbuf *out)
{
	strbuf_adds(out, "</svg></div>\n");
}

static void svg_text(struct strbuf *out, double x, double y, const char *anchor, const char *s)
{
	strbuf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	esc(out, s);
	strbuf_adds(out, "</text>");
}

/* A round top for a value axis: 1, 2 or 5 times a power of ten. */
static double nice_top(double v)
{
	if (v <= 0)
		return 1;
	double p = pow(10, floor(log10(v))), m = v / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* Series (clients) of a chart: each name once, with a total for ranking. */
struct series {
	struct hashmap idx;
	const char **name;
	double *total, *extra;
	int n;
};

static int series_of(struct series *s, const char *name)
{
	int created;
	int64_t *v = hashmap_put(&s->idx, name, strlen(name), &created);
	if (created) {
		*v = s->n;
		s->name[s->n++] = name;
	}
	return (int)*v;
}

static void series_init(struct series *s, int cap)
{
	size_t n = (size_t)(cap ? cap : 1);
	s->idx = (struct hashmap)HASHMAP_INIT;
	s->name = chm_xmalloc(sizeof(*s->name) * n);
	s->total = zeros(n);
	s->extra = zeros(n);
	s->n = 0;
}

static void series_release(struct series *s)
{
	hashmap_release(&s->idx);
	free(s->name);
	free(s->total);
	free(s->extra);
}

struct rank_ctx {
	const struct series *s;
	const double *key;
};

static int cmp_rank(const void *a, const void *b, void *ctx)
{
	const struct rank_ctx *c = ctx;
	int i = *(const int *)a, j = *(const int *)b;
	if (c->key[i] != c->key[j])
		return c->key[i] > c->key[j] ? -1 : 1;
	return strcmp(c->s->name[i], c->s->name[j]);
}

/* slot[i]: the place of series i among the first `keep` by key (higher
 * first; ties by name), or keep for the rest; top[]: the kept ones. */
static void rank(const struct series *s, const double *key, int keep, int *slot, int *top)
{
	struct rank_ctx ctx = { s, key };
	int *ix = chm_xmalloc(sizeof(int) * (size_t)(s->n ? s->n : 1));
	for (int i = 0; i < s->n; i++)
		ix[i] = i;
	qsort_r(ix, (size_t)s->n, sizeof(int), cmp_rank, &ctx);
	for (int i = 0; i < s->n; i++) {
		slot[ix[i]] = i < keep ? i : keep;
		if (i < keep)
			top[i] = ix[i];
	}
	free(ix);
}

static void legend_item(struct strbuf *out, int slot, const char *name, const char *value)
{
	strbuf_addf(out, "<li><span class=\"sw c%d\"></span>", slot);
	esc_cut(out, name, 40);
	strbuf_addf(out, " <span class=\"lv\">%s</span></li>", value);
}

/* Q1's chart frame: value gridlines, the time axis labels and what a bar is. */
static void q1_axes(struct strbuf *out, double top, double t0, double t1, int hourly, const char *bucket,
		    int h, double pw)
{
	char lab[40];
	for (int g = 0; g <= 2; g++) {
		double y = h - 40 - g / 2.0 * (h - 52);
		strbuf_addf(out, "<line class=\"grid\" x1=\"48\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", y, 48 + pw, y);
		snprintf(lab, sizeof(lab), "%g", top * g / 2);
		svg_text(out, 42, y + 4, "end", lab);
	}
	axis_time(t0, lab, hourly);
	svg_text(out, 48, h - 24, "start", lab);
	axis_time((t0 + t1) / 2, lab, hourly);
	svg_text(out, 48 + pw / 2, h - 24, "middle", lab);
	axis_time(t1, lab, hourly);
	svg_text(out, 48 + pw, h - 24, "end", lab);
	snprintf(lab, sizeof(lab), "failed runs per %s (UTC)", bucket);
	svg_text(out, 48, h - 6, "start", lab);
}

/* The stacked bars: val[i * CHART_SERIES + slot] of bucket bt[i]. */
static void q1_bars(struct chm_formatter *f, const struct chm_question *q, const double *bt,
		    const double *val, int nb, int nslot, struct strbuf *out)
{
	struct span w = window_of(f, q);
	const char *bucket = f->opts && f->opts->bucket ? f->opts->bucket : "day";
	int hourly = !strcmp(bucket, "hour"), h = 240;
	double step = hourly ? 3600 : !strcmp(bucket, "week") ? 7 * DAY : DAY, pw = SVG_W - 48 - 12;
	/* the window's buckets (weeks start on Monday: the epoch's day 4) */
	double off = step == 7 * DAY ? 4 * DAY : 0, t0 = floor(((double)w.since / 1e6 - off) / step) * step + off;
	double t1 = ceil(((double)w.until / 1e6 - off) / step) * step + off, vmax = 0;
	char lab[80];
	if (bt[0] < t0)
		t0 = bt[0];
	if (bt[nb - 1] + step > t1)
		t1 = bt[nb - 1] + step;
	if (t1 - t0 > CHART_BUCKETS * step)
		t0 = t1 - CHART_BUCKETS * step;
	for (int i = 0; i < nb; i++) {
		double sum = 0;
		for (int k = 0; k < nslot; k++)
			sum += val[i * CHART_SERIES + k];
		if (bt[i] >= t0 && sum > vmax)
			vmax = sum;
	}
	double top = nice_top(vmax);
	svg_open(out, "Failed runs per bucket, stacked by client", h);
	q1_axes(out, top, t0, t1, hourly, bucket, h, pw);
	for (int i = 0; i < nb; i++) {
		if (bt[i] < t0)
			continue;
		double x = 48 + (bt[i] - t0) / (t1 - t0) * pw, bw = step / (t1 - t0) * pw, y = h - 40, sum = 0;
		for (int k = 0; k < nslot; k++)
			sum += val[i * CHART_SERIES + k];
		axis_time(bt[i], lab, hourly);
		strbuf_addf(out, "<g><title>%s: %.0f failed</title>", lab, sum);
		for (int k = 0; k < nslot; k++) {
			double v = val[i * CHART_SERIES + k], bh = v / top * (h - 52);
			if (v <= 0)
				continue;
			y -= bh;
			strbuf_addf(out, "<rect class=\"c%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", k,
				    x + (bw > 3 ? 0.5 : 0), y, bw > 3 ? bw - 1 : bw, bh);
		}
		strbuf_adds(out, "</g>");
	}
	svg_close(out);
	if (t0 > bt[0])
		strbuf_addf(out, "<p class=\"note\">The chart shows the last %d %ss; the table has them all.</p>\n",
			    CHART_BUCKETS, bucket);
}

/* Q1: failed runs per bucket, stacked by client (the CHART_SERIES - 1 with
 * the most failures, then the rest together). */
static void chart_q1(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
		     struct strbuf *out)
{
	int nr = PQntuples(res), bc = PQfnumber(res, "bucket"), cc = PQfnumber(res, "client"),
	    vc = PQfnumber(res, "failed_runs"), nb = 0, top[CHART_SERIES];
	struct series s;
	char lab[40];

	series_init(&s, nr);
	for (int r = 0; r < nr; r++)
		s.total[series_of(&s, PQgetvalue(res, r, cc))] += num_at(res, r, vc);
	int keep = s.n <= CHART_SERIES ? s.n : CHART_SERIES - 1, nslot = s.n > keep ? keep + 1 : keep;
	int *slot = chm_xmalloc(sizeof(int) * (size_t)(s.n ? s.n : 1));
	rank(&s, s.total, keep, slot, top);
	double *bt = zeros((size_t)nr), *val = zeros((size_t)nr * CHART_SERIES);
	for (int r = 0; r < nr; r++) { /* rows come ordered by bucket */
		double t = chm_report_time(res, r, bc);
		if (nb == 0 || bt[nb - 1] != t)
			bt[nb++] = t;
		val[(nb - 1) * CHART_SERIES + slot[series_of(&s, PQgetvalue(res, r, cc))]] += num_at(res, r, vc);
	}
	q1_bars(f, q, bt, val, nb, nslot, out);
	strbuf_adds(out, "<ul class=\"legend\">");
	double rest = 0;
	for (int i = 0; i < s.n; i++)
		if (slot[i] == keep)
			rest += s.total[i];
	for (int i = 0; i < keep; i++) {
		snprintf(lab, sizeof(lab), "%.0f failed", s.total[top[i]]);
		legend_item(out, i, s.name[top[i]], lab);
	}
	if (nslot > keep) {
		char name[40];
		snprintf(name, sizeof(name), "%d other clients", s.n - keep);
		snprintf(lab, sizeof(lab), "%.0f failed", rest);
		legend_item(out, keep, name, lab);
	}
	strbuf_adds(out, "</ul>\n");
	free(slot);
	free(bt);
	free(val);
	series_release(&s);
}

/* Q5's points: ok[d * CHART_SERIES + slot] and all[...] per day bt[d]; the
 * last slot is every client together. */
struct q5_days {
	double *bt, *ok, *all;
	int nd;
	double t0, t1;  /* the first and last UTC day of the window */
};

static void q5_line(struct strbuf *out, const struct q5_days *d, int k, int cls, double lo, int h,
		    double pw, int dots)
{
	double t0 = d->t0, t1 = d->t1 > t0 ? d->t1 : t0 + DAY;
	struct strbuf pts = STRBUF_INIT;
	for (int i = 0; i < d->nd; i++) {
		double all = d->all[i * CHART_SERIES + k];
		if (all <= 0)
			continue;
		double x = 52 + (d->bt[i] - t0) / (t1 - t0) * pw;
		double y = h - 30 - (d->ok[i * CHART_SERIES + k] / all - lo) / (1 - lo) * (h - 42);
		strbuf_addf(&pts, "%.1f,%.1f ", x, y);
		if (dots)
			strbuf_addf(out, "<circle class=\"c%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>", cls, x, y);
	}
	strbuf_addf(out, "<polyline class=\"line c%d\" points=\"%s\"/>", cls, pts.buf ? pts.buf : "");
	strbuf_release(&pts);
}

static void q5_chart(struct strbuf *out, const struct q5_days *d, int nslot)
{
	int h = 240;
	double pw = SVG_W - 52 - 12, lo = 1;
	char lab[40];
	for (int i = 0; i < d->nd * CHART_SERIES; i++)
		if (d->all[i] > 0 && d->ok[i] / d->all[i] < lo)
			lo = d->ok[i] / d->all[i];
	lo = floor(lo * 10) / 10;
	if (lo > 0.9)
		lo = 0.9;
	svg_open(out, "Success rate by UTC day: the clients with the lowest and all clients", h);
	for (int g = 0; g <= 4; g++) {
		double y = h - 30 - g / 4.0 * (h - 42);
		struct strbuf r = STRBUF_INIT;
		strbuf_addf(out, "<line class=\"grid\" x1=\"52\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", y, 52 + pw, y);
		chm_table_rate(&r, lo + (1 - lo) * g / 4);
		svg_text(out, 46, y + 4, "end", r.buf);
		strbuf_release(&r);
	}
	for (int k = 0; k < nslot; k++)
		q5_line(out, d, k, k == nslot - 1 ? CHART_SERIES - 1 : k, lo, h, pw, d->nd <= 45);
	axis_time(d->t0, lab, 0);
	svg_text(out, 52, h - 10, "start", lab);
	axis_time(d->t1, lab, 0);
	svg_text(out, 52 + pw, h - 10, "end", lab);
	svg_close(out);
}

static void q5_legend(struct strbuf *out, const struct series *s, const int *top, int keep)
{
	double ok = 0, all = 0;
	struct strbuf r = STRBUF_INIT;
	strbuf_adds(out, "<ul class=\"legend\">");
	for (int i = 0; i < keep; i++) {
		strbuf_reset(&r);
		chm_table_rate(&r, s->total[top[i]] > 0 ? s->extra[top[i]] / s->total[top[i]] : 0);
		legend_item(out, i, s->name[top[i]], r.buf);
	}
	for (int i = 0; i < s->n; i++)
		ok += s->extra[i], all += s->total[i];
	strbuf_reset(&r);
	chm_table_rate(&r, all > 0 ? ok / all : 0);
	legend_item(out, CHART_SERIES - 1, "all clients", r.buf);
	strbuf_adds(out, "</ul>\n");
	if (s->n > keep)
		strbuf_addf(out, "<p class=\"note\">The %d clients of %d with the lowest success rate over the "
				 "window, and all clients together; the table has every client.</p>\n",
			    keep, s->n);
	strbuf_release(&r);
}

/* Q5: success rate by day, a line for each of the clients with the lowest
 * rate (all of them when few) and one for every client together. */
static void chart_q5(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
		     struct strbuf *out)
{
	struct span w = window_of(f, q);
	int nr = PQntuples(res), dc = PQfnumber(res, "day"), cc = PQfnumber(res, "client"),
	    rc = PQfnumber(res, "runs"), sc = PQfnumber(res, "succeeded"), top[CHART_SERIES];
	struct series s;
	struct q5_days d = { zeros((size_t)nr),
			     zeros((size_t)nr * CHART_SERIES), zeros((size_t)nr * CHART_SERIES), 0,
			     floor((double)w.since / 1e6 / DAY) * DAY,
			     floor(((double)w.until / 1e6 - 1e-6) / DAY) * DAY };

	series_init(&s, nr);
	for (int r = 0; r < nr; r++) {
		int i = series_of(&s, PQgetvalue(res, r, cc));
		s.total[i] += num_at(res, r, rc);
		s.extra[i] += num_at(res, r, sc);
	}
	int keep = s.n < CHART_SERIES ? s.n : CHART_SERIES - 1;
	int *slot = chm_xmalloc(sizeof(int) * (size_t)(s.n ? s.n : 1));
	double *key = chm_xmalloc(sizeof(double) * (size_t)(s.n ? s.n : 1));
	for (int i = 0; i < s.n; i++) /* the lowest rate first */
		key[i] = s.total[i] > 0 ? -s.extra[i] / s.total[i] : -2;
	rank(&s, key, keep, slot, top);
	for (int r = 0; r < nr; r++) { /* rows come ordered by day */
		double t = chm_report_time(res, r, dc), ok = num_at(res, r, sc), all = num_at(res, r, rc);
		if (d.nd == 0 || d.bt[d.nd - 1] != t)
			d.bt[d.nd++] = t;
		int k = slot[series_of(&s, PQgetvalue(res, r, cc))], at = (d.nd - 1) * CHART_SERIES;
		if (k < keep)
			d.ok[at + k] += ok, d.all[at + k] += all;
		d.ok[at + keep] += ok, d.all[at + keep] += all;
	}
	q5_chart(out, &d, keep + 1);
	q5_legend(out, &s, top, keep);
	free(slot);
	free(key);
	free(d.bt);
	free(d.ok);
	free(d.all);
	series_release(&s);
}

/* Q8: failure rate per platform, horizontal bars with the counts. */
static void chart_q8(PGresult *res, struct strbuf *out)
{
	int nr = PQntuples(res), pc = PQfnumber(res, "platform"), rc = PQfnumber(res, "failure_rate"),
	    tc = PQfnumber(res, "runs"), fc = PQfnumber(res, "failed"), h = 12 + nr * 26 + 8;
	double pw = SVG_W - 130 - 190;
	struct strbuf lab = STRBUF_INIT;

	svg_open(out, "Failure rate per platform", h);
	for (int r = 0; r < nr; r++) {
		double v = num_at(res, r, rc), y = 12 + r * 26;
		if (isnan(v))
			v = 0;
		svg_text(out, 120, y + 14, "end", PQgetvalue(res, r, pc));
		strbuf_addf(out, "<rect class=\"bad\" x=\"130\" y=\"%.1f\" width=\"%.1f\" height=\"18\"/>", y,
			    v * pw > 1 ? v * pw : 1);
		strbuf_reset(&lab);
		chm_table_rate(&lab, v);
		strbuf_addf(&lab, " (%.0f of %.0f runs)", num_at(res, r, fc), num_at(res, r, tc));
		svg_text(out, 136 + v * pw, y + 14, "start", lab.buf);
	}
	svg_close(out);
	strbuf_release(&lab);
}

/* Q9's order on the page: the slowest median first (then as they came). */
struct keyed {
	double key;
	int row;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->row - y->row;
}

static int *slowest_first(PGresult *res)
{
	int nr = PQntuples(res), c = PQfnumber(res, "p50_seconds");
	struct keyed *k = chm_xmalloc(sizeof(*k) * (size_t)(nr ? nr : 1));
	int *order = chm_xmalloc(sizeof(int) * (size_t)(nr ? nr : 1));
	for (int r = 0; r < nr; r++) {
		double v = num_at(res, r, c);
		k[r].key = isnan(v) ? -1 : v;
		k[r].row = r;
	}
	qsort(k, (size_t)nr, sizeof(*k), cmp_keyed);
	for (int r = 0; r < nr; r++)
		order[r] = k[r].row;
	free(k);
	return order;
}

/* The log axis of Q9: its ticks in human units. */
static const struct {
	double s;
	const char *label;
} ticks[] = { { 1, "1s" }, { 10, "10s" }, { 60, "1m" }, { 600, "10m" }, { 3600, "1h" },
	      { 21600, "6h" }, { 86400, "1d" }, { 604800, "7d" } };

struct logx {
	double lo, hi, x0, pw;
};

static double logx_at(const struct logx *a, double s)
{
	return a->x0 + (log10(s < 1 ? 1 : s) - a->lo) / (a->hi - a->lo) * a->pw;
}

static void q9_box(PGresult *res, int r, double y, const struct logx *a, struct strbuf *out)
{
	double mn = logx_at(a, num_at(res, r, PQfnumber(res, "min_seconds"))),
	       mx = logx_at(a, num_at(res, r, PQfnumber(res, "max_seconds"))),
	       p50 = num_at(res, r, PQfnumber(res, "p50_seconds")), m = logx_at(a, p50),
	       n = logx_at(a, num_at(res, r, PQfnumber(res, "p90_seconds"))),
	       p = logx_at(a, num_at(res, r, PQfnumber(res, "p99_seconds")));
	struct strbuf lab = STRBUF_INIT;

	strbuf_addf(&lab, "%s/%s", PQgetvalue(res, r, PQfnumber(res, "client")),
		    PQgetvalue(res, r, PQfnumber(res, "pipeline")));
	strbuf_addf(out, "<g><title>");
	esc(out, lab.buf);
	strbuf_adds(out, ": median ");
	chm_table_duration(out, p50);
	strbuf_adds(out, "</title><text x=\"212\" y=\"");
	strbuf_addf(out, "%.1f\" text-anchor=\"end\">", y + 4);
	esc_cut(out, lab.buf, 30);
	strbuf_addf(out, "</text><line class=\"whisker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			 "<rect class=\"box\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\"/>"
			 "<line class=\"p99\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			 "<line class=\"med\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
		    mn, y, mx, y, m, y - 7, n - m > 2 ? n - m : 2, p, y - 8, p, y + 8, m, y - 9, m, y + 9);
	strbuf_reset(&lab);
	chm_table_duration(&lab, p50);
	svg_text(out, SVG_W - 4, y + 4, "end", lab.buf);
	strbuf_adds(out, "</g>");
	strbuf_release(&lab);
}

/* Q9: the CHART_BOXES pipelines with the slowest median, a box each on a
 * log scale: whiskers min to max, box median to p90, the median marked
 * and written, a tick at p99. */
static void chart_q9(PGresult *res, const int *order, struct strbuf *out)
{
	int nr = PQntuples(res), shown = nr < CHART_BOXES ? nr : CHART_BOXES, h = 12 + shown * 24 + 28;
	struct logx a = { INFINITY, 0, 220, SVG_W - 220 - 70 };

	for (int i = 0; i < shown; i++) {
		double lo = num_at(res, order[i], PQfnumber(res, "min_seconds")),
		       hi = num_at(res, order[i], PQfnumber(res, "max_seconds"));
		if (lo < a.lo)
			a.lo = lo;
		if (hi > a.hi)
			a.hi = hi;
	}
	a.lo = floor(log10(a.lo < 1 || isinf(a.lo) ? 1 : a.lo));
	a.hi = ceil(log10(a.hi < 10 ? 10 : a.hi));
	svg_open(out, "Run durations of the pipelines with the slowest median (log scale)", h);
	for (size_t t = 0; t < sizeof ticks / sizeof ticks[0]; t++) {
		double x = logx_at(&a, ticks[t].s);
		if (log10(ticks[t].s) < a.lo - 1e-9 || log10(ticks[t].s) > a.hi + 1e-9)
			continue;
		strbuf_addf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"8\" x2=\"%.1f\" y2=\"%d\"/>", x, x, h - 22);
		svg_text(out, x, h - 8, "middle", ticks[t].label);
	}
	svg_text(out, SVG_W - 4, h - 8, "end", "median");
	for (int i = 0; i < shown; i++)
		q9_box(res, order[i], 12 + i * 24 + 10, &a, out);
	svg_close(out);
	strbuf_adds(out, "<p class=\"note\">Whiskers: shortest to longest run; box: median to "
			 "p90, the median marked and written on the right; tick: p99.");
	if (nr > shown)
		strbuf_addf(out, " The %d pipelines of %d with the slowest median; the table below is in the "
				 "same order.", shown, nr);
	strbuf_adds(out, "</p>\n");
}

/* -------------------------------------------------------------- the page */

static void section(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
		    struct strbuf *out)
{
	int nr = PQntuples(res), *order = q->chart == CHM_CHART_BOX ? slowest_first(res) : NULL;

	strbuf_addf(out, "<section id=\"%s\" aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">", q->id, q->id, q->id);
	esc(out, q->title);
	strbuf_adds(out, "</h2>\n<p class=\"window\">");
	add_window(f, q, out);
	strbuf_addf(out, " &middot; %d row%s</p>\n", nr, nr == 1 ? "" : "s");
	if (nr == 0) {
		strbuf_adds(out, "<p class=\"empty\">No rows: nothing to show for this question.</p>\n");
	} else if (q->chart == CHM_CHART_NONE) {
		table(q, res, NULL, out);
	} else {
		switch (q->chart) {
		case CHM_CHART_BARS_TIME: chart_q1(f, q, res, out); break;
		case CHM_CHART_LINES: chart_q5(f, q, res, out); break;
		case CHM_CHART_BARS: chart_q8(res, out); break;
		case CHM_CHART_BOX: chart_q9(res, order, out); break;
		case CHM_CHART_NONE: break;
		}
		strbuf_addf(out, "<details><summary>The table: %d row%s%s</summary>\n", nr, nr == 1 ? "" : "s",
			    nr > HTML_TOP ? ", the first shown" : "");
		table(q, res, order, out);
		strbuf_adds(out, "</details>\n");
	}
	strbuf_adds(out, "</section>\n");
	free(order);
}

/* Colours by role, light and dark (contrast 4.5:1 or more for text);
 * print takes the light ones and unfolds the tables. */
static const char html_css[] =
	":root{color-scheme:light dark;--fg:#1a202c;--muted:#4a5568;--bg:#fff;--panel:#f4f6f9;"
	"--line:#cbd5e0;--link:#2b6cb0;--bad:#9b1c1c;--bad-bg:#fde8e8;--good:#03543f;--good-bg:#def7ec;"
	"--warn:#723b13;--warn-bg:#fdf6b2;--info:#1e429f;--info-bg:#e1effe;--mute-bg:#edf2f7;"
	"--c0:#2b6cb0;--c1:#c05621;--c2:#2f855a;--c3:#6b46c1;--c4:#b83280;--c5:#718096;--barbad:#c53030}"
	"@media screen and (prefers-color-scheme:dark){:root{--fg:#e2e8f0;--muted:#a0aec0;--bg:#171923;"
	"--panel:#222736;--line:#4a5568;--link:#90cdf4;--bad:#feb2b2;--bad-bg:#4a1d1d;--good:#9ae6b4;"
	"--good-bg:#153e2d;--warn:#faf089;--warn-bg:#3d3412;--info:#bee3f8;--info-bg:#1a365d;"
	"--mute-bg:#2d3748;--c0:#63b3ed;--c1:#f6ad55;--c2:#68d391;--c3:#b794f4;--c4:#f687b3;"
	"--c5:#a0aec0;--barbad:#fc8181}}"
	"*{box-sizing:border-box}"
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
	"padding:16px;max-width:1100px;color:var(--fg);background:var(--bg)}"
	"a{color:var(--link)}"
	"h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:0 0 4px}"
	".meta,.window,.note{color:var(--muted);margin:2px 0 10px;font-size:14px}"
	".kpis{list-style:none;padding:0;margin:12px 0;display:grid;gap:10px;"
	"grid-template-columns:repeat(auto-fit,minmax(min(100%,15rem),1fr))}"
	".kpi{display:block;height:100%;padding:10px 12px;border-radius:6px;background:var(--panel);"
	"border-left:6px solid var(--line);color:var(--fg);text-decoration:none}"
	".kpi:hover b{text-decoration:underline}"
	".kpi b{display:block;font-size:28px;line-height:1.2}"
	".kpi small{display:block;color:var(--muted);font-size:13px;margin-top:4px}"
	".kpi.bad{border-left-color:var(--barbad)}.kpi.good{border-left-color:var(--c2)}"
	".kpi.warn{border-left-color:var(--c1)}"
	"nav.toc ol{margin:4px 0 16px;padding-left:22px;columns:2 18rem}"
	"nav.toc h2{font-size:16px}.count{color:var(--muted);font-size:13px}"
	"section{margin:0 0 28px;padding-top:16px;border-top:1px solid var(--line)}"
	".scroll{overflow-x:auto;max-width:100%}"
	"table{border-collapse:collapse;font-size:13px;margin:6px 0}"
	"th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;white-space:nowrap;"
	"vertical-align:top}"
	"th{background:var(--panel)}.num{text-align:right;font-variant-numeric:tabular-nums}"
	"td.long{white-space:normal;min-width:20rem}td.null{color:var(--muted)}td.more{color:var(--muted)}"
	".tag{padding:0 6px;border-radius:4px;white-space:nowrap}"
	".tag.bad{color:var(--bad);background:var(--bad-bg)}.tag.good{color:var(--good);background:var(--good-bg)}"
	".tag.warn{color:var(--warn);background:var(--warn-bg)}.tag.info{color:var(--info);background:var(--info-bg)}"
	".tag.muted{color:var(--fg);background:var(--mute-bg)}"
	".empty{font-style:italic;color:var(--muted)}"
	"details{margin:4px 0}summary{cursor:pointer;color:var(--link)}"
	".chartbox{overflow-x:auto;max-width:100%}"
	"svg.chart{display:block;margin:8px 0;width:100%;min-width:560px;max-width:760px;height:auto;"
	"font-size:12px}"
	"svg text{fill:var(--muted)}"
	".grid{stroke:var(--line);stroke-width:1}.bad{fill:var(--barbad)}"
	".c0{fill:var(--c0);stroke:var(--c0)}.c1{fill:var(--c1);stroke:var(--c1)}"
	".c2{fill:var(--c2);stroke:var(--c2)}.c3{fill:var(--c3);stroke:var(--c3)}"
	".c4{fill:var(--c4);stroke:var(--c4)}.c5{fill:var(--c5);stroke:var(--c5)}"
	"rect.c0,rect.c1,rect.c2,rect.c3,rect.c4,rect.c5{stroke:none}"
	".line{fill:none;stroke-width:2}polyline.c5{stroke-width:3;stroke-dasharray:6 3}"
	".whisker{stroke:var(--muted);stroke-width:1.5}.box{fill:var(--info-bg);stroke:var(--c0)}"
	".med{stroke:var(--fg);stroke-width:3}.p99{stroke:var(--barbad);stroke-width:2}"
	".legend{list-style:none;padding:0;margin:4px 0 8px;display:flex;flex-wrap:wrap;gap:4px 16px;"
	"font-size:13px}"
	".sw{display:inline-block;width:11px;height:11px;margin-right:5px;border-radius:2px}"
	".sw.c0{background:var(--c0)}.sw.c1{background:var(--c1)}.sw.c2{background:var(--c2)}"
	".sw.c3{background:var(--c3)}.sw.c4{background:var(--c4)}.sw.c5{background:var(--c5)}"
	".lv{color:var(--muted)}"
	"@media (max-width:600px){body{padding:10px}h1{font-size:20px}.kpi b{font-size:24px}}"
	"@media print{body{max-width:none;padding:0;font-size:11pt}"
	"details::details-content{content-visibility:visible;display:block}"
	"summary{list-style:none;color:var(--fg)}.scroll{overflow:visible}"
	"nav.toc{display:none}a{color:inherit;text-decoration:none}"
	"svg.chart,.kpis,tr{break-inside:avoid}section{break-before:auto}}";

static void page_head(struct chm_formatter *f, struct strbuf *out)
{
	const struct chm_report_opts *o = f->opts;

	strbuf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			 "<title>CHM client health report</title>\n<style>");
	strbuf_adds(out, html_css);
	strbuf_adds(out, "</style>\n</head>\n<body>\n<header>\n<h1>CHM client health report</h1>\n"
			 "<p class=\"meta\">As of ");
	add_time(out, f->now);
	strbuf_adds(out, " &middot; generated ");
	add_time(out, f->generated);
	if (o && (o->client || o->pipeline || o->platform)) {
		strbuf_adds(out, " &middot; only");
		if (o->client)
			strbuf_adds(out, " client "), esc(out, o->client);
		if (o->pipeline)
			strbuf_adds(out, " pipeline "), esc(out, o->pipeline);
		if (o->platform)
			strbuf_adds(out, " platform "), esc(out, o->platform);
	}
	if (o && o->limit > 0)
		strbuf_addf(out, " &middot; at most %lld rows a question (--limit), counts included",
			    (long long)o->limit);
	strbuf_adds(out, "</p>\n");
}

static void toc(const struct chm_question *const *q, PGresult *const *res, const size_t *order, size_t nq,
		struct strbuf *out)
{
	strbuf_adds(out, "<nav class=\"toc\" aria-labelledby=\"toc-h\"><h2 id=\"toc-h\">Contents</h2><ol>\n");
	for (size_t i = 0; i < nq; i++) {
		int nr = PQntuples(res[order[i]]);
		strbuf_addf(out, "<li><a href=\"#%s\">", q[order[i]]->id);
		esc(out, q[order[i]]->title);
		strbuf_addf(out, "</a> <span class=\"count\">%d row%s</span></li>\n", nr, nr == 1 ? "" : "s");
	}
	strbuf_adds(out, "</ol></nav>\n");
}

void chm_format_html(struct chm_formatter *f, const struct chm_question *const *asked,
		     PGresult *const *res, size_t nq, struct strbuf *out)
{
	size_t *order = chm_xmalloc(sizeof(size_t) * (nq ? nq : 1)), n = 0;

	/* the charts first, then the lists, each in the order asked */
	for (int charts = 1; charts >= 0; charts--)
		for (size_t i = 0; i < nq; i++)
			if ((asked[i]->chart != CHM_CHART_NONE) == charts)
				order[n++] = i;
	page_head(f, out);
	kpis(f, asked, res, nq, out);
	strbuf_adds(out, "</header>\n");
	toc(asked, res, order, nq, out);
	strbuf_adds(out, "<main>\n");
	for (size_t i = 0; i < nq; i++)
		section(f, asked[order[i]], res[order[i]], out);
	strbuf_adds(out, "</main>\n</body>\n</html>\n");
	free(order);
}
