#include "engines/rundays.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/chmtime.h"
#include "core/enums.h"

#define US_PER_DAY 86400000000LL
#define US_PER_HOUR 3600000000LL
#define NO_BUCKET INT32_MIN

/* indexes into chm_run_statuses, which is run_status in the enum's order */
enum { ST_RUNNING, ST_SUCCESS, ST_FAILED, ST_CANCELED, ST_SKIPPED, ST_COUNT };

struct chm_rundays_run {
	int64_t pipeline_id, day, started;
	double duration;
	int32_t bucket; /* chm_duration_bucket, or NO_BUCKET without a duration */
	uint8_t status;
};

void chm_rundays_reset(struct chm_rundays *rd)
{
	rd->n = 0;
}

void chm_rundays_release(struct chm_rundays *rd)
{
	free(rd->runs);
	free(rd->days);
	memset(rd, 0, sizeof(*rd));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* chm_duration_bucket(): the same float operations as PostgreSQL's ln() */
static int32_t duration_bucket(double seconds)
{
	if (seconds == 0)
		return -32768;
	double b = floor(log(seconds) / log(1.05));
	return (int32_t)(b < -32767 ? -32767 : b > 32767 ? 32767 : b);
}

void chm_rundays_add(struct chm_rundays *rd, int64_t pipeline_id, const char *status,
		     size_t status_len, int has_started, int64_t started_us, int has_duration,
		     double duration)
{
	if (!has_started)
		return;
	int st = 0;
	while (st < ST_COUNT && !(strlen(chm_run_statuses[st]) == status_len &&
				  !memcmp(chm_run_statuses[st], status, status_len)))
		st++;
	if (st == ST_COUNT)
		return; /* PostgreSQL refuses the run, and the batch with it */
	if (rd->n == rd->cap) {
		rd->cap = rd->cap ? rd->cap * 2 : 1024;
		rd->runs = chm_xrealloc(rd->runs, rd->cap * sizeof(*rd->runs));
	}
	rd->runs[rd->n++] = (struct chm_rundays_run){
		.pipeline_id = pipeline_id,
		.day = floor_div(started_us, US_PER_DAY),
		.started = started_us,
		.duration = duration,
		.bucket = has_duration ? duration_bucket(duration) : NO_BUCKET,
		.status = (uint8_t)st,
	};
}

/* a pipeline's day, then Q7's order */
static int cmp_run(const void *a, const void *b)
{
	const struct chm_rundays_run *x = a, *y = b;
	if (x->pipeline_id != y->pipeline_id)
		return x->pipeline_id < y->pipeline_id ? -1 : 1;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->started != y->started)
		return x->started < y->started ? -1 : 1;
	return (int)x->status - (int)y->status;
}

static int cmp_int32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return x < y ? -1 : x > y;
}

static void add_sep(struct strbuf *out)
{
	strbuf_addc(out, '\t');
}

static void add_time(struct strbuf *out, const struct chm_rundays_run *r)
{
	char buf[CHM_TIME_BUFSZ];
	if (r)
		strbuf_adds(out, chm_time_format_pg(r->started, buf));
	else
		strbuf_adds(out, "\\N");
}

static void add_double(struct strbuf *out, int has, double v)
{
	if (has)
		strbuf_addf(out, "%.17g", v);
	else
		strbuf_adds(out, "\\N");
}

/* Q7 of one day: its first and last outcome (success or failed), and the
 * changes between consecutive outcomes */
static void add_outcomes(struct strbuf *out, const struct chm_rundays_run *r, size_t n)
{
	const struct chm_rundays_run *first = NULL, *last = NULL;
	long flips = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].status != ST_SUCCESS && r[i].status != ST_FAILED)
			continue;
		if (last && last->status != r[i].status)
			flips++;
		if (!first)
			first = &r[i];
		last = &r[i];
	}
	strbuf_adds(out, first ? chm_run_statuses[first->status] : "\\N");
	add_sep(out);
	add_time(out, first);
	add_sep(out);
	strbuf_adds(out, last ? chm_run_statuses[last->status] : "\\N");
	add_sep(out);
	add_time(out, last);
	add_sep(out);
	strbuf_add_int(out, flips);
}

/* A counted set of keys as two COPY array fields: each of the n values
 * once, ascending, then how many times it occurs (the values sorted); two
 * NULLs when there are none. chm_counts_add (045) adds two of them. */
static void add_counted(struct strbuf *out, const int32_t *values, long n)
{
	if (!n) {
		strbuf_adds(out, "\\N\t\\N");
		return;
	}
	struct strbuf counts = STRBUF_INIT;
	for (long i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && values[j] == values[i]; j++)
			;
		strbuf_addc(out, i ? ',' : '{');
		strbuf_add_int(out, values[i]);
		strbuf_addc(&counts, i ? ',' : '{');
		strbuf_add_int(&counts, j - i);
	}
	strbuf_addc(out, '}');
	add_sep(out);
	strbuf_add(out, counts.buf, counts.len);
	strbuf_addc(out, '}');
	strbuf_release(&counts);
}

/* Q9 of one day: the durations' count, sum, min, max, fixed buckets, and
 * the log buckets as two arrays (values ascending, counts) */
