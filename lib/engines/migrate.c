#include "engines/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/sqlfiles.h"
#include "core/strbuf.h"

/* An arbitrary constant naming CHM's migration lock ("CHM" in ASCII). */
#define MIGRATE_LOCK_KEY "4409421"

static const char create_table[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())";

/* A migration's version, its file name under sql/migrations/; NULL when
 * the embedded file is not a migration. */
static const char *version_of(const struct chm_sql_file *f)
{
	return strncmp(f->name, "migrations/", 11) == 0 ? f->name + 11 : NULL;
}

static int applied(PGconn *conn, const char *version, struct chm_err *err)
{
	const char *params[] = { version };
	PGresult *res = chm_db_query(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
				     params, err);
	if (!res)
		return -1;
	int found = PQntuples(res) > 0;
	PQclear(res);
	return found;
}

/* A migration that cannot convert the data it finds raises an SQLSTATE of
 * class CH (CHM's own) with what is in the way and, as its hint, what to
 * change: that is the user's to fix, not an internal error. */
#define REFUSED_CLASS "CH"

static void refused(PGresult *res, const char *what, struct chm_err *err)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	chm_err_set(err, CHM_EX_CONFIG, CHM_E_MIGRATION_REFUSED, "", "%s refused: %s%s%s", what,
		    msg ? msg : "", hint ? "; " : "", hint ? hint : "");
}

static int apply_one(PGconn *conn, const char *version, const char *sql, struct chm_err *err)
{
	const char *params[] = { version };
	PGresult *res;

	/* On a cluster Citus has distributed, a migration that changes a
	 * distributed table's shards and then replaces a distributed function
	 * must do both over one connection a node (Citus refuses otherwise);
	 * on one node the setting is an unused placeholder. */
	if (chm_db_exec(conn, "BEGIN; SELECT set_config('citus.multi_shard_modify_mode', "
			      "'sequential', true)",
			err))
		return -1;
	res = PQexec(conn, sql); /* a migration is a script of several statements */
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		char what[128];
		snprintf(what, sizeof(what), "migration %s", version);
		if (strncmp(chm_db_sqlstate(res), REFUSED_CLASS, 2) == 0)
			refused(res, what, err);
		else
			chm_db_error(conn, res, what, err);
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	res = chm_db_query(conn, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, params, err);
	if (!res) {
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	return chm_db_exec(conn, "COMMIT", err);
}

int chm_migrate(PGconn *conn, chm_migrate_note note, void *arg, struct chm_err *err)
{
	size_t n;
	const struct chm_sql_file *files = chm_sql_files(&n);
	int count = 0;

	if (chm_db_exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err))
		return -1;
	if (chm_db_exec(conn, "SET client_min_messages = error", err) ||
	    chm_db_exec(conn, create_table, err))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const char *version = version_of(&files[i]);
		if (!version)
			continue;
		int done = applied(conn, version, err);
		if (done < 0)
			goto fail;
		if (done)
			continue;
		if (apply_one(conn, version, files[i].text, err))
			goto fail;
		count++;
		if (note)
			note(version, arg);
	}
	PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	return count;
fail:
	PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	return -1;
}

/* The Citus layout is SQL (sql/citus/distribute.sql): a DO block that does
 * only what is missing, then a SELECT of the layout, in one transaction under
 * the migration lock, so two --citus runs at once distribute once. */
int chm_migrate_citus(PGconn *conn, chm_migrate_citus_note note, void *arg, struct chm_err *err)
{
	const char *sql = chm_sql("citus/distribute.sql");
	int changed = 0;

	if (chm_db_exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err))
		return -1;
	if (chm_db_exec(conn, "SET client_min_messages = error", err) ||
	    chm_db_exec(conn, "BEGIN", err))
		goto fail;
	PGresult *res = PQexec(conn, sql); /* a script: the result is its last statement's */
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (strncmp(chm_db_sqlstate(res), REFUSED_CLASS, 2) == 0)
			refused(res, "migrate --citus", err);
		else
			chm_db_error(conn, res, "migrate --citus", err);
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		goto fail;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		changed = atoi(PQgetvalue(res, i, 3));
		if (note)
			note(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), atoi(PQgetvalue(res, i, 2)), arg);
	}
	PQclear(res);
	if (chm_db_exec(conn, "COMMIT", err))
		goto fail;
	PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	return changed;
fail:
	PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	return -1;
}

/* The embedded migrations' versions (their file names), in order, as a
 * list the caller frees (the names are the embedded ones); *n their number. */
static const char **versions(size_t *n)
{
	size_t nfiles;
	const struct chm_sql_file *files = chm_sql_files(&nfiles);
	const char **list = chm_xmalloc((nfiles + 1) * sizeof(*list));
	*n = 0;
	for (size_t i = 0; i < nfiles; i++)
		if (version_of(&files[i]))
			list[(*n)++] = version_of(&files[i]);
	return list;
}

/* The embedded migrations the database has not applied: returns how many,
 * with the oldest of them in *first (NULL when none), or -1 with err. A
 * database without schema_migrations has applied none; *none says so. */
static int missing(PGconn *conn, const char **first, int *none, struct chm_err *err)
{
	size_t n;
	const char **list = versions(&n);
	int count = -1;

	*first = NULL;
	PGresult *res = chm_db_query(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0,
				     NULL, err);
	if (!res)
		goto done;
	*none = PQgetvalue(res, 0, 0)[0] != 't';
	PQclear(res);
	if (*none) {
		count = (int)n;
		*first = n ? list[0] : NULL;
		goto done;
	}
	/* the versions as an array literal: file names, no quote or backslash */
	struct strbuf arr = STRBUF_INIT;
	strbuf_addc(&arr, '{');
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&arr, "%s\"%s\"", i ? "," : "", list[i]);
	strbuf_addc(&arr, '}');
	const char *params[] = { arr.buf };
	res = chm_db_query_file(conn, "queries/migrations_missing.sql", 1, params, err);
	strbuf_release(&arr);
	if (!res)
		goto done;
	count = PQntuples(res);
	if (count > 0)
		*first = list[atoi(PQgetvalue(res, 0, 0)) - 1];
	PQclear(res);
done:
	free(list);
	return count;
}

int chm_migrate_pending(PGconn *conn, struct chm_err *err)
{
	const char *first;
	int none;
	return missing(conn, &first, &none, err);
}

int chm_migrate_check(PGconn *conn, const char *program, int *empty, struct chm_err *err)
{
	const char *first;
	int none = 0;
	int behind = missing(conn, &first, &none, err);
	if (empty)
		*empty = behind > 0 && none;
	if (behind <= 0)
		return behind;
	const char *db = PQdb(conn);
	if (none)
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_SCHEMA_BEHIND, "",
				   "database \"%s\" has no CHM schema: run `chm migrate` first", db);
	return chm_err_set(err, CHM_EX_CONFIG, CHM_E_SCHEMA_BEHIND, "",
			   "database \"%s\" is %d migration%s behind %s (%s%s): run `chm migrate` first", db,
			   behind, behind == 1 ? "" : "s", program, first, behind == 1 ? "" : " and later");
}

PGconn *chm_migrate_connect(const char *conninfo, const char *program, struct chm_err *err)
{
	PGconn *conn = chm_db_connect(conninfo, program, err);
	if (conn && chm_migrate_check(conn, program, NULL, err)) {
		PQfinish(conn);
		conn = NULL;
	}
	return conn;
}
