/* resolve: a run's pipeline reference (id, client + platform + external_id,
 * client + name, or client + external_id on whatever platform) to a
 * pipeline id, through a cache of the inventory loaded
 * once, so resolving is no round trip per run. A miss may be a pipeline
 * another session created since: the database is asked for that one key,
 * for the first CHM_RESOLVE_ASK_MAX misses after each load of the inventory;
 * beyond that (a stream of unknown names) the whole inventory is loaded again
 * at most every CHM_RESOLVE_RELOAD_US, and a miss in between is unknown at
 * once. A miss is remembered until the inventory changes; the cache is
 * dropped when it holds CHM_RESOLVE_MISS_MAX of them, so memory is bounded. */
#ifndef CHM_RESOLVE_H
#define CHM_RESOLVE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "core/err.h"
#include "core/hashmap.h"
#include "core/run.h"

#define CHM_RESOLVE_ASK_MAX 1000
#define CHM_RESOLVE_RELOAD_US (10 * INT64_C(1000000))
#define CHM_RESOLVE_MISS_MAX 100000

/* What the inventory says a pipeline is: a run that names it by one of
 * these and gives another that disagrees is refused. */
struct chm_resolved_pipeline {
	char *client, *platform, *external_id, *name;   /* external_id NULL: none */
};

struct chm_resolver {
	PGconn *conn;
	struct hashmap map;   /* key -> id, or -1 for "known not to exist" */
	struct hashmap known; /* id -> 1 + its index in pipes */
	struct chm_resolved_pipeline *pipes;
	size_t npipes, cap_pipes;
	int loaded;
	long asked;           /* misses asked of the database since the load */
	long misses;          /* misses remembered in map */
	int64_t loaded_at;    /* usec */
	/* Called before the resolver asks the database, when set: the loader's
	 * connection may be busy with a pipelined batch, which it collects
	 * first (a query then would fail, and with it the whole load). */
	int (*before_query)(void *arg, struct chm_err *err);
	void *before_query_arg;
};

void chm_resolver_init(struct chm_resolver *r, PGconn *conn);
void chm_resolver_release(struct chm_resolver *r);
/* *id > 0 when found; 0 and err (status 65, code unknown_pipeline) when the
 * pipeline does not exist, (ambiguous_pipeline) when a client +
 * external_id without platform names several, or (conflict, the field
 * named) when the pipeline found is not the one another of the run's
 * naming fields (pipeline_id, client, pipeline, platform, external_id)
 * says; -1 with err on a database error. */
int chm_resolve_run(struct chm_resolver *r, const struct chm_run *run, int64_t *id, struct chm_err *err);
/* After an inventory change within a stream: forget everything known, so
 * the runs after it resolve against the inventory as it stands then. */
void chm_resolver_invalidate(struct chm_resolver *r);

#endif
