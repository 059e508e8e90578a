/* sqlfiles: the SQL of sql/, compiled in by tools/embed-sql.sh. Names are
 * paths under sql/, e.g. "migrations/001_schema.sql", "queries/load_runs.sql". */
#ifndef CHM_SQLFILES_H
#define CHM_SQLFILES_H

#include <stddef.h>

struct chm_sql_file {
	const char *name;
	const char *text;
};

/* Every file, sorted by name. */
const struct chm_sql_file *chm_sql_files(size_t *n);
/* The text of one file; NULL when there is none by that name. */
const char *chm_sql(const char *name);

#endif
