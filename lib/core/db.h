/* db: connecting to PostgreSQL by libpq's own rules and turning its failures
 * into chm_err with the right exit status: a server that is down or went
 * away, or a serialization failure or deadlock, is 75 (safe to run again). */
#ifndef CHM_DB_H
#define CHM_DB_H

#include <libpq-fe.h>

#include "core/err.h"

/* conninfo: a libpq connection string or URI; NULL uses $CHM_DATABASE_URL,
 * else libpq's defaults (PG* variables, service file). */
PGconn *chm_db_connect(const char *conninfo, const char *program, struct chm_err *err);
/* The connect timeout, in seconds, when neither the conninfo nor
 * PGCONNECT_TIMEOUT gives one (default 10). chm-exec's is shorter, and is
 * not put in the environment its job inherits. seconds must outlive the
 * connections. */
void chm_db_set_connect_timeout(const char *seconds);
/* Bounds every later statement of conn: value is PostgreSQL's
 * statement_timeout ("300s", "5min", "0" for none); NULL gives the default,
 * CHM_STATEMENT_TIMEOUT_DEFAULT. A statement that runs longer fails with 75. */
#define CHM_STATEMENT_TIMEOUT_DEFAULT "300s"
int chm_db_statement_timeout(PGconn *conn, const char *value, struct chm_err *err);
/* Fills err from a failed result (res may be NULL) and returns -1. */
int chm_db_error(PGconn *conn, PGresult *res, const char *what, struct chm_err *err);
/* Runs a statement without parameters that returns no rows. */
int chm_db_exec(PGconn *conn, const char *sql, struct chm_err *err);
/* Runs with text parameters; returns the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK) for the caller to PQclear, or NULL with err. */
PGresult *chm_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
		       struct chm_err *err);
/* The same, with the SQL taken from an embedded sql/ file by name. */
PGresult *chm_db_query_file(PGconn *conn, const char *name, int nparams,
			    const char *const *params, struct chm_err *err);
/* The SQLSTATE of a failed result, or "" */
const char *chm_db_sqlstate(PGresult *res);
/* The record field a constraint of the schema guards, for a failed result
 * that names one ("name" for clients_name_check, "destination" for
 * alert_rules_destination_check), or NULL; chm_db_error puts it in err. */
const char *chm_db_constraint_field(PGresult *res);

/* 0 when given is one of the names the query (no parameters) returns;
 * else -1 with err (65, field): no WHAT named "given", and the nearest name
 * when it looks like a typo ("did you mean ...?"). */
int chm_db_check_name(PGconn *conn, const char *query, const char *what, const char *field,
		      const char *given, struct chm_err *err);

#endif
