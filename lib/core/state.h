/* state: the fetch bookmark file shared by chm-fetch (reads) and chm-load
 * (writes after commit). Written atomically: a temporary file in the same
 * directory, fsync, rename, fsync of the directory, so a crash leaves the old
 * file or the new one, never half of one. */
#ifndef CHM_STATE_H
#define CHM_STATE_H

#include <jansson.h>

#include "core/err.h"

/* -1 with err (status 74) when it cannot be written; the old file stays. */
int chm_state_write(const char *path, json_t *value, struct chm_err *err);
/* *value is a new reference to an object, or NULL when the file does not
 * exist. -1 with err when it exists but cannot be read, is not JSON (78) or
 * holds something other than an object (78). */
int chm_state_read(const char *path, json_t **value, struct chm_err *err);

#endif
