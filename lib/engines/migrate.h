/* migrate: applies the embedded sql/migrations/NNN_*.sql in order, each in
 * its own transaction, recording each in schema_migrations. A session
 * advisory lock serializes concurrent runs: a second `chm migrate` waits and
 * then finds nothing to do. */
#ifndef CHM_MIGRATE_H
#define CHM_MIGRATE_H

#include <libpq-fe.h>

#include "core/err.h"

typedef void (*chm_migrate_note)(const char *version, void *arg);

/* Returns the number of migrations applied (0 when up to date), or -1 with err.
 * note (may be NULL) is called after each migration is committed. */
int chm_migrate(PGconn *conn, chm_migrate_note note, void *arg, struct chm_err *err);
/* chm migrate --citus, after chm_migrate on a Citus coordinator: runs
 * distributed by pipeline_id, the other tables reference tables
 * (sql/citus/distribute.sql). Idempotent. note (may be NULL) gets each CHM
 * table's layout. Returns the number of steps taken (0: already laid out), or
 * -1 with err (a database without the citus extension is refused). */
typedef void (*chm_migrate_citus_note)(const char *table, const char *kind, int shards, void *arg);
int chm_migrate_citus(PGconn *conn, chm_migrate_citus_note note, void *arg, struct chm_err *err);
/* The number of embedded migrations not yet applied, or -1 with err. */
int chm_migrate_pending(PGconn *conn, struct chm_err *err);
/* Whether the database has every migration this program carries: 0 when
 * it has, else -1 with err: 78 (schema_behind) naming the first missing
 * migration and `chm migrate`, or the database's own error. A database
 * ahead of the program (a newer chm migrated it) has them all. *empty (may
 * be NULL) is set when the database has no CHM schema at all. */
int chm_migrate_check(PGconn *conn, const char *program, int *empty, struct chm_err *err);
/* chm_db_connect, then chm_migrate_check: a database behind the program is
 * refused before the program reads or writes anything. Otherwise a new
 * chm-load would stop half-way through its input on a column that is not
 * there, or a report would end on a missing function. The programs that
 * load, fetch, report and alert connect so; `chm` itself only warns (its
 * commands mend what a migration refuses). */
PGconn *chm_migrate_connect(const char *conninfo, const char *program, struct chm_err *err);

#endif
