/* chm rule create|list|get|update|enable|disable|delete|test:
 * a rule is scoped to a client, a pipeline or both (the pipeline is then the
 * effective scope, and must belong to that client); on_failure may omit
 * threshold and window, failures_in_window needs both > 0; no two enabled
 * rules share scope, type, channel and destination (a `conflict`). `test`
 * shows what a rule would send now (alert.h, notify.h), without sending. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/chmtime.h"
#include "core/cli.h"
#include "core/enums.h"
#include "engines/alert.h"
#include "engines/notify.h"

static const char *const columns[] = { "id", "effective_scope", "effective_scope_name", "rule_type",
				       "threshold", "window_minutes", "channel", "destination",
				       "is_enabled", NULL };

#define INT_MAX_SQL 2147483647

/* The rule as JSON (the reference is the caller's), or NULL with not_found. */
static json_t *fetch(struct chm_ctx *ctx, int64_t id)
{
	char id_s[24];
	const char *params[] = { chm_param_id(id, id_s), NULL, NULL, NULL, NULL, NULL };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_rule_select.sql", 6, params);
	json_t *rule = NULL;
	if (!res)
		return NULL;
	if (PQntuples(res))
		rule = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	else
		chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_NOT_FOUND, "rule", "no rule with id %lld",
			     (long long)id);
	PQclear(res);
	return rule;
}

static int show(struct chm_ctx *ctx, int64_t id)
{
	json_t *rule = fetch(ctx, id);
	return rule ? chm_emit_object(ctx, rule, columns) : -1;
}

static int rule_id(struct chm_ctx *ctx, const struct chm_args *a, int64_t *id)
{
	if (chm_check_int(ctx, "rule", chm_arg(a, "rule"), 1, INT64_MAX, id))
		return chm_check_done(ctx);
	return 0;
}

/* The rule's parameters as they are to be stored. */
struct params {
	const char *type, *channel, *destination;
	const char *threshold, *window;    /* NULL: none */
};

/* Checks p as a whole: what each rule type needs. */
static int check_params(struct chm_ctx *ctx, const struct params *p, int64_t *thr, int64_t *win)
{
	chm_check_enum(ctx, "rule_type", p->type, chm_rule_types);
	chm_check_enum(ctx, "channel", p->channel, chm_channels);
	chm_check_text(ctx, "destination", p->destination, 500, 0);
	chm_check_int(ctx, "threshold", p->threshold, 1, INT_MAX_SQL, thr);
	chm_check_int(ctx, "window_minutes", p->window, 1, INT_MAX_SQL, win);
	if (p->type && strcmp(p->type, "failures_in_window") == 0) {
		if (!p->threshold)
			chm_fail_issue(&ctx->fail, "threshold", "is required for failures_in_window (> 0)");
		if (!p->window)
			chm_fail_issue(&ctx->fail, "window_minutes",
				       "is required for failures_in_window (> 0)");
	}
	return chm_check_done(ctx);
}

static const char *empty_is_null(const char *s)
{
	return s && *s ? s : NULL;
}

/* The seed lets an on_failure rule hold a threshold and a window, but it
 * fires on every failed run: a person who gave one expects it to count, so
 * say that it does not (the rule is still stored as given). */
static void warn_unused(const struct params *p, const struct chm_args *a)
{
	if (!p->type || strcmp(p->type, "on_failure") != 0)
		return;
	if ((empty_is_null(chm_arg(a, "threshold")) && p->threshold) ||
	    (empty_is_null(chm_arg(a, "window-minutes")) && p->window))
		chm_warn("an on_failure rule fires on every failed run: its threshold and window_minutes "
			 "are stored but not used (use --type failures_in_window to count failures)");
}

static int create(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t cid = 0, pid = 0, thr, win;
	char cid_s[24], pid_s[24];
	const char *client = chm_arg(a, "client"), *pipeline = chm_arg(a, "pipeline");
	struct params p = { chm_arg(a, "type"), chm_arg(a, "channel"), chm_arg(a, "destination"),
			    empty_is_null(chm_arg(a, "threshold")),
			    empty_is_null(chm_arg(a, "window-minutes")) };

	if (!client && !pipeline)
		chm_fail_issue(&ctx->fail, "client", "a rule needs --client, --pipeline or both");
	if (check_params(ctx, &p, &thr, &win))
		return -1;
	warn_unused(&p, a);
	if (client && chm_find_client(ctx, client, "client", &cid))
		return -1;
	if (pipeline && chm_find_pipeline(ctx, pipeline, "pipeline", &pid))
		return -1;
	if (cid && pid) {
		/* both: the pipeline must be one of the client's */
		const char *params[] = { chm_param_id(pid, pid_s), chm_param_id(cid, cid_s), NULL, NULL,
					 NULL };
		PGresult *res = chm_ctx_query(ctx, "queries/cli_pipeline_select.sql", 5, params);
		if (!res)
			return -1;
		int mine = PQntuples(res) > 0;
		PQclear(res);
		if (!mine)
			return chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_VALIDATION_FAILED, "pipeline",
					    "pipeline \"%.200s\" does not belong to client \"%.200s\"",
					    pipeline, client);
	}
	const char *params[] = { cid ? chm_param_id(cid, cid_s) : NULL,
				 pid ? chm_param_id(pid, pid_s) : NULL,
				 p.type, p.threshold, p.window, p.channel, p.destination };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_rule_create.sql", 7, params);
	if (!res)
		return -1;
	int64_t id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return show(ctx, id);
}

