#include "core/db.h"

#include <stdlib.h>
#include <string.h>

#include "core/sqlfiles.h"
#include "core/strbuf.h"
#include "core/suggest.h"

static void strip_newline(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* How long to wait for a server that accepts and does not answer, unless
 * the conninfo or PGCONNECT_TIMEOUT says: not for ever. */
#define CONNECT_TIMEOUT_DEFAULT "10"

static const char *connect_timeout_default = CONNECT_TIMEOUT_DEFAULT;

void chm_db_set_connect_timeout(const char *seconds)
{
	connect_timeout_default = seconds;
}

/* Whether libpq's environment (PGCONNECT_TIMEOUT) already sets a timeout:
 * its defaults are what the environment says. */
static int connect_timeout_from_env(void)
{
	PQconninfoOption *defs = PQconndefaults();
	int set = 0;
	for (PQconninfoOption *o = defs; o && o->keyword; o++)
		if (strcmp(o->keyword, "connect_timeout") == 0)
			set = o->val && *o->val;
	PQconninfoFree(defs);
	return set;
}

PGconn *chm_db_connect(const char *conninfo, const char *program, struct chm_err *err)
{
	/* connect_timeout first: the conninfo expanded from dbname overrides it */
	const char *keys[4], *vals[4];
	int k = 0;
	PGconn *conn;
	char *perr = NULL;

	if (conninfo && *conninfo) {
		/* a conninfo libpq cannot read is configuration, not a server down */
		PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
		if (!opts) {
			char msg[600];
			snprintf(msg, sizeof(msg), "%s", perr ? perr : "out of memory");
			strip_newline(msg);
			PQfreemem(perr);
			return chm_err_set(err, CHM_EX_CONFIG, CHM_E_DB_CONFIG, "",
					   "cannot use the connection string: %s", msg), NULL;
		}
		PQconninfoFree(opts);
	}
	if (!connect_timeout_from_env()) {
		keys[k] = "connect_timeout";
		vals[k++] = connect_timeout_default;
	}
	if (conninfo && *conninfo) {
		keys[k] = "dbname";
		vals[k++] = conninfo;
	}
	keys[k] = "fallback_application_name";
	vals[k++] = program;
	keys[k] = NULL;
	vals[k] = NULL;
	/* expand_dbname: a conninfo string or URI in dbname is taken apart */
	conn = PQconnectdbParams(keys, vals, 1);
	if (!conn) {
		chm_err_set(err, CHM_EX_TEMPFAIL, CHM_E_DB_UNAVAILABLE, "", "cannot allocate a connection");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		char msg[900];
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
		strip_newline(msg);
		/* a bad connection string, an unknown service or refused credentials
		 * are configuration; a server that is not there (or does not answer
		 * in time) is temporary */
		int status = strstr(msg, "invalid connection option") || strstr(msg, "missing \"=\"") ||
				     strstr(msg, "invalid URI") || strstr(msg, "definition of service") ||
				     strstr(msg, "service file")
			     ? CHM_EX_CONFIG
			     : CHM_EX_TEMPFAIL;
		if (strstr(msg, "password authentication failed") || strstr(msg, "does not exist"))
			status = CHM_EX_CONFIG;
		chm_err_set(err, status, status == CHM_EX_CONFIG ? CHM_E_DB_CONFIG : CHM_E_DB_UNAVAILABLE, "",
			    "cannot connect to the database: %s", msg);
		PQfinish(conn);
		return NULL;
	}
	PQsetClientEncoding(conn, "UTF8");
	/* NOTICEs (CREATE ... IF NOT EXISTS) are not for users; times come out in UTC */
	if (chm_db_exec(conn, "SET client_min_messages = warning; SET TimeZone = 'UTC'", err)) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

int chm_db_statement_timeout(PGconn *conn, const char *value, struct chm_err *err)
{
	const char *params[] = { value && *value ? value : CHM_STATEMENT_TIMEOUT_DEFAULT };
	PGresult *res = chm_db_query(conn, "SELECT set_config('statement_timeout', $1, false)", 1, params, err);
	if (!res) {
		/* a value PostgreSQL cannot read is configuration: say which */
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_DB_CONFIG, "CHM_STATEMENT_TIMEOUT",
				   "CHM_STATEMENT_TIMEOUT \"%.100s\" is not a PostgreSQL statement_timeout (%s)",
				   params[0], why);
	}
	PQclear(res);
	return 0;
}

const char *chm_db_sqlstate(PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

const char *chm_db_constraint_field(PGresult *res)
{
	static const struct {
		const char *constraint, *field;
	} fields[] = {
		{ "clients_name_key", "name" },
		{ "clients_name_check", "name" },
		{ "clients_name_printable", "name" },
		{ "pipelines_client_name_key", "name" },
		{ "pipelines_name_check", "name" },
		{ "pipelines_name_printable", "name" },
		{ "pipelines_external_id_check", "external_id" },
		{ "pipelines_client_platform_external_id_key", "external_id" },
		{ "alert_rules_destination_check", "destination" },
		{ "alert_rules_threshold_check", "threshold" },
		{ "alert_rules_window_check", "window_minutes" },
		{ "alert_rules_parameters_check", "threshold" },
		{ "alert_rules_scope_check", "client" },
		{ "runs_pkey", "external_run_id" },
		{ "runs_external_run_id_check", "external_run_id" },
		{ "runs_duration_seconds_check", "duration_seconds" },
		{ "runs_rows_processed_check", "rows_processed" },
	};
	/* Citus relays a worker's error without the field: its message names
	 * the constraint ('violates unique constraint "..."'), in English at
	 * least; either way a shard's constraint ends in its shard id (_102169) */
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *msg = res && !cons ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *q = msg ? strstr(msg, "constraint \"") : NULL;
	size_t n = cons ? strlen(cons) : q ? strcspn(q += strlen("constraint \""), "\"") : 0;
	char name[64];
	if (n == 0 || n >= sizeof(name))
		return NULL;
	memcpy(name, cons ? cons : q, n);
	name[n] = '\0';
	char *tail = strrchr(name, '_');
	if (tail && tail[1] && strspn(tail + 1, "0123456789") == strlen(tail + 1))
		*tail = '\0';
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(name, fields[i].constraint) == 0)
			return fields[i].field;
	return NULL;
}

int chm_db_error(PGconn *conn, PGresult *res, const char *what, struct chm_err *err)
{
	char msg[900];
	const char *state = chm_db_sqlstate(res);
	const char *text = res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
							       : PQerrorMessage(conn);
	int status = CHM_EX_SOFTWARE;
	enum chm_err_kind code = CHM_E_DB_ERROR;

	snprintf(msg, sizeof(msg), "%s", text);
	strip_newline(msg);
	if (PQstatus(conn) == CONNECTION_BAD || strncmp(state, "08", 2) == 0 ||
	    strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0 || strncmp(state, "53", 2) == 0 ||
	    /* a read-only server (a standby after a failover) and a statement
	     * timeout are temporary too: safe to run again */
	    strcmp(state, "25006") == 0 || strcmp(state, "57014") == 0) {
		status = CHM_EX_TEMPFAIL;
		code = CHM_E_DB_UNAVAILABLE;
	} else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		status = CHM_EX_TEMPFAIL;
		code = CHM_E_DB_CONFLICT;
	} else if (strcmp(state, "23505") == 0) {
		status = CHM_EX_DATAERR;
		code = CHM_E_CONFLICT;
	} else if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) {
		status = CHM_EX_DATAERR;
		code = CHM_E_CONSTRAINT_VIOLATION;
	}
	const char *field = status == CHM_EX_DATAERR ? chm_db_constraint_field(res) : NULL;
	return chm_err_set(err, status, code, field ? field : "", "%s: %s", what, msg);
}

