/* loader: loads canonical runs into PostgreSQL in batches. A batch is COPYed
 * into a temporary staging table and applied by one set-based upsert
 * (sql/queries/load_runs.sql) in one transaction: it lands whole or not at all.
 * Rows are sent sorted by key so concurrent loaders lock in the same order.
 * Several events for one run in a batch go in rounds (the n-th event of a key
 * in round n), each round one upsert, so they apply in arrival order. */
#ifndef CHM_LOADER_H
#define CHM_LOADER_H

#include <libpq-fe.h>
#include <stddef.h>

#include "err.h"
#include "reject.h"
#include "resolve.h"
#include "run.h"

enum chm_regressions { CHM_REGRESSIONS_IGNORE, CHM_REGRESSIONS_REJECT, CHM_REGRESSIONS_ACCEPT };

struct chm_loader_opts {
	int batch_size;               /* records a batch; default 5000 */
	size_t batch_bytes;           /* staged bytes a batch; default 16 MiB */
	enum chm_regressions regressions;
};

struct chm_load_counts {
	long read, inserted, updated, unchanged, ignored, rejected;
};

struct chm_loader;

/* rejects receives the stale regressions refused under --regressions reject. */
struct chm_loader *chm_loader_new(PGconn *conn, const struct chm_loader_opts *opts,
				  struct chm_rejects *rejects);
void chm_loader_free(struct chm_loader *ld);
/* Stages a validated run; flushes when the batch is full. 0 staged; -1 with
 * err: status 65 for a reject of this record (unknown pipeline), else fatal. */
int chm_loader_add(struct chm_loader *ld, const struct chm_run *run, const char *file, long line,
		   const char *input, size_t input_len, struct chm_err *err);
/* Commits what is staged. -1 with err (the batch rolled back). */
int chm_loader_flush(struct chm_loader *ld, struct chm_err *err);
/* Records staged and not yet committed. */
int chm_loader_pending(const struct chm_loader *ld);
struct chm_load_counts *chm_loader_counts(struct chm_loader *ld);
struct chm_resolver *chm_loader_resolver(struct chm_loader *ld);

#endif
