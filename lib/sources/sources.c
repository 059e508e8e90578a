/* sources: the one table of every source CHM reads. Adding a source is a
 * src_X.c and one line here (README.md, "Adding a source"); the drivers
 * (normalize.c, fetch.c) find a source by name in it. It sits above the
 * source modules, which know nothing of it. */
#include <stdio.h>
#include <string.h>

#include "sources/source.h"

/* Each src_X.c defines one; a new source adds its line to both lists. */
extern const struct chm_source chm_src_airflow, chm_src_dbt_cloud, chm_src_dbt_artifact,
	chm_src_openlineage, chm_src_vendor, chm_src_cron;

const struct chm_source *const chm_sources[] = {
	&chm_src_airflow, &chm_src_dbt_cloud, &chm_src_dbt_artifact,
	&chm_src_openlineage, &chm_src_vendor, &chm_src_cron, NULL,
};

const struct chm_source *chm_source_find(const char *name)
{
	for (const struct chm_source *const *s = chm_sources; *s; s++)
		if (strcmp((*s)->name, name) == 0)
			return *s;
	return NULL;
}

const char *chm_source_names(int with_pager)
{
	static char names[2][256];
	char *out = names[!!with_pager];
	if (!out[0]) {
		size_t n = 0;
		for (const struct chm_source *const *s = chm_sources; *s; s++)
			if (!with_pager || (*s)->pager)
				n += (size_t)snprintf(out + n, sizeof(names[0]) - n, "%s%s", n ? ", " : "", (*s)->name);
	}
	return out;
}
