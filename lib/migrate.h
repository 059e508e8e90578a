/* migrate: applies the embedded sql/migrations/NNN_*.sql in order, each in
 * its own transaction, recording each in schema_migrations. A session
 * advisory lock serializes concurrent runs: a second `chm migrate` waits and
 * then finds nothing to do. */
#ifndef CHM_MIGRATE_H
#define CHM_MIGRATE_H

#include <libpq-fe.h>

#include "err.h"

typedef void (*chm_migrate_note)(const char *version, void *arg);

/* Returns the number of migrations applied (0 when up to date), or -1 with err.
 * note (may be NULL) is called after each migration is committed. */
int chm_migrate(PGconn *conn, chm_migrate_note note, void *arg, struct chm_err *err);
/* The number of embedded migrations not yet applied, or -1 with err. */
int chm_migrate_pending(PGconn *conn, struct chm_err *err);

#endif
