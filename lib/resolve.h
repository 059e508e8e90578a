/* resolve: a run's pipeline reference (id, client + platform + external_id,
 * client + name, or client + external_id on whatever platform) to a
 * pipeline id, through a cache of the inventory loaded
 * once, so resolving is no round trip per run. A miss asks the database for
 * that one key (a pipeline created since), and remembers a pipeline that does
 * not exist until the inventory changes. */
#ifndef CHM_RESOLVE_H
#define CHM_RESOLVE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "err.h"
#include "hashmap.h"
#include "run.h"

struct chm_resolver {
	PGconn *conn;
	struct hashmap map;   /* key -> id, or -1 for "known not to exist" */
	int loaded;
};

void chm_resolver_init(struct chm_resolver *r, PGconn *conn);
void chm_resolver_release(struct chm_resolver *r);
/* *id > 0 when found; 0 and err (status 65, code unknown_pipeline) when the
 * pipeline does not exist, or (ambiguous_pipeline) when a client +
 * external_id without platform names several; -1 with err on a database
 * error. */
int chm_resolve_run(struct chm_resolver *r, const struct chm_run *run, int64_t *id, struct chm_err *err);
/* After an inventory change within a stream: forget everything known, so
 * the runs after it resolve against the inventory as it stands then. */
void chm_resolver_invalidate(struct chm_resolver *r);

#endif
