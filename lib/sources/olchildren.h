/* olchildren: the OpenLineage runs known to be child runs. OpenLineage
 * events of one run are cumulative: a START may carry the parent facet and
 * the COMPLETE not. A run seen with a parent facet stays a child for the
 * run's later events, in this stream and, through a file, in a later one.
 * The caller names a run by its job and runId.
 * Memory is bounded: two generations of at most CHM_OL_CHILDREN_MAX / 2 ids
 * each; the older generation is dropped when the newer one fills, so the
 * ids remembered are the most recent ones (a run's events come close
 * together in a feed). */
#ifndef CHM_OLCHILDREN_H
#define CHM_OLCHILDREN_H

#include <stddef.h>

#include "core/err.h"
#include "core/hashmap.h"

#define CHM_OL_CHILDREN_MAX 200000

struct chm_ol_children {
	struct hashmap gen[2];   /* gen[0] the newer */
	size_t max;              /* ids at most, both generations together */
};

void chm_ol_children_init(struct chm_ol_children *c, size_t max);
void chm_ol_children_release(struct chm_ol_children *c);
void chm_ol_children_add(struct chm_ol_children *c, const char *run_id);
int chm_ol_children_has(const struct chm_ol_children *c, const char *run_id);
/* The file: {"openlineage_children":["run id", ...]}, oldest first, written
 * as state files are (temporary file, fsync, rename, mode 0600). Reading a
 * file that does not exist is no error. -1 with err (74, or 65 for a file
 * that is not such a list). */
int chm_ol_children_load(struct chm_ol_children *c, const char *path, struct chm_err *err);
int chm_ol_children_save(const struct chm_ol_children *c, const char *path, struct chm_err *err);

#endif
