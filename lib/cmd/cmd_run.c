/* chm run record|list|latest. `record` stores one
 * run through chm-load's loader, so it follows the same transition rules
 * (002_run_transitions.sql); `list` pages through a pipeline's or client's
 * runs newest first with a bounded --limit and --before CURSOR; `latest`
 * gives each pipeline's latest run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/chmtime.h"
#include "core/enums.h"
#include "core/run.h"
#include "core/strbuf.h"
#include "engines/loader.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

static const char *const run_columns[] = { "id", "client", "pipeline", "external_run_id", "status",
					   "started_at", "finished_at", "duration_seconds",
					   "error_message", NULL };
static const char *const latest_columns[] = { "client", "pipeline", "platform", "status",
					      "started_at", "finished_at", "external_run_id",
					      "error_message", NULL };

/* "chm-20261122T101500.123456Z-1f2e3d4c": unique without asking anyone. */
static void make_run_id(char *buf, size_t n, int64_t now)
{
	char t[CHM_TIME_BUFSZ], compact[CHM_TIME_BUFSZ];
	unsigned char rnd[4] = { 0 };
	size_t j = 0;

	chm_time_format(now, t);
	for (const char *p = t; *p && j + 1 < sizeof(compact); p++)
		if (*p != '-' && *p != ':')
			compact[j++] = *p;
	compact[j] = '\0';
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		unsigned v = (unsigned)getpid() ^ (unsigned)now;
		memcpy(rnd, &v, sizeof(rnd));
	}
	snprintf(buf, n, "chm-%s-%02x%02x%02x%02x", compact, rnd[0], rnd[1], rnd[2], rnd[3]);
}

static int check_bytes(struct chm_ctx *ctx, const char *field, const char *v, size_t max)
{
	if (v && strlen(v) > max) {
		chm_fail_issue(&ctx->fail, field, "must be at most %zu bytes", max);
		return -1;
	}
	return chm_check_text(ctx, field, v, (size_t)-1, 1);
}

static const char *result_name(const struct chm_load_counts *k)
{
	return k->inserted ? "inserted" : k->updated ? "updated" : k->ignored ? "ignored" : "unchanged";
}

/* Prints the stored run key (pipeline_id, external_run_id) with "result". */
static int show_run(struct chm_ctx *ctx, int64_t pid, const char *ext, const char *result)
{
	char pid_s[24];
	const char *params[] = { chm_param_id(pid, pid_s), NULL, NULL, NULL, NULL, NULL, NULL,
				 NULL, "1", ext };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_run_list.sql", 10, params);
	if (!res)
		return -1;
	json_t *row = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
	PQclear(res);
	if (!row)
		return chm_fail_set(&ctx->fail, CHM_EX_SOFTWARE, CHM_E_INTERNAL, NULL,
				    "the run was stored but cannot be read back");
	json_object_set_new(row, "result", json_string(result));
	return chm_emit_object(ctx, row, run_columns);
}

/* The run the flags describe, checked (issues into ctx). */
static void run_of_args(struct chm_ctx *ctx, const struct chm_args *a, int64_t now, struct chm_run *run)
{
	memset(run, 0, sizeof(*run));
	run->status = chm_arg(a, "status");
	run->external_run_id = chm_arg(a, "external-run-id");
	run->error_message = chm_arg(a, "error-message");
	run->status_reason = chm_arg(a, "status-reason");
	chm_check_enum(ctx, "status", run->status, chm_run_statuses);
	chm_check_text(ctx, "external_run_id", run->external_run_id, 500, 0);
	run->has_started = chm_arg(a, "started-at") &&
			   chm_check_time(ctx, "started_at", chm_arg(a, "started-at"), now, &run->started_at) == 0;
	run->has_finished = chm_arg(a, "finished-at") &&
			    chm_check_time(ctx, "finished_at", chm_arg(a, "finished-at"), now,
					   &run->finished_at) == 0;
	run->has_duration = chm_arg(a, "duration-seconds") &&
			    chm_check_number(ctx, "duration_seconds", chm_arg(a, "duration-seconds"), 0,
					     &run->duration_seconds) == 0;
	run->has_rows = chm_arg(a, "rows-processed") &&
			chm_check_int(ctx, "rows_processed", chm_arg(a, "rows-processed"), 0, INT64_MAX,
				      &run->rows_processed) == 0;
	check_bytes(ctx, "error_message", run->error_message, CHM_TEXT_MAX);
	check_bytes(ctx, "status_reason", run->status_reason, CHM_TEXT_MAX);
	if (run->has_started && run->has_finished && run->finished_at < run->started_at)
		chm_fail_issue(&ctx->fail, "finished_at", "must not be before started_at");
}

