/* chm state show FILE | chm state clear FILE --source S [--client C]
 * [--pipeline EXTERNAL_ID]: read and reset chm-fetch's bookmarks in a state
 * file without editing JSON by hand (as `meltano state` does). The file is
 * the one chm-load --state-file writes; keys other than "bookmarks" are
 * kept as they are. */
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "core/state.h"

static const char *const columns[] = { "source", "client", "external_id", "since", "id", "offset",
				       "running", "latest", "skip", NULL };

static int read_state(struct chm_ctx *ctx, const char *file, json_t **value)
{
	struct chm_err err;
	chm_err_clear(&err);
	if (chm_state_read(file, value, &err))
		return chm_fail_from_err(&ctx->fail, &err);
	if (!*value)
		return chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_NOT_FOUND, "file", "no state file %.400s", file);
	return 0;
}

/* One row a bookmark: where the next fetch of that pipeline starts. */
static json_t *bookmark_row(const char *source, const char *client, const char *ext, json_t *bm)
{
	json_t *row = json_pack("{s:s,s:s,s:s}", "source", source, "client", client, "external_id", ext);
	static const char *const keys[] = { "since", "id", "offset", "running", "latest", NULL };
	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(bm, keys[i]);
		json_object_set(row, keys[i], v ? v : json_null());
	}
	json_object_set_new(row, "skip", json_integer((json_int_t)json_array_size(json_object_get(bm, "skip"))));
	return row;
}

static int show(struct chm_ctx *ctx, const struct chm_args *a)
{
	json_t *state, *by_client, *by_ext, *bm;
	const char *source, *client, *ext;
	struct chm_out o;

	if (chm_check_done(ctx) || read_state(ctx, chm_arg(a, "file"), &state))
		return -1;
	chm_out_begin(&o, ctx->out, ctx->format, ctx->width, ctx->color, columns);
	int rc = 0;
	json_object_foreach(json_object_get(state, "bookmarks"), source, by_client)
		json_object_foreach(by_client, client, by_ext)
			json_object_foreach(by_ext, ext, bm)
				if (rc == 0)
					rc = chm_out_row(&o, bookmark_row(source, client, ext, bm));
	if (chm_out_end(&o))
		rc = -1;
	json_decref(state);
	return rc ? chm_fail_set(&ctx->fail, CHM_EX_IOERR, CHM_E_IO_ERROR, NULL, "write error on standard output") : 0;
}

/* Removes the bookmarks of one source (of one client, of one pipeline);
 * how many went. */
static long clear_matching(json_t *by_client, const char *client, const char *ext)
{
	const char *c, *e;
	json_t *by_ext, *bm;
	void *tmp, *tmp2;
	long n = 0;

	json_object_foreach_safe(by_client, tmp, c, by_ext) {
		if (client && strcmp(c, client) != 0)
			continue;
		json_object_foreach_safe(by_ext, tmp2, e, bm) {
			if (ext && strcmp(e, ext) != 0)
				continue;
			json_object_del(by_ext, e);
			n++;
		}
		if (json_object_size(by_ext) == 0)
			json_object_del(by_client, c);
	}
	return n;
}

static int clear(struct chm_ctx *ctx, const struct chm_args *a)
{
	const char *file = chm_arg(a, "file"), *source = chm_arg(a, "source");
	json_t *state;
	struct chm_err err;

	if (chm_check_done(ctx) || read_state(ctx, file, &state))
		return -1;
	json_t *bookmarks = json_object_get(state, "bookmarks");
	json_t *by_client = json_object_get(bookmarks, source);
	long n = json_is_object(by_client) ? clear_matching(by_client, chm_arg(a, "client"), chm_arg(a, "pipeline")) : 0;
	if (json_is_object(by_client) && json_object_size(by_client) == 0)
		json_object_del(bookmarks, source);
	chm_err_clear(&err);
	int rc = n ? chm_state_write(file, state, &err) : 0;
	json_decref(state);
	if (rc)
		return chm_fail_from_err(&ctx->fail, &err);
	/* chm_emit_object takes the object */
	return chm_emit_object(ctx, json_pack("{s:s,s:s,s:I}", "file", file, "source", source, "cleared", (json_int_t)n),
			       NULL);
}

static const struct chm_opt show_opts[] = {
	{ "file", "file", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ NULL, NULL, 0 },
};

static const struct chm_opt clear_opts[] = {
	{ "file", "file", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ "source", "source", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "client", "client", CHM_OPT_VALUE },
	{ "pipeline", "pipeline", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};

static const struct chm_action actions[] = {
	{ "show", "show FILE", show_opts, show },
	{ "clear", "clear FILE --source SOURCE [--client CLIENT] [--pipeline EXTERNAL_ID]", clear_opts, clear },
};

int chm_cmd_state(struct chm_ctx *ctx, int argc, char **argv)
{
	return chm_cmd_dispatch(ctx, "state", actions, 2, argc, argv);
}
