/* loader: loads canonical runs into PostgreSQL in batches. A batch is COPYed
 * into the staging table chm_stage and applied by one set-based upsert
 * (sql/queries/load_runs.sql) in one transaction: it lands whole or not at all,
 * and leaves nothing staged (chm_stage is shared by every loader and, on
 * Citus, sharded like runs: sql/migrations/025_stage_table.sql).
 * Rows are sent sorted by key so concurrent loaders lock in the same order.
 * Several events for one run in a batch go in rounds (the n-th event of a key
 * in round n), each round one upsert, so they apply in arrival order.
 *
 * The upsert and COMMIT of a batch are sent in libpq pipeline mode and their
 * results collected when the next batch is sent, so PostgreSQL applies one
 * batch while the caller parses the next. What is committed is therefore
 * told by chm_loader_durable(), not by the return of chm_loader_add(). */
#ifndef CHM_LOADER_H
#define CHM_LOADER_H

#include <libpq-fe.h>
#include <stddef.h>

#include "core/err.h"
#include "core/reject.h"
#include "core/run.h"
#include "engines/resolve.h"
#include "engines/transition.h"

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
/* Stages a validated run, its texts and payload redacted first; sends the
 * batch when it is full. 0 staged; -1 with err: status 65 for a reject of
 * this record (unknown pipeline), else fatal (a batch failed and rolled
 * back). */
int chm_loader_add(struct chm_loader *ld, const struct chm_run *run, const char *file, long line,
		   const char *input, size_t input_len, struct chm_err *err);
/* The same for a run read from a line that is already redacted (chm-load's
 * load.c redacts what jscan cannot clear), with the payload given as its
 * JSON text (an object, already checked; run->payload is then ignored):
 * sent as it is, not printed again. */
int chm_loader_add_text(struct chm_loader *ld, const struct chm_run *run, const char *payload,
			size_t payload_len, const char *file, long line, const char *input,
			size_t input_len, struct chm_err *err);
/* Sends what is staged and waits until every record added is committed. */
int chm_loader_flush(struct chm_loader *ld, struct chm_err *err);
/* Records added so far, and how many of the first of them are committed. */
long chm_loader_added(const struct chm_loader *ld);
long chm_loader_durable(const struct chm_loader *ld);
/* How many of the first records added are sent (committed or in flight). */
long chm_loader_sent(const struct chm_loader *ld);
struct chm_load_counts *chm_loader_counts(struct chm_loader *ld);
struct chm_resolver *chm_loader_resolver(struct chm_loader *ld);

#endif
