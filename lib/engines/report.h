/* report: the dashboard questions Q1-Q10 (the views of
 * sql/migrations/003_report_views.sql), asked with chm-report's filters as
 * parameters, and their output formats. Formatting appends to a strbuf; the
 * program writes it out (library code never prints). */
#ifndef CHM_REPORT_H
#define CHM_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "core/err.h"
#include "core/strbuf.h"

/* Which filters a question's query takes, in this order of parameters. */
enum {
	CHM_F_CLIENT = 1,
	CHM_F_PIPELINE = 2,
	CHM_F_PLATFORM = 4,
	CHM_F_LIMIT = 8,
	CHM_F_BUCKET = 16,
};

enum chm_chart { CHM_CHART_NONE, CHM_CHART_BARS_TIME, CHM_CHART_LINES, CHM_CHART_BOX, CHM_CHART_BARS };

struct chm_question {
	const char *id;          /* "q1"; also the ndjson "type" */
	const char *name;        /* the view's name without chm_qN_ */
	const char *view;
	const char *title;
	const char *window;      /* what the question covers, for the html page: the
				  * text before its window (window_days) or "as of" */
	const char *query;       /* embedded sql/ file */
	unsigned filters;
	enum chm_chart chart;
	/* prom: NULL prefix = no Prometheus form. Label columns (NULL-ended);
	 * every other numeric or timestamp column is a gauge <prefix>_<column>.
	 * one: a metric <prefix>_<one> valued 1 per row, with the column named
	 * one_label (if any) as an extra label.
	 * hist: the columns hist_<bound> (10s, 1m, 1h, inf; each counting the
	 * values above the previous bound) are instead one histogram
	 * <prefix>_<hist>: cumulative _bucket{le=...} ending with le="+Inf",
	 * _sum from the column sum_<hist>, _count from the column hist_count.
	 * prom_query: the query for prom when it needs more columns (NULL: query). */
	const char *prom_prefix;
	const char *prom_labels[6];
	const char *prom_one;
	const char *prom_one_label;
	int window_days;         /* the default window (--since/--until move it); 0: none */
	const char *prom_hist;
	const char *prom_hist_count;
	const char *prom_query;
};

/* Every question in order, Q1 first. */
const struct chm_question *chm_questions(size_t *n);
/* By id (q1), name, view name, case-insensitive; NULL when none. */
const struct chm_question *chm_question_find(const char *name);

struct chm_report_opts {
	const char *client, *pipeline, *platform;
	const char *bucket;  /* hour, day, week; NULL: day */
	int64_t limit;       /* <= 0: no limit */
	int has_now, has_since, has_until;
	int64_t now, since, until; /* microseconds since the epoch */
};

/* Opens a read-only snapshot (every question sees the same data and the
 * same now) and sets the views' clock and window. *now_usec gets the
 * effective now. */
int chm_report_begin(PGconn *conn, const struct chm_report_opts *o, int64_t *now_usec,
		     struct chm_err *err);
enum chm_format { CHM_FMT_NDJSON, CHM_FMT_CSV, CHM_FMT_TABLE, CHM_FMT_HTML, CHM_FMT_PROM };

/* The rows of one question for a format (prom: its prom_query, if any);
 * the caller PQclears. */
PGresult *chm_report_query(PGconn *conn, const struct chm_question *q, enum chm_format format,
			   const struct chm_report_opts *o, struct chm_err *err);
int chm_report_end(PGconn *conn, struct chm_err *err);
/* -1 when name is not a format. */
int chm_format_parse(const char *name);

struct chm_formatter {
	enum chm_format format;
	int count;                 /* questions written so far */
	int64_t now;               /* the views' now */
	int64_t generated;         /* wall clock */
	int width;                 /* table: the width to fit (0: no limit) */
	int color;                 /* table: statuses in colour (the program decides) */
	const struct chm_report_opts *opts;
};

/* One question's rows in an ndjson, csv, table or prom report, appended to
 * out. */
void chm_format_question(struct chm_formatter *f, const struct chm_question *q, PGresult *res,
			 struct strbuf *out);
/* The html page (report_html.c) of every asked question, res[i] the rows of
 * asked[i]: it leads with counts taken from those rows, so it needs them
 * all before it starts. */
void chm_format_html(struct chm_formatter *f, const struct chm_question *const *asked,
		     PGresult *const *res, size_t nq, struct strbuf *out);

/* The report of the asked questions inside chm_report_begin/end, written to
 * out a question at a time (html: the page at the end). -1 with err. */
int chm_report_write(PGconn *conn, struct chm_formatter *f, const struct chm_question *const *asked,
		     size_t nq, FILE *out, struct chm_err *err);

#endif
