#include "core/chmtime.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USEC_PER_SEC INT64_C(1000000)
#define USEC_PER_DAY (INT64_C(86400) * USEC_PER_SEC)

/* Howard Hinnant's civil-date algorithms, exact for the proleptic Gregorian calendar. */
int64_t chm_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void chm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int chm_time_parse(const char *s, int flags, int64_t *usec, int *zone_assumed,
		   const char *field, struct chm_err *err)
{
	const char *p = s;
	int Y, M, D, h, mi, sec, usec_frac = 0, off = 0;

	if (zone_assumed)
		*zone_assumed = 0;
	if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
	    digits(&p, 2, &D))
		goto bad;
	if (*p != 'T' && *p != 't' && *p != ' ')
		goto bad;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec))
		goto bad;
	if (*p == '.' || *p == ',') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		int n = 0;
		while (isdigit((unsigned char)*p)) {
			if (n < 6)
				usec_frac = usec_frac * 10 + (*p - '0');
			n++;
			p++;
		}
		for (; n < 6; n++)
			usec_frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
		if (digits(&p, 2, &oh))
			goto bad;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &om))
				goto bad;
		} else if (isdigit((unsigned char)*p)) {
			if (digits(&p, 2, &om))
				goto bad;
		}
		if (oh > 23 || om > 59)
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_TIMESTAMP, field,
					   "%s: offset out of range in \"%.64s\"", field, s);
		off = sign * (oh * 60 + om);
	} else if (*p == '\0' && (flags & CHM_TIME_ALLOW_NO_ZONE)) {
		if (zone_assumed)
			*zone_assumed = 1;
	} else {
		goto bad;
	}
	if (*p != '\0')
		goto bad;
	if (Y < 1 || M < 1 || M > 12 || D < 1 || (unsigned)D > days_in_month(Y, (unsigned)M) ||
	    h > 23 || mi > 59 || sec > 60)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_TIMESTAMP, field,
				   "%s: impossible date or time \"%.64s\"", field, s);
	int64_t days = chm_days_from_civil(Y, (unsigned)M, (unsigned)D);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off * 60;
	/* an offset can push year 1 or 9999 out of range in UTC: we could
	 * not write that instant back in RFC 3339 (four-digit years) */
	if (secs < INT64_C(-62135596800) || secs > INT64_C(253402300799))
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_TIMESTAMP, field,
				   "%s: \"%.64s\" is outside the years 1 to 9999 in UTC", field, s);
	*usec = secs * USEC_PER_SEC + usec_frac;
	return 0;
bad:
	return chm_err_set(err, CHM_EX_DATAERR, CHM_E_BAD_TIMESTAMP, field,
			   "%s: not an RFC 3339 timestamp: \"%.64s\"", field, s);
}

/* printf's: the years chm_time_write leaves to it */
static char *format(int64_t usec, char *buf, int pg)
{
	int64_t days = usec >= 0 ? usec / USEC_PER_DAY : -((-usec + USEC_PER_DAY - 1) / USEC_PER_DAY);
	int64_t rem = usec - days * USEC_PER_DAY;
	int64_t y;
	unsigned m, d;
	chm_civil_from_days(days, &y, &m, &d);
	int64_t secs = rem / USEC_PER_SEC;
	snprintf(buf, CHM_TIME_BUFSZ, pg ? "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld+00"
					 : "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
		 (long long)y, m, d, (long long)(secs / 3600), (long long)(secs / 60 % 60),
		 (long long)(secs % 60), (long long)(rem % USEC_PER_SEC));
	return buf;
}

static size_t write_time(int64_t usec, char *buf, int pg);

char *chm_time_format(int64_t usec, char *buf)
{
	write_time(usec, buf, 0);
	return buf;
}

/* chm-load prints two a run: by hand too (printf was a tenth of its CPU) */
char *chm_time_format_pg(int64_t usec, char *buf)
{
	write_time(usec, buf, 1);
	return buf;
}

int chm_time_from_epoch(double value, int unit_ms, int64_t *usec)
{
	double us = value * (unit_ms ? 1e3 : 1e6);
	/* year 1 .. 9999 */
	if (!isfinite(us) || us < -62135596800e6 || us > 253402300799e6)
		return -1;
	*usec = (int64_t)us;
	return 0;
}