/* A new run (no id given) gets an id and times: without them it would
 * sort after every dated run. */
static void complete_run(struct chm_run *run, int64_t now, char *gen_id, size_t gen_len)
{
	if (!run->external_run_id) {
		make_run_id(gen_id, gen_len, now);
		run->external_run_id = gen_id;
		if (!run->has_started && !(run->has_finished && run->finished_at < now)) {
			run->has_started = 1;
			run->started_at = now;
		}
		if (!run->has_finished && chm_status_is_terminal(run->status)) {
			run->has_finished = 1;
			run->finished_at = run->started_at > now ? run->started_at : now;
		}
	}
	if (run->has_started && run->has_finished && !run->has_duration && run->finished_at >= run->started_at) {
		run->has_duration = 1;
		run->duration_seconds = (double)(run->finished_at - run->started_at) / 1e6;
	}
}

/* Through the loader, as chm-load would load it: 0 and its counts. */
static int load_one(struct chm_ctx *ctx, PGconn *conn, const struct chm_run *run, const char *policy,
		    struct chm_load_counts *k)
{
	struct chm_loader_opts lopts = { .batch_size = 1 };
	if (policy)
		chm_regressions_parse(policy, &lopts.regressions);
	/* a refused event is reported in our error shape, not as a reject record */
	struct chm_rejects rejects;
	struct chm_err err;
	chm_err_clear(&err);
	if (chm_rejects_open(&rejects, "chm", "/dev/null", &err))
		return chm_fail_from_err(&ctx->fail, &err);
	struct chm_loader *ld = chm_loader_new(conn, &lopts, &rejects);
	json_t *canon = chm_run_to_json(run);
	char *input = json_dumps(canon, JSON_COMPACT);
	int rc = chm_loader_add(ld, run, "chm run record", 1, input, input ? strlen(input) : 0, &err);
	if (rc == 0)
		rc = chm_loader_flush(ld, &err);
	*k = *chm_loader_counts(ld);
	chm_loader_free(ld);
	free(input);
	json_decref(canon);
	chm_rejects_close(&rejects, NULL);
	return rc ? chm_fail_from_err(&ctx->fail, &err) : 0;
}

static int record(struct chm_ctx *ctx, const struct chm_args *a)
{
	struct chm_run run;
	struct chm_load_counts k = { 0 };
	int64_t now = chm_time_now(), pid;
	char gen_id[96];
	const char *policy = chm_arg(a, "regressions");

	run_of_args(ctx, a, now, &run);
	chm_check_enum(ctx, "regressions", policy, chm_regressions_names);
	if (chm_check_done(ctx) || chm_find_pipeline(ctx, chm_arg(a, "pipeline"), "pipeline", &pid))
		return -1;
	run.pipeline_id = pid;
	complete_run(&run, now, gen_id, sizeof(gen_id));
	PGconn *conn = chm_ctx_conn(ctx);
	if (!conn || load_one(ctx, conn, &run, policy, &k))
		return -1;
	if (k.rejected)
		return chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_STALE_REGRESSION, "status",
				    "run \"%.200s\" is already in a terminal state with another status and "
				    "this is not a newer attempt (--regressions reject)",
				    run.external_run_id);
	return show_run(ctx, pid, run.external_run_id, result_name(&k));
}

