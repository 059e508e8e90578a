/* report: the question registry and how a question is asked. The SQL is in
 * sql/queries/report_*.sql over the views; here only its parameters. */
#include "engines/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/chmtime.h"
#include "core/db.h"

#define PIPE_FILTERS (CHM_F_CLIENT | CHM_F_PIPELINE | CHM_F_PLATFORM | CHM_F_LIMIT)

static const struct chm_question questions[] = {
	{ "q1", "failed_runs_hourly", "chm_q1_failed_runs_hourly",
	  "Q1 Failed runs over time", "",
	  "queries/report_q1.sql", PIPE_FILTERS | CHM_F_BUCKET, CHM_CHART_BARS_TIME,
	  NULL, { NULL }, NULL, NULL, 7 },
	{ "q2", "latest_run_per_pipeline", "chm_q2_latest_run_per_pipeline",
	  "Q2 Latest run per pipeline", "latest run of each active pipeline",
	  "queries/report_q2.sql", PIPE_FILTERS, CHM_CHART_NONE,
	  "chm_pipeline_latest", { "client", "pipeline", "platform", NULL }, "status", "status", 0 },
	{ "q3", "failures_per_client", "chm_q3_failures_per_client",
	  "Q3 Failed runs per client", "failed runs in the 24 hours and the 7 days before",
	  "queries/report_q3.sql", CHM_F_CLIENT | CHM_F_LIMIT, CHM_CHART_NONE,
	  "chm_client", { "client", NULL }, NULL, NULL, 0 },
	{ "q4", "changes_since_yesterday", "chm_q4_changes_since_yesterday",
	  "Q4 Changes since yesterday", "latest outcome of each active pipeline vs 24 hours before",
	  "queries/report_q4.sql", PIPE_FILTERS, CHM_CHART_NONE,
	  NULL, { NULL }, NULL, NULL, 0 },
	{ "q5", "daily_success_rate", "chm_q5_daily_success_rate",
	  "Q5 Daily success rate per client", "UTC days of",
	  "queries/report_q5.sql", CHM_F_CLIENT | CHM_F_LIMIT, CHM_CHART_LINES,
	  NULL, { NULL }, NULL, NULL, 30 },
	{ "q6", "failing_now", "chm_q6_failing_now",
	  "Q6 Triage: pipelines failing now", "latest run of each active pipeline",
	  "queries/report_q6.sql", PIPE_FILTERS, CHM_CHART_NONE,
	  "chm_failing", { "client", "pipeline", "platform", NULL }, NULL, NULL, 0 },
	{ "q7", "flaky_pipelines", "chm_q7_flaky_pipelines",
	  "Q7 Flaky pipelines", "",
	  "queries/report_q7.sql", PIPE_FILTERS, CHM_CHART_NONE,
	  "chm_flaky", { "client", "pipeline", "platform", NULL }, NULL, NULL, 30 },
	{ "q8", "failure_rate_per_platform", "chm_q8_failure_rate_per_platform",
	  "Q8 Failure rate per platform", "",
	  "queries/report_q8.sql", CHM_F_PLATFORM | CHM_F_LIMIT, CHM_CHART_BARS,
	  "chm_platform", { "platform", NULL }, NULL, NULL, 30 },
	{ "q9", "duration_distribution", "chm_q9_duration_distribution",
	  "Q9 Run duration distribution", "",
	  "queries/report_q9.sql", PIPE_FILTERS, CHM_CHART_BOX,
	  "chm_duration", { "client", "pipeline", "platform", NULL }, NULL, NULL, 30 },
	{ "q10", "governance", "chm_q10_governance",
	  "Q10 Governance", "silent and no_alert_rule as of now; disabled_runs:",
	  "queries/report_q10.sql", PIPE_FILTERS, CHM_CHART_NONE,
	  "chm_governance", { "finding", "client", "pipeline", "platform", NULL }, "finding", NULL, 7 },
};

const struct chm_question *chm_questions(size_t *n)
{
	*n = sizeof questions / sizeof questions[0];
	return questions;
}

const struct chm_question *chm_question_find(const char *name)
{
	for (size_t i = 0; i < sizeof questions / sizeof questions[0]; i++) {
		const struct chm_question *q = &questions[i];
		if (!strcasecmp(name, q->id) || !strcasecmp(name, q->name) ||
		    !strcasecmp(name, q->view))
			return q;
	}
	return NULL;
}