int64_t chm_time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* A duration back from now: a number (a fraction allowed) and a unit,
 * "90m", "1.5h", "7d", "2w". 1 when s is one (*usec set), 0 when not, -1
 * with err when it is too far back. */
static int parse_ago(const char *s, int64_t now_usec, int64_t *usec, const char *field,
		     struct chm_err *err)
{
	char *end;
	const char *q = s;
	if (!isdigit((unsigned char)s[0]) || strlen(s) > 24)
		return 0;
	/* digits with a fraction, no more: strtod would also read 1e3 and 0x10 */
	while (isdigit((unsigned char)*q))
		q++;
	if (*q == '.' && isdigit((unsigned char)q[1]))
		for (q++; isdigit((unsigned char)*q);)
			q++;
	double n = strtod(s, &end);
	if (end != q)
		return 0;
	int64_t unit = 0;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return 0;
	}
	if (end[1] != '\0' || !isfinite(n))
		return 0;
	/* beyond 10,000 years back it means nothing, and would overflow */
	if (n * (double)unit > 315576000000.0)
		return chm_err_set(err, CHM_EX_USAGE, CHM_E_BAD_TIME, field,
				   "%s: \"%.64s\" is too far back", field, s);
	*usec = now_usec - (int64_t)llround(n * (double)unit * (double)USEC_PER_SEC);
	/* as a timestamp's: an instant before the year 1 cannot be written
	 * back in RFC 3339, and PostgreSQL would store it BC */
	if (*usec < INT64_C(-62135596800) * USEC_PER_SEC)
		return chm_err_set(err, CHM_EX_USAGE, CHM_E_BAD_TIME, field,
				   "%s: \"%.64s\" is before the year 1", field, s);
	return 1;
}

int chm_time_parse_arg(const char *s, int64_t now_usec, int64_t *usec,
		       const char *field, struct chm_err *err)
{
	int64_t midnight = now_usec - (now_usec % USEC_PER_DAY + USEC_PER_DAY) % USEC_PER_DAY;
	unsigned y, m, d;
	int used = 0;

	if (strcmp(s, "now") == 0) {
		*usec = now_usec;
		return 0;
	}
	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		*usec = midnight - (s[0] == 'y' ? USEC_PER_DAY : 0);
		return 0;
	}
	int r = parse_ago(s, now_usec, usec, field, err);
	if (r)
		return r < 0 ? -1 : 0;
	/* a date alone is its midnight, UTC */
	if (sscanf(s, "%4u-%2u-%2u%n", &y, &m, &d, &used) == 3 && s[used] == '\0' && used == 10) {
		char full[32];
		snprintf(full, sizeof(full), "%sT00:00:00Z", s);
		return chm_time_parse(full, 0, usec, NULL, field, err);
	}
	if (chm_time_parse(s, 0, usec, NULL, field, err) == 0)
		return 0;
	return chm_err_set(err, CHM_EX_USAGE, CHM_E_BAD_TIME, field,
			   "%s: expected RFC 3339, a date (2026-12-01), now, today, yesterday or a time back "
			   "from now (90m, 1.5h, 7d, 2w), got \"%.64s\"",
			   field, s);
}

static char *put_digits(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

size_t chm_time_write(int64_t usec, char *buf)
{
	return write_time(usec, buf, 0);
}

static size_t write_time(int64_t usec, char *buf, int pg)
{
	int64_t days = usec >= 0 ? usec / USEC_PER_DAY : -((-usec + USEC_PER_DAY - 1) / USEC_PER_DAY);
	int64_t rem = usec - days * USEC_PER_DAY;
	int64_t y;
	unsigned m, d;
	chm_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) /* outside what we parse: let printf say it */
		return strlen(format(usec, buf, pg));
	int64_t secs = rem / USEC_PER_SEC;
	char *p = buf;
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = pg ? ' ' : 'T';
	p = put_digits(p, secs / 3600, 2);
	*p++ = ':';
	p = put_digits(p, secs / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, secs % 60, 2);
	*p++ = '.';
	p = put_digits(p, rem % USEC_PER_SEC, 6);
	if (pg) {
		memcpy(p, "+00", 3);
		p += 3;
	} else {
		*p++ = 'Z';
	}
	*p = '\0';
	return (size_t)(p - buf);
}
