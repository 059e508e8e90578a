/* run: the canonical `run` record of chm-records(5) as a C struct, its validation
 * from JSON (what chm-load, chm-normalize's canonical source and `chm run
 * record` all accept) and its canonical JSON form. */
#ifndef CHM_RUN_H
#define CHM_RUN_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "core/strbuf.h"

#define CHM_TEXT_MAX 2000   /* error_message and status_reason, in bytes */

struct chm_run {
	/* the pipeline: by id, client + platform + external_id, client + name,
	 * or client + external_id on whatever platform (OpenLineage) */
	int64_t pipeline_id;            /* 0 when not given */
	const char *client;
	const char *platform;
	const char *external_id;
	const char *pipeline;           /* the pipeline's name */
	const char *external_run_id;
	const char *status;             /* one of chm_run_statuses */
	int has_started, has_finished, has_duration, has_rows;
	int64_t started_at, finished_at;   /* microseconds since the epoch, UTC */
	double duration_seconds;
	int64_t rows_processed;
	const char *error_message;
	const char *status_reason;
	json_t *payload;                /* an object, or NULL */
};

/* Fills run from a `run` record. Strings and payload are borrowed from obj.
 * -1 with err (status 65, code and field set) when the record is invalid. */
int chm_run_from_json(json_t *obj, struct chm_run *run, struct chm_err *err);
/* The canonical record: a new object the caller owns. */
json_t *chm_run_to_json(const struct chm_run *run);

/* The canonical record as one NDJSON line appended to sb, written directly
 * (no jansson tree): the fast path of chm-normalize. payload_json is the
 * payload's JSON text when the caller has it (copied as is), else run->payload
 * is serialized, else null. Times are written with six fraction digits and
 * duration_seconds to the microsecond. */
void chm_run_write(struct strbuf *sb, const struct chm_run *run, const char *payload_json,
		   size_t payload_len);

#endif
