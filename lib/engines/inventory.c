#include "engines/inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/enums.h"
#include "core/record.h"
#include "core/strbuf.h"

int chm_inventory_is_type(const char *type)
{
	return strcmp(type, "client") == 0 || strcmp(type, "pipeline") == 0 ||
	       strcmp(type, "alert_rule") == 0;
}

static const char *bool_param(int rc, int v)
{
	return rc == 0 ? (v ? "true" : "false") : NULL;
}

static int required(const char *v, const char *field, struct chm_err *err)
{
	if (v && *v)
		return 0;
	return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, field, "%s is required", field);
}

/* A name is shown on terminals and in reports: no control characters
 * (013_printable_names.sql checks it too). */
static int printable(const char *v, const char *field, struct chm_err *err)
{
	for (const unsigned char *p = (const unsigned char *)v; p && *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_VALUE, field,
					   "%s must not contain control characters (byte 0x%02x)", field, *p);
	return 0;
}

/* A text the schema bounds (001_schema.sql), checked before PostgreSQL
 * sees it: a required one must not be blank (spaces, tabs and line breaks
 * only), an optional one must not be empty (leave it out for none); at most
 * max characters, counted as length(btrim(...)) counts them when trim. */
static int bounded(const char *v, const char *field, size_t max, int needed, int trim,
		   struct chm_err *err)
{
	if (!v)
		return 0;
	const char *start = v, *end = v + strlen(v);
	int blank = 1;
	for (const char *p = v; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			blank = 0;
	if (needed && blank)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, field,
				   "%s is required and must not be blank", field);
	if (!*v)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_VALUE, field,
				   "%s must not be empty: leave it out, or null, for none", field);
	while (trim && *start == ' ')
		start++;
	while (trim && end > start && end[-1] == ' ')
		end--;
	size_t chars = 0;
	for (const char *p = start; p < end; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	if (chars > max)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_TOO_LONG, field,
				   "%s is longer than %zu characters (%zu)", field, max, chars);
	return 0;
}

/* Runs an upsert; a unique or check violation is a reject of this record,
 * naming the field its constraint guards (chm_db_error). */