/* A cursor is a run's sort key: "STARTED,FINISHED,ID", a time or "-" each. */
static int parse_cursor(struct chm_ctx *ctx, const char *s, char *started, char *finished,
			char *id)
{
	char part[3][64];
	const char *p = s;
	int64_t t, n;
	struct chm_err err;

	for (int i = 0; i < 3; i++) {
		size_t len = strcspn(p, ",");
		if (len >= sizeof(part[i]) || (i < 2 && p[len] != ',') || (i == 2 && p[len]))
			goto bad;
		memcpy(part[i], p, len);
		part[i][len] = '\0';
		p += len + (i < 2);
	}
	for (int i = 0; i < 2; i++) {
		char *out = i ? finished : started;
		if (strcmp(part[i], "-") == 0) {
			out[0] = '\0';
			continue;
		}
		if (chm_time_parse(part[i], 0, &t, NULL, "before", &err))
			goto bad;
		chm_time_format_pg(t, out);
	}
	if (chm_check_int(ctx, "before", part[2], 1, INT64_MAX, &n))
		return -1;
	chm_param_id(n, id);
	return 0;
bad:
	chm_fail_issue(&ctx->fail, "before",
		       "must be the \"cursor\" of a listed run (STARTED,FINISHED,ID; got \"%.100s\")", s);
	return -1;
}

/* list and latest read one pipeline's runs or one client's: both given
 * would answer for neither (an empty list, or the pipeline's alone). */
static int not_both(struct chm_ctx *ctx, const struct chm_args *a)
{
	if (chm_arg(a, "pipeline") && chm_arg(a, "client"))
		return chm_fail_set(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE, "client",
				    "give --pipeline or --client, not both");
	return 0;
}

static int list(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t now = chm_time_now(), since = 0, until = 0, limit = LIST_DEFAULT, pid = 0, cid = 0;
	char since_s[CHM_TIME_BUFSZ], until_s[CHM_TIME_BUFSZ], started[CHM_TIME_BUFSZ],
		finished[CHM_TIME_BUFSZ], id_s[24], pid_s[24], cid_s[24], limit_s[24];
	const char *before = chm_arg(a, "before");

	if (!chm_arg(a, "pipeline") && !chm_arg(a, "client"))
		return chm_fail_set(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE, "pipeline",
				    "is required (--pipeline, or --client for all of a client's runs)");
	if (not_both(ctx, a))
		return -1;
	chm_check_enum(ctx, "status", chm_arg(a, "status"), chm_run_statuses);
	chm_check_time(ctx, "since", chm_arg(a, "since"), now, &since);
	chm_check_time(ctx, "until", chm_arg(a, "until"), now, &until);
	chm_check_int(ctx, "limit", chm_arg(a, "limit"), 1, LIST_MAX, &limit);
	if (before)
		parse_cursor(ctx, before, started, finished, id_s);
	if (chm_arg(a, "since") && chm_arg(a, "until") && until <= since)
		chm_fail_issue(&ctx->fail, "until", "must be later than since");
	if (chm_check_usage(ctx))
		return -1;
	if (chm_arg(a, "pipeline") && chm_find_pipeline(ctx, chm_arg(a, "pipeline"), "pipeline", &pid))
		return -1;
	if (chm_arg(a, "client") && chm_find_client(ctx, chm_arg(a, "client"), "client", &cid))
		return -1;
	/* one row more than asked tells whether there is a next page */
	snprintf(limit_s, sizeof(limit_s), "%lld", (long long)limit + 1);
	const char *params[] = {
		pid ? chm_param_id(pid, pid_s) : NULL, cid ? chm_param_id(cid, cid_s) : NULL,
		chm_arg(a, "status"),
		chm_arg(a, "since") ? chm_time_format_pg(since, since_s) : NULL,
		chm_arg(a, "until") ? chm_time_format_pg(until, until_s) : NULL,
		before && started[0] ? started : NULL, before && finished[0] ? finished : NULL,
		before ? id_s : NULL, limit_s, NULL,
	};
	PGresult *res = chm_ctx_query(ctx, "queries/cli_run_list.sql", 10, params);
	if (!res)
		return -1;
	int n = PQntuples(res), more = n > limit;
	char *next = NULL;
	if (more) {
		json_t *last = json_loads(PQgetvalue(res, (int)limit - 1, 0), 0, NULL);
		const char *cursor = json_string_value(json_object_get(last, "cursor"));
		next = cursor ? chm_xstrdup(cursor) : NULL;
		json_decref(last);
	}
	/* print only the page: the extra row is not ours to show */
	int rc = chm_emit_rows(ctx, res, (int)limit, run_columns);
	PQclear(res);
	if (rc == 0 && more && next)
		fprintf(ctx->diag, "chm: more runs: continue with --before '%s'\n", next);
	free(next);
	return rc;
}