int chm_format_parse(const char *name)
{
	static const char *const names[] = { "ndjson", "csv", "table", "html", "prom" };
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

int chm_report_begin(PGconn *conn, const struct chm_report_opts *o, int64_t *now_usec,
		     struct chm_err *err)
{
	char now[CHM_TIME_BUFSZ], since[CHM_TIME_BUFSZ], until[CHM_TIME_BUFSZ];
	const char *params[3] = {
		o->has_now ? chm_time_format_pg(o->now, now) : NULL,
		o->has_since ? chm_time_format_pg(o->since, since) : NULL,
		o->has_until ? chm_time_format_pg(o->until, until) : NULL,
	};

	/* one snapshot: the questions agree with each other */
	if (chm_db_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err))
		return -1;
	PGresult *res = chm_db_query_file(conn, "queries/report_settings.sql", 3, params, err);
	if (!res)
		return -1;
	int rc = chm_time_parse(PQgetvalue(res, 0, PQfnumber(res, "now")), 0, now_usec, NULL, "now", err);
	PQclear(res);
	return rc;
}

PGresult *chm_report_query(PGconn *conn, const struct chm_question *q,
			   const struct chm_report_opts *o, struct chm_err *err)
{
	const char *params[5];
	char limit[24];
	int n = 0;

	snprintf(limit, sizeof(limit), "%lld", (long long)o->limit);
	if (q->filters & CHM_F_CLIENT)
		params[n++] = o->client;
	if (q->filters & CHM_F_PIPELINE)
		params[n++] = o->pipeline;
	if (q->filters & CHM_F_PLATFORM)
		params[n++] = o->platform;
	if (q->filters & CHM_F_LIMIT)
		params[n++] = o->limit > 0 ? limit : NULL;
	if (q->filters & CHM_F_BUCKET)
		params[n++] = o->bucket ? o->bucket : "day";
	PGresult *res = chm_db_query_file(conn, q->query, n, params, err);
	if (!res) {
		/* say which question failed: "q3: ..." */
		size_t id = strlen(q->id) + 2, len = strlen(err->msg);
		if (id + len >= sizeof(err->msg))
			len = sizeof(err->msg) - id - 1;
		memmove(err->msg + id, err->msg, len);
		err->msg[id + len] = '\0';
		memcpy(err->msg, q->id, id - 2);
		memcpy(err->msg + id - 2, ": ", 2);
	}
	return res;
}

int chm_report_end(PGconn *conn, struct chm_err *err)
{
	return chm_db_exec(conn, "COMMIT", err);
}

/* html: every answer first (the page's header counts come from them), then
 * the page; its size is bounded by its caps, not by the rows. */
static int write_html(PGconn *conn, struct chm_formatter *f, const struct chm_question *const *asked,
		      size_t nq, FILE *out, struct chm_err *err)
{
	PGresult **res = chm_xmalloc(sizeof(*res) * (nq ? nq : 1));
	struct strbuf page = STRBUF_INIT;
	size_t got = 0;
	int rc = -1;

	for (; got < nq; got++)
		if (!(res[got] = chm_report_query(conn, asked[got], f->opts, err)))
			goto done;
	chm_format_html(f, asked, res, nq, &page);
	fwrite(page.buf ? page.buf : "", 1, page.len, out); /* chm_close_stdout says why not */
	rc = 0;
done:
	for (size_t i = 0; i < got; i++)
		PQclear(res[i]);
	free(res);
	strbuf_release(&page);
	return rc;
}

int chm_report_write(PGconn *conn, struct chm_formatter *f, const struct chm_question *const *asked,
		     size_t nq, FILE *out, struct chm_err *err)
{
	struct strbuf text = STRBUF_INIT;
	int rc = -1;

	/* a name that matches nothing is a mistake, not an empty answer */
	if ((f->opts->client && chm_db_check_name(conn, "queries/names_clients.sql", "client", "client",
						  f->opts->client, err)) ||
	    (f->opts->pipeline && chm_db_check_name(conn, "queries/names_pipelines.sql", "pipeline", "pipeline",
						    f->opts->pipeline, err)) ||
	    chm_report_begin(conn, f->opts, &f->now, err))
		goto done;
	if (f->format == CHM_FMT_HTML) {
		if (write_html(conn, f, asked, nq, out, err))
			goto done;
		rc = chm_report_end(conn, err);
		goto done;
	}
	for (size_t i = 0; i < nq; i++) {
		PGresult *res = chm_report_query(conn, asked[i], f->opts, err);
		if (!res)
			goto done;
		chm_format_question(f, asked[i], res, &text);
		PQclear(res);
		/* a question at a time: memory holds one result, not the report */
		if (fwrite(text.buf ? text.buf : "", 1, text.len, out) != text.len)
			break; /* chm_close_stdout says why */
		strbuf_reset(&text);
	}
	rc = chm_report_end(conn, err);
done:
	strbuf_release(&text);
	return rc;
}
