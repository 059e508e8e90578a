/* load: the chm-load engine. It reads NDJSON lines, sends canonical runs to
 * the loader (loader.c: batches, COPY, the staged upsert), applies
 * inventory records (inventory.c) between batches, and owns the state-file
 * bookkeeping: a state record is written to --state-file only once every run
 * before it is committed, so a restart never skips a run. It redacts
 * whatever the line's writer did not (redact.c). */
#ifndef CHM_LOAD_H
#define CHM_LOAD_H

#include <libpq-fe.h>
#include <stdio.h>

#include "core/err.h"
#include "core/progress.h"
#include "core/reject.h"
#include "core/strbuf.h"
#include "engines/loader.h"

struct chm_load_opts {
	struct chm_loader_opts loader;
	const char *state_file;      /* --state-file, or NULL */
	volatile int *interrupted;   /* set by a signal: stop reading, commit what was read */
	struct chm_progress *progress;  /* lines read, for a person; NULL: none */
};

struct chm_load;

struct chm_load *chm_load_new(PGconn *conn, const struct chm_load_opts *opts,
			      struct chm_rejects *rj);
/* Loads one input ("-" is stdin). -1 with err only for what stops the load
 * (a database or I/O failure); a bad line is a reject. */
int chm_load_file(struct chm_load *l, const char *path, struct chm_err *err);
/* Commits what is staged and writes the state that says so. */
int chm_load_finish(struct chm_load *l, struct chm_err *err);
/* The summary record (chm-records(5)) on fp. */
void chm_load_print_summary(struct chm_load *l, FILE *fp);
/* The summary for a person: "loaded 994,489 records: 992,967 new, 1,522
 * updated, 0 rejected" (unchanged and ignored when there are any). */
void chm_load_describe(struct chm_load *l, struct strbuf *sb);
long chm_load_rejected(struct chm_load *l);
void chm_load_free(struct chm_load *l);

#endif
