/* normalize: partner run events -> canonical `run` records (chm-records(5)), the
 * engine of chm-normalize. It reads NDJSON (raw envelopes, wire records
 * passed through, or bare partner records when a default source is given)
 * and whole documents (a saved API page, one pretty-printed object, an
 * array), dispatches each record to its source module (source.h), applies
 * the rules every source shares, and writes one NDJSON line per run to out.
 * Records it cannot use become reject records; the stream goes on. */
#ifndef CHM_NORMALIZE_H
#define CHM_NORMALIZE_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"
#include "core/progress.h"
#include "core/reject.h"

#define CHM_DOC_MAX_DEFAULT (256u << 20)

struct chm_norm_opts {
	const char *source;          /* --source: how bare partner records are read */
	const char *client;          /* --client */
	const char *pipeline;        /* --pipeline: the pipeline's name */
	const char *external_id;     /* --external-id: the partner's id of the pipeline */
	int include_children;        /* --include-children (OpenLineage) */
	const char *children_file;   /* --children-file: child runs remembered across runs */
	const char *const *mappings; /* --mapping FILE, vendor mapping files */
	size_t nmappings;
	const char *vendor_dir;      /* CHM_VENDOR_DIR: mappings an envelope may name */
	size_t doc_max;              /* the largest whole document read, bytes */
	int no_fast_path;            /* every record through jansson (tests compare both) */
	struct chm_progress *progress;  /* values read, for a person; NULL: none */
};

struct chm_norm_counts {
	long read;       /* values read: NDJSON lines, or whole documents */
	long runs;       /* run records written (canonical ones passed included) */
	long passed;     /* other records passed through unchanged */
	long no_run;     /* events that change no status (OpenLineage OTHER, no eventType, static events) */
	long children;   /* child runs skipped (OpenLineage parent facet) */
	long rejected;
};

struct chm_norm;

/* NULL with err (78) when a mapping file is unusable, or (64) for an unknown
 * --source. out receives the records; rj the rejects. */
struct chm_norm *chm_norm_new(const struct chm_norm_opts *opts, FILE *out, struct chm_rejects *rj,
			      struct chm_err *err);
/* Normalizes one input. -1 with err only for what stops everything (I/O). */
int chm_norm_file(struct chm_norm *n, FILE *fp, const char *name, struct chm_err *err);
/* Every file of paths in turn (none: stdin; "-" is stdin). One that cannot
 * be opened is named on stderr and sets *status to 74; the others are
 * still read. -1 with err only for what stops everything. */
int chm_norm_files(struct chm_norm *n, char **paths, int npaths, int *status, struct chm_err *err);
/* Writes what is buffered, and the children file when there is one. -1
 * with err (74) when writing failed. */
int chm_norm_flush(struct chm_norm *n, struct chm_err *err);
const struct chm_norm_counts *chm_norm_counts(const struct chm_norm *n);
void chm_norm_free(struct chm_norm *n);



#endif
