#include "core/sqlfiles.h"

#include <string.h>

const char *chm_sql(const char *name)
{
	size_t n;
	const struct chm_sql_file *f = chm_sql_files(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return f[i].text;
	return NULL;
}
