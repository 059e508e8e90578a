/* rundays: what the runs a loader COPYs straight into runs add to their
 * daily rollups (chm_run_days, sql/migrations/040_run_days.sql), summed on
 * the loader's side. PostgreSQL then stores one row a pipeline and day
 * instead of aggregating every run again, which keeps a first load near the
 * speed of a bare COPY: a day with no rollup row yet is COPYed straight into
 * chm_run_days, and only a stored day is merged (chm_run_days_new,
 * chm_run_days_refresh), so the loader asks which are stored. The sums are
 * the ones chm_run_days_of() computes from runs: the UTC day of started_at,
 * the hours with failures and how many (045), Q9's fixed buckets and
 * chm_duration_bucket's, Q7's order (started_at, then status in the enum's
 * order). Runs without a start are in no day. */
#ifndef CHM_RUNDAYS_H
#define CHM_RUNDAYS_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

struct chm_rundays_run;

/* One day row chm_rundays_copy_rows made: its key, where its text is in
 * the rows, and whether PostgreSQL has a rollup row of that day already. */
struct chm_rundays_day {
	int64_t pipeline_id, day; /* day: UTC days since 1970-01-01 */
	size_t off, len;
	int stored;
};

struct chm_rundays {
	struct chm_rundays_run *runs;
	size_t n, cap;
	struct chm_rundays_day *days; /* in (pipeline_id, day) order */
	size_t ndays, days_cap;
};

/* The columns of a day row, in its COPY text's order: chm_run_days_new's,
 * and chm_run_days' but for those with a default (040, 043), with
 * failed_counts (045, last in the tables) beside failed_hours. */
#define CHM_RUNDAYS_COLUMNS                                                                     \
	"pipeline_id, day, runs, running, success, failed, canceled, skipped, failed_hours, "   \
	"failed_counts, sf_first, sf_first_at, sf_last, sf_last_at, sf_flips, dur_runs, "       \
	"dur_sum, dur_min, dur_max, hist_10s, hist_1m, hist_5m, hist_15m, hist_1h, hist_6h, "   \
	"hist_inf, dur_buckets, dur_counts"

void chm_rundays_reset(struct chm_rundays *rd);
void chm_rundays_release(struct chm_rundays *rd);
/* A new run as it is stored: its status (the enum's text), its start in
 * microseconds since the epoch, its duration in seconds. */
void chm_rundays_add(struct chm_rundays *rd, int64_t pipeline_id, const char *status,
		     size_t status_len, int has_started, int64_t started_us, int has_duration,
		     double duration);
/* Appends the COPY text rows of the days (CHM_RUNDAYS_COLUMNS), one a
 * pipeline and day, notes them in rd->days (none stored yet), and returns
 * how many. Sorts what was added. */
size_t chm_rundays_copy_rows(struct chm_rundays *rd, struct strbuf *out);
/* The days' pipelines and days (as UTC days since 1970-01-01), each once, as
 * PostgreSQL array literals: what run_days_stored.sql asks about. */
void chm_rundays_keys(const struct chm_rundays *rd, struct strbuf *pipelines,
		      struct strbuf *days);
/* Notes that the day row of (pipeline_id, day) is stored, if the rows have
 * it (the query's pipelines x days also pairs others). */
void chm_rundays_mark_stored(struct chm_rundays *rd, int64_t pipeline_id, int64_t day);
/* Splits rows (what chm_rundays_copy_rows appended to it, from its start)
 * into the rows of days not stored and of stored days; returns how many
 * are stored. */
size_t chm_rundays_split(const struct chm_rundays *rd, const struct strbuf *rows,
			 struct strbuf *fresh, struct strbuf *stored);

#endif
