/* rundays: what the runs a loader COPYs straight into runs add to their
 * daily rollups (chm_run_days, sql/migrations/040_run_days.sql), summed on
 * the loader's side. PostgreSQL then merges one row a pipeline and day
 * (chm_run_days_refresh) instead of aggregating every run again, which kept
 * a first load near the speed of a bare COPY. The sums are the ones
 * chm_run_days_of() computes from runs: the UTC day and hour of started_at,
 * Q9's fixed buckets and chm_duration_bucket's, Q7's order (started_at,
 * then status in the enum's order). Runs without a start are in no day. */
#ifndef CHM_RUNDAYS_H
#define CHM_RUNDAYS_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

struct chm_rundays_run;

struct chm_rundays {
	struct chm_rundays_run *runs;
	size_t n, cap;
};

void chm_rundays_reset(struct chm_rundays *rd);
void chm_rundays_release(struct chm_rundays *rd);
/* A new run as it is stored: its status (the enum's text), its start in
 * microseconds since the epoch, its duration in seconds. */
void chm_rundays_add(struct chm_rundays *rd, int64_t pipeline_id, const char *status,
		     size_t status_len, int has_started, int64_t started_us, int has_duration,
		     double duration);
/* Appends the COPY text rows of chm_run_days_new, one a pipeline and day
 * (its columns in order), and returns how many. Sorts what was added. */
size_t chm_rundays_copy_rows(struct chm_rundays *rd, struct strbuf *out);

#endif
