/* chm pipeline create|list|get|update|disable: a pipeline belongs
 * to exactly one client; its name is unique within the client, and its
 * external_id unique per client and platform. Disable keeps its runs. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/enums.h"

/* A conflict named by the values given, not only the constraint. */
static void reword_conflict(struct chm_ctx *ctx, const struct chm_args *a)
{
	if (strcmp(ctx->fail.err.field, "external_id") == 0)
		chm_fail_reword(ctx, CHM_E_CONFLICT,
				"another pipeline of the client on the same platform has external_id "
				"\"%.200s\"",
				chm_arg(a, "external-id"));
	else if (chm_arg(a, "name"))
		chm_fail_reword(ctx, CHM_E_CONFLICT, "the client already has a pipeline named \"%.200s\"",
				chm_arg(a, "name"));
}

static const char *const columns[] = { "id", "client", "name", "platform", "pipeline_type",
				       "environment", "external_id", "is_active", NULL };

static int show(struct chm_ctx *ctx, int64_t id)
{
	char id_s[24];
	const char *params[] = { chm_param_id(id, id_s), NULL, NULL, NULL, NULL };
	return chm_emit_query(ctx, "queries/cli_pipeline_select.sql", 5, params, columns);
}

/* Every value an option may carry, checked at once. */
static int check_fields(struct chm_ctx *ctx, const struct chm_args *a, int *active)
{
	chm_check_text(ctx, "name", chm_arg(a, "name"), 200, 0);
	chm_check_enum(ctx, "platform", chm_arg(a, "platform"), chm_platforms);
	chm_check_enum(ctx, "pipeline_type", chm_arg(a, "type"), chm_pipeline_types);
	chm_check_enum(ctx, "environment", chm_arg(a, "environment"), chm_environments);
	chm_check_text(ctx, "external_id", chm_arg(a, "external-id"), 500, 1);
	chm_check_text(ctx, "description", chm_arg(a, "description"), 2000, 1);
	chm_check_bool(ctx, "is_active", chm_arg(a, "active"), active);
	return chm_check_done(ctx);
}

static int create(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t cid;
	int active = 1;
	char cid_s[24];

	if (check_fields(ctx, a, &active) || chm_find_client(ctx, chm_arg(a, "client"), "client", &cid))
		return -1;
	const char *params[] = { chm_param_id(cid, cid_s), chm_arg(a, "name"), chm_arg(a, "platform"),
				 chm_arg(a, "type"), chm_arg(a, "environment"),
				 chm_arg(a, "external-id"), chm_arg(a, "description") };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_pipeline_create.sql", 7, params);
	if (!res) {
		reword_conflict(ctx, a);
		return -1;
	}
	int64_t id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return show(ctx, id);
}

static int list(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t cid = 0;
	int active = 1;
	char cid_s[24];
	const char *act = chm_arg(a, "active");

	if (act && chm_arg(a, "all"))
		chm_fail_issue(&ctx->fail, "is_active", "--active and --all exclude each other");
	if (check_fields(ctx, a, &active))
		return -1;
	if (chm_arg(a, "client") && chm_find_client(ctx, chm_arg(a, "client"), "client", &cid))
		return -1;
	const char *params[] = { NULL, cid ? chm_param_id(cid, cid_s) : NULL, chm_arg(a, "platform"),
				 chm_arg(a, "environment"),
				 chm_arg(a, "all") ? NULL : active ? "true" : "false" };
	return chm_emit_query(ctx, "queries/cli_pipeline_select.sql", 5, params, columns);
}

static int get(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t id;
	if (chm_find_pipeline(ctx, chm_arg(a, "pipeline"), "pipeline", &id))
		return -1;
	return show(ctx, id);
}

static int change(struct chm_ctx *ctx, const struct chm_args *a, const char *is_active)
{
	int64_t id;
	int active = 1;
	char id_s[24];

	if (check_fields(ctx, a, &active) ||
	    chm_find_pipeline(ctx, chm_arg(a, "pipeline"), "pipeline", &id))
		return -1;
	const char *params[] = { chm_param_id(id, id_s), chm_arg(a, "name"), chm_arg(a, "platform"),
				 chm_arg(a, "type"), chm_arg(a, "environment"),
				 chm_arg(a, "external-id"), chm_arg(a, "description"), is_active };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_pipeline_update.sql", 8, params);
	if (!res) {
		reword_conflict(ctx, a);
		return -1;
	}
	PQclear(res);
	return show(ctx, id);
}

static int update(struct chm_ctx *ctx, const struct chm_args *a)
{
	static const char *const fields[] = { "name", "platform", "type", "environment",
					      "external-id", "description", "active", NULL };
	int any = 0, active = 1;
	for (const char *const *f = fields; *f; f++)
		any |= chm_arg(a, *f) != NULL;
	if (!any)
		return chm_fail_set(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE, "name",
				    "nothing to update: give --name, --platform, --type, --environment, "
				    "--external-id, --description or --active");
	const char *v = chm_arg(a, "active");
	if (v && chm_check_bool(ctx, "is_active", v, &active))
		return chm_check_done(ctx);
	return change(ctx, a, v ? (active ? "true" : "false") : NULL);
}

static int disable(struct chm_ctx *ctx, const struct chm_args *a)
{
	return change(ctx, a, "false");
}

static const struct chm_opt create_opts[] = {
	{ "client", "client", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "name", "name", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "platform", "platform", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "type", "pipeline_type", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "environment", "environment", CHM_OPT_VALUE },
	{ "external-id", "external_id", CHM_OPT_VALUE },
	{ "description", "description", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};
static const struct chm_opt list_opts[] = {
	{ "client", "client", CHM_OPT_VALUE },
	{ "platform", "platform", CHM_OPT_VALUE },
	{ "environment", "environment", CHM_OPT_VALUE },
	{ "active", "is_active", CHM_OPT_VALUE },
	{ "all", "all", 0 },
	{ NULL, NULL, 0 },
};
static const struct chm_opt ref_opts[] = {
	{ "pipeline", "pipeline", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ NULL, NULL, 0 },
};
static const struct chm_opt update_opts[] = {
	{ "pipeline", "pipeline", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ "name", "name", CHM_OPT_VALUE },
	{ "platform", "platform", CHM_OPT_VALUE },
	{ "type", "pipeline_type", CHM_OPT_VALUE },
	{ "environment", "environment", CHM_OPT_VALUE },
	{ "external-id", "external_id", CHM_OPT_VALUE },
	{ "description", "description", CHM_OPT_VALUE },
	{ "active", "is_active", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};

static const struct chm_action actions[] = {
	{ "create",
	  "create --client CLIENT --name NAME --platform PLATFORM --type TYPE\n"
	  "         [--environment dev|staging|prod] [--external-id ID] [--description TEXT]",
	  create_opts, create },
	{ "list",
	  "list [--client CLIENT] [--platform PLATFORM] [--environment ENV] [--active true|false | --all]",
	  list_opts, list },
	{ "get", "get PIPELINE", ref_opts, get },
	{ "update",
	  "update PIPELINE [--name NAME] [--platform P] [--type T] [--environment E]\n"
	  "         [--external-id ID] [--description TEXT] [--active true|false]",
	  update_opts, update },
	{ "disable", "disable PIPELINE", ref_opts, disable },
};

int chm_cmd_pipeline(struct chm_ctx *ctx, int argc, char **argv)
{
	return chm_cmd_dispatch(ctx, "pipeline", actions, sizeof(actions) / sizeof(actions[0]), argc,
				argv);
}