static int list(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t cid = 0, pid = 0;
	int enabled = 1;
	char cid_s[24], pid_s[24];

	chm_check_enum(ctx, "rule_type", chm_arg(a, "type"), chm_rule_types);
	chm_check_enum(ctx, "channel", chm_arg(a, "channel"), chm_channels);
	chm_check_bool(ctx, "is_enabled", chm_arg(a, "enabled"), &enabled);
	if (chm_check_done(ctx))
		return -1;
	if (chm_arg(a, "client") && chm_find_client(ctx, chm_arg(a, "client"), "client", &cid))
		return -1;
	if (chm_arg(a, "pipeline") && chm_find_pipeline(ctx, chm_arg(a, "pipeline"), "pipeline", &pid))
		return -1;
	const char *params[] = { NULL, cid ? chm_param_id(cid, cid_s) : NULL,
				 pid ? chm_param_id(pid, pid_s) : NULL, chm_arg(a, "type"),
				 chm_arg(a, "channel"),
				 chm_arg(a, "enabled") ? (enabled ? "true" : "false") : NULL };
	return chm_emit_query(ctx, "queries/cli_rule_select.sql", 6, params, columns);
}

static int get(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t id;
	return rule_id(ctx, a, &id) ? -1 : show(ctx, id);
}

static const char *json_text(json_t *rule, const char *key, char *buf)
{
	json_t *v = json_object_get(rule, key);
	if (json_is_integer(v))
		return chm_param_id(json_integer_value(v), buf);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* update, enable and disable: the stored rule with the changes given,
 * checked as a whole. enabled: "true", "false" or NULL (keep). */
static int change(struct chm_ctx *ctx, const struct chm_args *a, const char *enabled)
{
	int64_t id, thr, win;
	char id_s[24], thr_s[24], win_s[24];
	const char *v;

	if (rule_id(ctx, a, &id))
		return -1;
	json_t *rule = fetch(ctx, id);
	if (!rule)
		return -1;
	struct params p = { json_text(rule, "rule_type", NULL), json_text(rule, "channel", NULL),
			    json_text(rule, "destination", NULL), json_text(rule, "threshold", thr_s),
			    json_text(rule, "window_minutes", win_s) };
	if ((v = chm_arg(a, "type")))
		p.type = v;
	if ((v = chm_arg(a, "channel")))
		p.channel = v;
	if ((v = chm_arg(a, "destination")))
		p.destination = v;
	if ((v = chm_arg(a, "threshold")))
		p.threshold = empty_is_null(v);
	if ((v = chm_arg(a, "window-minutes")))
		p.window = empty_is_null(v);
	if (!enabled)
		enabled = json_is_true(json_object_get(rule, "is_enabled")) ? "true" : "false";
	int rc = -1;
	if (check_params(ctx, &p, &thr, &win) == 0) {
		warn_unused(&p, a);
		const char *params[] = { chm_param_id(id, id_s), p.type, p.threshold, p.window,
					 p.channel, p.destination, enabled };
		PGresult *res = chm_ctx_query(ctx, "queries/cli_rule_update.sql", 7, params);
		if (res) {
			PQclear(res);
			rc = 0;
		}
	}
	json_decref(rule);
	return rc ? -1 : show(ctx, id);
}

static int update(struct chm_ctx *ctx, const struct chm_args *a)
{
	static const char *const fields[] = { "type", "threshold", "window-minutes", "channel",
					      "destination", NULL };
	int any = 0;
	for (const char *const *f = fields; *f; f++)
		any |= chm_arg(a, *f) != NULL;
	if (!any)
		return chm_fail_set(&ctx->fail, CHM_EX_USAGE, CHM_E_USAGE, "rule_type",
				    "nothing to update: give --type, --threshold, --window-minutes, "
				    "--channel or --destination");
	return change(ctx, a, NULL);
}

static int enable(struct chm_ctx *ctx, const struct chm_args *a)
{
	return change(ctx, a, "true");
}

static int disable(struct chm_ctx *ctx, const struct chm_args *a)
{
	return change(ctx, a, "false");
}

static int delete(struct chm_ctx *ctx, const struct chm_args *a)
{
	int64_t id;
	char id_s[24];

	if (rule_id(ctx, a, &id))
		return -1;
	const char *params[] = { chm_param_id(id, id_s) };
	PGresult *res = chm_ctx_query(ctx, "queries/cli_rule_delete.sql", 1, params);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	PQclear(res);
	if (!found)
		return chm_fail_set(&ctx->fail, CHM_EX_DATAERR, CHM_E_NOT_FOUND, "rule",
				    "no rule with id %lld", (long long)id);
	static const char *const cols[] = { "id", "deleted", NULL };
	return chm_emit_object(ctx, json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1), cols);
}

