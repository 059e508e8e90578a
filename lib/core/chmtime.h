/* chmtime: timestamps as int64 microseconds since the Unix epoch, UTC.
 * Parses the RFC 3339 forms partners send (T or space, Z or +HH:MM or +HHMM
 * or +HH, any number of fraction digits, truncated to microseconds) and
 * rejects impossible dates; formats as RFC 3339 UTC with six fraction digits. */
#ifndef CHM_CHMTIME_H
#define CHM_CHMTIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define CHM_TIME_BUFSZ 40

enum {
	CHM_TIME_ALLOW_NO_ZONE = 1,   /* a time without zone is read as UTC */
};

/* 0 and *usec set; -1 with err (code "bad_timestamp", field as given).
 * *zone_assumed (may be NULL) is set to 1 when no zone was present. */
int chm_time_parse(const char *s, int flags, int64_t *usec, int *zone_assumed,
		   const char *field, struct chm_err *err);
/* "2026-11-21T00:00:05.123456Z" into buf (CHM_TIME_BUFSZ bytes). */
char *chm_time_format(int64_t usec, char *buf);
/* The same as chm_time_format, returning the text's length, for the hot
 * path of chm-normalize (all three write by hand, not with printf). */
size_t chm_time_write(int64_t usec, char *buf);
/* "2026-11-21 00:00:05.123456+00", PostgreSQL's input form (COPY). */
char *chm_time_format_pg(int64_t usec, char *buf);
/* Seconds or milliseconds since the epoch; unit_ms selects. -1 if out of range. */
int chm_time_from_epoch(double value, int unit_ms, int64_t *usec);
/* RFC 3339, or a relative form counted back from now: 90s, 15m, 24h, 7d, 2w. */
int chm_time_parse_arg(const char *s, int64_t now_usec, int64_t *usec,
		       const char *field, struct chm_err *err);
int64_t chm_time_now(void);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t chm_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Its inverse: the date of a day since 1970-01-01. */
void chm_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
