/* report_int: how chm-report's formats read a result's cells, shared by
 * report_format.c (ndjson, csv, table, prom) and report_html.c (the page),
 * so a value is read one way. Not for other modules. */
#ifndef CHM_REPORT_INT_H
#define CHM_REPORT_INT_H

#include <libpq-fe.h>

/* What a column holds, from its PostgreSQL type. */
enum kind { K_TEXT, K_INT, K_NUM, K_TIME, K_BOOL };

enum kind chm_report_kind(PGresult *res, int c);
int chm_report_numeric(enum kind k);
/* The cell as the formats show it: timestamps as RFC 3339 UTC with six
 * fraction digits (in buf, CHM_TIME_BUFSZ), booleans true/false, NaN and
 * infinities as null; NULL for SQL null. */
const char *chm_report_cell(PGresult *res, int r, int c, char *buf);
/* A timestamp cell as seconds since the epoch; NAN for null or c < 0. */
double chm_report_time(PGresult *res, int r, int c);

#endif