int chm_db_exec(PGconn *conn, const char *sql, struct chm_err *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		chm_db_error(conn, res, "database", err);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

PGresult *chm_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
		       struct chm_err *err)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		chm_db_error(conn, res, "database", err);
		PQclear(res);
		return NULL;
	}
	return res;
}

PGresult *chm_db_query_file(PGconn *conn, const char *name, int nparams,
			    const char *const *params, struct chm_err *err)
{
	const char *sql = chm_sql(name);
	if (!sql) {
		chm_err_set(err, CHM_EX_SOFTWARE, CHM_E_INTERNAL, "", "no embedded SQL file %s", name);
		return NULL;
	}
	return chm_db_query(conn, sql, nparams, params, err);
}

int chm_db_check_name(PGconn *conn, const char *query, const char *what, const char *field,
		      const char *given, struct chm_err *err)
{
	PGresult *res = chm_db_query_file(conn, query, 0, NULL, err);
	if (!res)
		return -1;
	int n = PQntuples(res);
	const char **names = chm_xmalloc(sizeof(*names) * (size_t)(n ? n : 1));
	int found = 0;
	for (int i = 0; i < n; i++) {
		names[i] = PQgetvalue(res, i, 0);
		found = found || strcmp(names[i], given) == 0;
	}
	const char *near = found ? NULL : chm_suggest(given, names, (size_t)n);
	if (!found)
		chm_err_set(err, CHM_EX_DATAERR, CHM_E_NOT_FOUND, field, "no %s named \"%.200s\"%s%.200s%s", what,
			    given, near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
	free(names);
	PQclear(res);
	return found ? 0 : -1;
}