static PGresult *run(PGconn *conn, const char *file, int n, const char *const *params,
		     struct chm_err *err)
{
	PGresult *res = chm_db_query_file(conn, file, n, params, err);
	if (!res && err->status == CHM_EX_DATAERR && err->kind == CHM_E_CONFLICT) {
		char msg[sizeof(err->msg)], field[sizeof(err->field)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		snprintf(field, sizeof(field), "%s", err->field);
		chm_err_set(err, CHM_EX_DATAERR, CHM_E_CONFLICT, field,
			    "conflicts with an existing row: %.900s", msg);
	}
	return res;
}

/* run() in a transaction that first takes an advisory lock on the record's
 * natural key (key_parts, NULL as "~", length-prefixed): concurrent loads of
 * one inventory then see each other's rows instead of racing on a unique
 * index or inserting a rule twice. */
static PGresult *run_locked(PGconn *conn, const char *const *key_parts, size_t nparts,
			    const char *file, int n, const char *const *params, struct chm_err *err)
{
	struct strbuf key = STRBUF_INIT;
	for (size_t i = 0; i < nparts; i++)
		strbuf_addf(&key, "%zu:%s", key_parts[i] ? strlen(key_parts[i]) : (size_t)0,
			    key_parts[i] ? key_parts[i] : "~");
	strbuf_addf(&key, "@%s", file);
	const char *lock_params[] = { key.buf };
	PGresult *lock = NULL, *res = NULL;
	if (chm_db_exec(conn, "BEGIN", err) == 0 &&
	    (lock = chm_db_query_file(conn, "queries/inventory_lock.sql", 1, lock_params, err)))
		res = run(conn, file, n, params, err);
	PQclear(lock);
	strbuf_release(&key);
	if (!res) {
		struct chm_err ignored;
		chm_db_exec(conn, "ROLLBACK", &ignored);
		return NULL;
	}
	if (chm_db_exec(conn, "COMMIT", err)) {
		PQclear(res);
		return NULL;
	}
	return res;
}

static int apply_client(PGconn *conn, json_t *rec, struct chm_err *err)
{
	const char *name = NULL, *desc = NULL;
	int active = 1, rc_active;

	if (chm_get_string(rec, "name", &name, err) < 0 || required(name, "name", err) ||
	    bounded(name, "name", 200, 1, 1, err) || printable(name, "name", err) ||
	    chm_get_string(rec, "description", &desc, err) < 0 ||
	    (rc_active = chm_get_bool(rec, "is_active", &active, err)) < 0)
		return -1;
	const char *params[] = { name, desc, bool_param(rc_active, active) };
	PGresult *res = run(conn, "queries/upsert_client.sql", 3, params, err);
	if (!res)
		return -1;
	int result = PQntuples(res) == 0 ? CHM_UPSERT_UNCHANGED
		     : PQgetvalue(res, 0, 1)[0] == 't' ? CHM_UPSERT_INSERTED
						       : CHM_UPSERT_UPDATED;
	PQclear(res);
	return result;
}

static int apply_pipeline(PGconn *conn, json_t *rec, struct chm_err *err)
{
	const char *client = NULL, *name = NULL, *platform = NULL, *type = NULL, *env = NULL,
		   *ext = NULL, *desc = NULL;
	int active = 1, rc_active;

	if (chm_get_string(rec, "client", &client, err) < 0 || required(client, "client", err) ||
	    bounded(client, "client", 200, 1, 1, err) ||
	    chm_get_string(rec, "name", &name, err) < 0 || required(name, "name", err) ||
	    bounded(name, "name", 200, 1, 1, err) || printable(name, "name", err) ||
	    chm_get_enum(rec, "platform", chm_platforms, &platform, err) < 0 ||
	    required(platform, "platform", err) ||
	    chm_get_enum(rec, "pipeline_type", chm_pipeline_types, &type, err) < 0 ||
	    required(type, "pipeline_type", err) ||
	    chm_get_enum(rec, "environment", chm_environments, &env, err) < 0 ||
	    chm_get_string(rec, "external_id", &ext, err) < 0 || bounded(ext, "external_id", 500, 0, 0, err) ||
	    chm_get_string(rec, "description", &desc, err) < 0 ||
	    (rc_active = chm_get_bool(rec, "is_active", &active, err)) < 0)
		return -1;
	const char *params[] = { client, name, platform, type, env, ext, desc,
				 bool_param(rc_active, active) };
	PGresult *res = run_locked(conn, params, 2, "queries/upsert_pipeline.sql", 8, params, err);
	if (!res)
		return -1;
	int result;
	if (PQgetisnull(res, 0, 0))
		result = chm_err_set(err, CHM_EX_DATAERR, CHM_E_UNKNOWN_CLIENT, "client",
				     "no client named \"%.200s\"", client);
	else if (PQgetisnull(res, 0, 1))
		result = CHM_UPSERT_UNCHANGED;
	else
		result = PQgetvalue(res, 0, 2)[0] == 't' ? CHM_UPSERT_INSERTED : CHM_UPSERT_UPDATED;
	PQclear(res);
	return result;
}

static int apply_alert_rule(PGconn *conn, json_t *rec, struct chm_err *err)
{
	const char *client = NULL, *pipeline = NULL, *type = NULL, *channel = NULL, *dest = NULL;
	int64_t threshold = 0, window = 0;
	int rc_thr, rc_win, enabled = 1, rc_en;
	char thr_s[24], win_s[24];
	char *pclient = NULL, *pname = NULL;
	int result = -1;

	if (chm_get_string(rec, "client", &client, err) < 0 ||
	    chm_get_string(rec, "pipeline", &pipeline, err) < 0 ||
	    chm_get_enum(rec, "rule_type", chm_rule_types, &type, err) < 0 ||
	    required(type, "rule_type", err) ||
	    chm_get_enum(rec, "channel", chm_channels, &channel, err) < 0 ||
	    required(channel, "channel", err) ||
	    chm_get_string(rec, "destination", &dest, err) < 0 || required(dest, "destination", err) ||
	    bounded(dest, "destination", 500, 1, 1, err) ||
	    (rc_thr = chm_get_int(rec, "threshold", 1, &threshold, err)) < 0 ||
	    (rc_win = chm_get_int(rec, "window_minutes", 1, &window, err)) < 0 ||
	    (rc_en = chm_get_bool(rec, "is_enabled", &enabled, err)) < 0)
		return -1;
	if (!client && !pipeline)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD, "client",
				   "an alert rule needs a client, a pipeline or both");
	if (strcmp(type, "failures_in_window") == 0 && (rc_thr || rc_win))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_MISSING_FIELD,
				   rc_thr ? "threshold" : "window_minutes",
				   "failures_in_window needs threshold and window_minutes, both > 0");
	if (threshold > 2147483647 || window > 2147483647)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_OUT_OF_RANGE,
				   threshold > 2147483647 ? "threshold" : "window_minutes",
				   "value too large");
	if (pipeline) {
		if (strchr(pipeline, '/')) {
			pname = chm_xstrdup(pipeline); /* "client/name": split where a pipeline is */
		} else if (client) {
			pclient = chm_xstrdup(client);
			pname = chm_xstrdup(pipeline);
		} else {
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_VALUE, "pipeline",
					   "pipeline must be \"client/name\" when no client is given");
		}
	}
	snprintf(thr_s, sizeof(thr_s), "%lld", (long long)threshold);
	snprintf(win_s, sizeof(win_s), "%lld", (long long)window);
	const char *params[] = { client, pclient, pname, type, channel, dest,
				 rc_thr ? NULL : thr_s, rc_win ? NULL : win_s, bool_param(rc_en, enabled) };
	PGresult *res = run_locked(conn, params, 6, "queries/upsert_alert_rule.sql", 9, params, err);
	if (!res)
		goto out;
	if (client && PQgetisnull(res, 0, 0))
		chm_err_set(err, CHM_EX_DATAERR, CHM_E_UNKNOWN_CLIENT, "client", "no client named \"%.200s\"",
			    client);
	else if (pipeline && atol(PQgetvalue(res, 0, 4)) > 1)
		chm_err_set(err, CHM_EX_DATAERR, CHM_E_AMBIGUOUS_PIPELINE, "pipeline",
			    "\"%.200s\" names %s pipelines: a client's or a pipeline's name holds a \"/\"; "
			    "give \"client\" and \"pipeline\" apart", pipeline, PQgetvalue(res, 0, 4));
	else if (pipeline && PQgetisnull(res, 0, 1))
		chm_err_set(err, CHM_EX_DATAERR, CHM_E_UNKNOWN_PIPELINE, "pipeline",
			    "no pipeline \"%.200s\"", pipeline);
	else
		result = !PQgetisnull(res, 0, 2) ? CHM_UPSERT_INSERTED
			 : !PQgetisnull(res, 0, 3) ? CHM_UPSERT_UPDATED
						   : CHM_UPSERT_UNCHANGED;
	PQclear(res);
out:
	free(pclient);
	free(pname);
	return result;
}

int chm_inventory_apply(PGconn *conn, const char *type, json_t *rec, struct chm_err *err)
{
	if (strcmp(type, "client") == 0)
		return apply_client(conn, rec, err);
	if (strcmp(type, "pipeline") == 0)
		return apply_pipeline(conn, rec, err);
	if (strcmp(type, "alert_rule") == 0)
		return apply_alert_rule(conn, rec, err);
	return chm_err_set(err, CHM_EX_SOFTWARE, CHM_E_INTERNAL, "type", "not an inventory type: %s", type);
}
