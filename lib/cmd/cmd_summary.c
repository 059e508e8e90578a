/* chm summary --client C [--since T] [--until T]: a
 * client's run counts by status in a window (default the last 24 hours) and
 * the latest status of each of its active pipelines, with those failing now
 * named: what an analyst asks first, in one command. */
#include <errno.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/chmtime.h"

static const char *const count_columns[] = { "running", "success", "failed", "canceled",
					     "skipped", "total", NULL };
static const char *const pipeline_columns[] = { "pipeline", "platform", "environment", "status",
						"started_at", "finished_at", "failed_runs",
						"error_message", NULL };

static int print_table(struct chm_ctx *ctx, json_t *sum)
{
	FILE *fp = ctx->out;
	json_t *counts = json_deep_copy(json_object_get(sum, "counts"));
	json_object_set(counts, "total", json_object_get(sum, "total"));
	json_t *rows = json_pack("[o]", counts);

	fprintf(fp, "client %s, runs started from %s to %s\n",
		json_string_value(json_object_get(sum, "client")),
		json_string_value(json_object_get(sum, "since")),
		json_string_value(json_object_get(sum, "until")));
	int rc = chm_out_table(fp, rows, count_columns, ctx->width, ctx->color);
	fputc('\n', fp);
	if (rc == 0)
		rc = chm_out_table(fp, json_object_get(sum, "pipelines"), pipeline_columns,
				   ctx->width, ctx->color);
	json_decref(rows);
	return rc || ferror(fp) ? -1 : 0;
}

static int summary(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t now = chm_time_now(), since, until = now, cid;
	char since_s[CHM_TIME_BUFSZ], until_s[CHM_TIME_BUFSZ], cid_s[24];

	chm_check_time(ctx, "until", chm_arg(a, "until"), now, &until);
	since = until - INT64_C(86400000000); /* the day before --until, by default */
	chm_check_time(ctx, "since", chm_arg(a, "since"), now, &since);
	if (chm_fail_count(&ctx->fail) == 0 && until <= since)
		chm_fail_issue(&ctx->fail, "until", "must be later than since");
	if (chm_check_usage(ctx) || chm_find_client(ctx, chm_arg(a, "client"), "client", &cid))
		return -1;
	const char *params[] = { chm_param_id(cid, cid_s), chm_time_format_pg(since, since_s),
				 chm_time_format_pg(until, until_s) };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_summary.sql", 3, params);
	if (!res)
		return -1;
	json_t *sum = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
	PQclear(res);
	if (!sum)
		return chm_fail_set(&ctx->fail, CHM_EX_SOFTWARE, CHM_E_INTERNAL, NULL,
				    "the summary query returned nothing");
	if (ctx->format == CHM_OUT_JSON)
		return chm_emit_object(ctx, sum, NULL);
	int rc = print_table(ctx, sum);
	json_decref(sum);
	if (rc)
		return chm_fail_set(&ctx->fail, CHM_EX_IOERR, CHM_E_IO_ERROR, NULL,
				    "write error on standard output: %s", strerror(errno));
	return 0;
}

static const struct chm_opt opts[] = {
	{ "client", "client", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ "since", "since", CHM_OPT_VALUE },
	{ "until", "until", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};

static const struct chm_action actions[] = {
	{ NULL, "--client CLIENT [--since T (default: 24 hours before --until)] [--until T (default now)]", opts, summary },
};

int chm_cmd_summary(struct chm_ctx *ctx, int argc, char **argv)
{
	return chm_cmd_dispatch(ctx, "summary", actions, 1, argc, argv);
}