/* Every incident the rule would open now, counting its whole history, with
 * the subject and text a person would receive; nothing is sent or stored. */
static int test(struct chm_ctx *ctx, const struct chm_args *a)
{
	static const char *const cols[] = { "rule_id", "state", "client", "pipeline", "failures",
					    "subject", NULL };
	struct chm_alert_opts o = { 0 };
	struct chm_err err;
	int64_t clock = chm_time_now();

	o.now = clock;
	o.whole_history = 1;
	if (rule_id(ctx, a, &o.rule_id))
		return -1;
	if (chm_arg(a, "now") && chm_check_time(ctx, "now", chm_arg(a, "now"), clock, &o.now))
		return chm_check_usage(ctx);
	json_t *rule = fetch(ctx, o.rule_id);
	if (!rule)
		return -1;
	json_decref(rule);
	PGconn *conn = chm_ctx_conn(ctx);
	if (!conn)
		return -1;
	json_t *alerts = json_array(), *state = NULL;
	if (chm_alert_evaluate(conn, &o, NULL, alerts, &state, &err)) {
		json_decref(alerts);
		return chm_fail_set(&ctx->fail, err.status, err.kind, err.field, "%s", err.msg);
	}
	json_decref(state);
	size_t i;
	json_t *al;
	int rc = 0;
	json_array_foreach(alerts, i, al) {
		struct strbuf subject = STRBUF_INIT, text = STRBUF_INIT;
		chm_notify_subject(al, &subject);
		chm_notify_text(al, &text);
		json_object_set_new(al, "subject", json_string(subject.buf));
		json_object_set_new(al, "text", json_string(text.buf));
		strbuf_release(&subject);
		strbuf_release(&text);
		if ((rc = chm_emit_object(ctx, json_incref(al), cols)))
			break;
	}
	if (!rc && json_array_size(alerts) == 0)
		fprintf(ctx->diag, "rule %lld would send nothing as of now\n", (long long)o.rule_id);
	json_decref(alerts);
	return rc;
}

static const struct chm_opt create_opts[] = {
	{ "client", "client", CHM_OPT_VALUE },
	{ "pipeline", "pipeline", CHM_OPT_VALUE },
	{ "type", "rule_type", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "threshold", "threshold", CHM_OPT_VALUE },
	{ "window-minutes", "window_minutes", CHM_OPT_VALUE },
	{ "channel", "channel", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ "destination", "destination", CHM_OPT_VALUE | CHM_OPT_REQUIRED },
	{ NULL, NULL, 0 },
};
static const struct chm_opt list_opts[] = {
	{ "client", "client", CHM_OPT_VALUE },
	{ "pipeline", "pipeline", CHM_OPT_VALUE },
	{ "type", "rule_type", CHM_OPT_VALUE },
	{ "channel", "channel", CHM_OPT_VALUE },
	{ "enabled", "is_enabled", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};
static const struct chm_opt ref_opts[] = {
	{ "rule", "rule", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ NULL, NULL, 0 },
};
static const struct chm_opt test_opts[] = {
	{ "rule", "rule", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ "now", "now", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};
static const struct chm_opt update_opts[] = {
	{ "rule", "rule", CHM_OPT_VALUE | CHM_OPT_REQUIRED | CHM_OPT_POSITIONAL },
	{ "type", "rule_type", CHM_OPT_VALUE },
	{ "threshold", "threshold", CHM_OPT_VALUE },
	{ "window-minutes", "window_minutes", CHM_OPT_VALUE },
	{ "channel", "channel", CHM_OPT_VALUE },
	{ "destination", "destination", CHM_OPT_VALUE },
	{ NULL, NULL, 0 },
};

static const struct chm_action actions[] = {
	{ "create",
	  "create [--client CLIENT] [--pipeline PIPELINE] --type on_failure|failures_in_window\n"
	  "         [--threshold N] [--window-minutes M] --channel slack|email|webhook --destination D",
	  create_opts, create },
	{ "list",
	  "list [--client CLIENT] [--pipeline PIPELINE] [--type T] [--channel C] [--enabled true|false]",
	  list_opts, list },
	{ "get", "get RULE_ID", ref_opts, get },
	{ "update",
	  "update RULE_ID [--type T] [--threshold N] [--window-minutes M] [--channel C] [--destination D]",
	  update_opts, update },
	{ "enable", "enable RULE_ID", ref_opts, enable },
	{ "disable", "disable RULE_ID", ref_opts, disable },
	{ "delete", "delete RULE_ID", ref_opts, delete },
	{ "test", "test RULE_ID [--now T]", test_opts, test },
};

int chm_cmd_rule(struct chm_ctx *ctx, int argc, char **argv)
{
	return chm_cmd_dispatch(ctx, "rule", actions, sizeof(actions) / sizeof(actions[0]), argc, argv);
}
