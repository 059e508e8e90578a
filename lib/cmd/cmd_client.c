/* chm client create|list|get|update|disable: clients have
 * unique names; disable keeps the client and its history, list hides it
 * unless --all. */
#include <stdlib.h>

#include "cmd/cmd.h"

static const char *const columns[] = { "id", "name", "is_active", "pipelines", "description", NULL };

/* Prints the client with id as one object. */
static int show(struct chm_ctx *ctx, int64_t id)
{
	char id_s[24];
	const char *params[] = { chm_param_id(id, id_s), "true" };
	return chm_emit_query(ctx, "queries/cli_client_select.sql", 2, params, columns);
}

static int check_fields(struct chm_ctx *ctx, const struct chm_args *a)
{
	int active;
	chm_check_text(ctx, "name", chm_arg(a, "name"), 200, 0);
	chm_check_text(ctx, "description", chm_arg(a, "description"), 2000, 1);
	chm_check_bool(ctx, "is_active", chm_arg(a, "active"), &active);
	return chm_check_done(ctx);
}

static int create(struct chm_ctx *ctx, const struct chm_args *a)
{
	if (check_fields(ctx, a))
		return -1;
	const char *desc = chm_arg(a, "description");
	const char *params[] = { chm_arg(a, "name"), desc && *desc ? desc : NULL };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_client_create.sql", 2, params);
	if (!res) {
		chm_fail_reword(ctx, CHM_E_CONFLICT, "a client named \"%.200s\" already exists",
				chm_arg(a, "name"));
		return -1;
	}
	int64_t id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return show(ctx, id);
}

static int list(struct chm_ctx *ctx, const struct chm_args *a)
{
	const char *params[] = { NULL, chm_arg(a, "all") ? "true" : "false" };
	return chm_emit_query(ctx, "queries/cli_client_select.sql", 2, params, columns);
}

static int get(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t id;
	if (chm_find_client(ctx, chm_arg(a, "client"), "client", &id))
		return -1;
	return show(ctx, id);
}

/* update and disable: null keeps a field. */
static int change(struct chm_ctx *ctx, const struct chm_args *a, const char *is_active)
{
	int64_t id;
	char id_s[24];

	if (check_fields(ctx, a) || chm_find_client(ctx, chm_arg(a, "client"), "client", &id))
		return -1;
	const char *params[] = { chm_param_id(id, id_s), chm_arg(a, "name"), chm_arg(a, "description"),
				 is_active };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_client_update.sql", 4, params);
	if (!res) {
		chm_fail_reword(ctx, CHM_E_CONFLICT, "a client named \"%.200s\" already exists",
				chm_arg(a, "name"));
		return -1;
	}
	PQclear(res);
	return show(ctx, id);
}

static int update(struct chm_ctx *ctx, const struct chm_args *a)
{
	int active = 1;
	const char *v = chm_arg(a, "active");
	if (!chm_arg(a, "name") && !chm_arg(a, "description") && !v)
		return chm_fail_set(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE, "name",
				    "nothing to update: give --name, --description or --active");
	if (v && chm_check_bool(ctx, "is_active", v, &active))
		return chm_check_done(ctx);
	return change(ctx, a, v ? (active ? "true" : "false") : NULL);
}

static int disable(struct chm_ctx *ctx, const struct chm_args *a)
{
	return change(ctx, a, "false");
}

static const struct chm_opt create_opts[] = {
	{ "name", "name", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "description", "description", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};
static const struct chm_opt list_opts[] = {
	{ "all", "all", 0 },
	{ NULL, NULL, 0 },
};
static const struct chm_opt ref_opts[] = {
	{ "client", "client", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ NULL, NULL, 0 },
};
static const struct chm_opt update_opts[] = {
	{ "client", "client", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ "name", "name", CHM_OPT_VALUE },
	{ "description", "description", CHM_OPT_VALUE },
	{ "active", "is_active", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};

static const struct chm_action actions[] = {
	{ "create", "create --name NAME [--description TEXT]", create_opts, create },
	{ "list", "list [--all]", list_opts, list },
	{ "get", "get CLIENT", ref_opts, get },
	{ "update", "update CLIENT [--name NAME] [--description TEXT] [--active true|false]",
	  update_opts, update },
	{ "disable", "disable CLIENT", ref_opts, disable },
};

int chm_cmd_client(struct chm_ctx *ctx, int argc, char **argv)
{
	return chm_cmd_dispatch(ctx, "client", actions, sizeof(actions) / sizeof(actions[0]), argc,
				argv);
}