static void add_durations(struct strbuf *out, const struct chm_rundays_run *r, size_t n,
			  int32_t *buckets)
{
	static const double limits[] = { 10, 60, 300, 900, 3600, 21600 };
	long fixed[7] = { 0 }, count = 0;
	double sum = 0, lo = 0, hi = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].bucket == NO_BUCKET)
			continue;
		double d = r[i].duration;
		sum += d;
		lo = count && lo < d ? lo : d;
		hi = count && hi > d ? hi : d;
		int k = 0;
		while (k < 6 && d > limits[k])
			k++;
		fixed[k]++;
		buckets[count++] = r[i].bucket;
	}
	strbuf_add_int(out, count);
	add_sep(out);
	add_double(out, count > 0, sum);
	add_sep(out);
	add_double(out, count > 0, lo);
	add_sep(out);
	add_double(out, count > 0, hi);
	for (int k = 0; k < 7; k++) {
		add_sep(out);
		strbuf_add_int(out, fixed[k]);
	}
	add_sep(out);
	qsort(buckets, (size_t)count, sizeof(*buckets), cmp_int32);
	add_counted(out, buckets, count);
}

/* Q1 of one day: the UTC hours of its failures, counted (the runs are in
 * start order, so their hours ascend). values: room for n. */
static void add_failed_hours(struct strbuf *out, const struct chm_rundays_run *r, size_t n,
			     int32_t *values)
{
	long failed = 0;
	for (size_t i = 0; i < n; i++)
		if (r[i].status == ST_FAILED)
			values[failed++] = (int32_t)floor_div(r[i].started - r->day * US_PER_DAY,
							      US_PER_HOUR);
	add_counted(out, values, failed);
}

static void add_day(struct strbuf *out, const struct chm_rundays_run *r, size_t n,
		    int32_t *scratch)
{
	long counts[ST_COUNT] = { 0 };
	char date[16];
	time_t t = (time_t)(r->day * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	for (size_t i = 0; i < n; i++)
		counts[r[i].status]++;
	strbuf_add_int(out, r->pipeline_id);
	add_sep(out);
	strbuf_adds(out, date);
	add_sep(out);
	strbuf_add_int(out, (long)n);
	for (int s = 0; s < ST_COUNT; s++) {
		add_sep(out);
		strbuf_add_int(out, counts[s]);
	}
	add_sep(out);
	add_failed_hours(out, r, n, scratch);
	add_sep(out);
	add_outcomes(out, r, n);
	add_sep(out);
	add_durations(out, r, n, scratch);
	strbuf_addc(out, '\n');
}

static void note_day(struct chm_rundays *rd, const struct chm_rundays_run *r, size_t off,
		     size_t len)
{
	if (rd->ndays == rd->days_cap) {
		rd->days_cap = rd->days_cap ? rd->days_cap * 2 : 256;
		rd->days = chm_xrealloc(rd->days, rd->days_cap * sizeof(*rd->days));
	}
	rd->days[rd->ndays++] = (struct chm_rundays_day){
		.pipeline_id = r->pipeline_id, .day = r->day, .off = off, .len = len
	};
}

size_t chm_rundays_copy_rows(struct chm_rundays *rd, struct strbuf *out)
{
	size_t days = 0;
	rd->ndays = 0;
	if (!rd->n)
		return 0;
	qsort(rd->runs, rd->n, sizeof(*rd->runs), cmp_run);
	/* room for a day's hours or buckets, one a run */
	int32_t *scratch = chm_xrealloc(NULL, rd->n * sizeof(*scratch));
	for (size_t i = 0, j; i < rd->n; i = j) {
		for (j = i + 1; j < rd->n && rd->runs[j].pipeline_id == rd->runs[i].pipeline_id &&
				rd->runs[j].day == rd->runs[i].day;
		     j++)
			;
		size_t off = out->len;
		add_day(out, &rd->runs[i], j - i, scratch);
		note_day(rd, &rd->runs[i], off, out->len - off);
		days++;
	}
	free(scratch);
	return days;
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

void chm_rundays_keys(const struct chm_rundays *rd, struct strbuf *pipelines,
		      struct strbuf *days)
{
	int64_t *d = chm_xrealloc(NULL, (rd->ndays + 1) * sizeof(*d));
	strbuf_reset(pipelines);
	strbuf_reset(days);
	strbuf_addc(pipelines, '{');
	for (size_t i = 0; i < rd->ndays; i++) {
		d[i] = rd->days[i].day;
		if (i && rd->days[i].pipeline_id == rd->days[i - 1].pipeline_id)
			continue; /* in (pipeline_id, day) order */
		if (pipelines->len > 1)
			strbuf_addc(pipelines, ',');
		strbuf_add_int(pipelines, rd->days[i].pipeline_id);
	}
	strbuf_addc(pipelines, '}');
	qsort(d, rd->ndays, sizeof(*d), cmp_int64);
	strbuf_addc(days, '{');
	for (size_t i = 0; i < rd->ndays; i++) {
		if (i && d[i] == d[i - 1])
			continue;
		if (days->len > 1)
			strbuf_addc(days, ',');
		strbuf_add_int(days, d[i]);
	}
	strbuf_addc(days, '}');
	free(d);
}

void chm_rundays_mark_stored(struct chm_rundays *rd, int64_t pipeline_id, int64_t day)
{
	size_t lo = 0, hi = rd->ndays;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct chm_rundays_day *m = &rd->days[mid];
		if (m->pipeline_id < pipeline_id || (m->pipeline_id == pipeline_id && m->day < day))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < rd->ndays && rd->days[lo].pipeline_id == pipeline_id && rd->days[lo].day == day)
		rd->days[lo].stored = 1;
}

size_t chm_rundays_split(const struct chm_rundays *rd, const struct strbuf *rows,
			 struct strbuf *fresh, struct strbuf *stored)
{
	size_t n = 0;
	for (size_t i = 0; i < rd->ndays; i++) {
		const struct chm_rundays_day *d = &rd->days[i];
		strbuf_add(d->stored ? stored : fresh, rows->buf + d->off, d->len);
		n += (size_t)d->stored;
	}
	return n;
}