static int latest(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t pid = 0, cid = 0;
	char pid_s[24], cid_s[24];

	if (not_both(ctx, a))
		return -1;
	if (chm_arg(a, "pipeline") && chm_find_pipeline(ctx, chm_arg(a, "pipeline"), "pipeline", &pid))
		return -1;
	if (chm_arg(a, "client") && chm_find_client(ctx, chm_arg(a, "client"), "client", &cid))
		return -1;
	const char *params[] = { pid ? chm_param_id(pid, pid_s) : NULL,
				 cid ? chm_param_id(cid, cid_s) : NULL };
	return chm_emit_query(ctx, "queries/cli_run_latest.sql", 2, params, latest_columns);
}

static const struct chm_opt record_opts[] = {
	{ "pipeline", "pipeline", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "status", "status", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "external-run-id", "external_run_id", CHM_OPT_VALUE },
	{ "started-at", "started_at", CHM_OPT_VALUE },
	{ "finished-at", "finished_at", CHM_OPT_VALUE },
	{ "duration-seconds", "duration_seconds", CHM_OPT_VALUE },
	{ "rows-processed", "rows_processed", CHM_OPT_VALUE },
	{ "error-message", "error_message", CHM_OPT_VALUE },
	{ "status-reason", "status_reason", CHM_OPT_VALUE },
	{ "regressions", "regressions", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};
static const struct chm_opt list_opts[] = {
	{ "pipeline", "pipeline", CHM_OPT_VALUE },
	{ "client", "client", CHM_OPT_VALUE },
	{ "status", "status", CHM_OPT_VALUE },
	{ "since", "since", CHM_OPT_VALUE },
	{ "until", "until", CHM_OPT_VALUE },
	{ "limit", "limit", CHM_OPT_VALUE },
	{ "before", "before", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};
static const struct chm_opt latest_opts[] = {
	{ "pipeline", "pipeline", CHM_OPT_VALUE },
	{ "client", "client", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};

static const struct chm_action actions[] = {
	{ "record",
	  "record --pipeline PIPELINE --status running|success|failed|canceled|skipped\n"
	  "         [--external-run-id ID] [--started-at T] [--finished-at T] [--duration-seconds S]\n"
	  "         [--rows-processed N] [--error-message TEXT] [--status-reason TEXT]\n"
	  "         [--regressions ignore|reject|accept]",
	  record_opts, record },
	{ "list",
	  "list --pipeline PIPELINE | --client CLIENT [--status S] [--since T] [--until T]\n"
	  "         [--limit N (default 100, at most 1000)] [--before CURSOR]",
	  list_opts, list },
	{ "latest", "latest [--pipeline PIPELINE | --client CLIENT]", latest_opts, latest },
};

int chm_cmd_run(struct chm_ctx *ctx, int argc, char **argv)
{
	return chm_cmd_dispatch(ctx, "run", actions, sizeof(actions) / sizeof(actions[0]), argc, argv);
}
