/* credentials: secrets (API tokens, webhook URLs, SMTP passwords) are read
 * from files only, never taken from the command line where ps shows them: an
 * explicit --X-file, else systemd's $CREDENTIALS_DIRECTORY/<name>
 * (LoadCredential=), else an environment variable. The programs look the
 * variables up and pass their values in, so nothing below bin/ reads the
 * environment. A secret is never put in a message. */
#ifndef CHM_CREDENTIALS_H
#define CHM_CREDENTIALS_H

#include "core/err.h"

/* The first line of the file, trailing blanks cut; NULL with err (78) when
 * it cannot be read or holds nothing. */
char *chm_secret_read(const char *path, struct chm_err *err);

/* The secret by the rule above: file (may be NULL), then credentials_dir/name
 * when that file is not empty (credentials_dir may be NULL), then env_value (may be
 * NULL or empty). A new string, or NULL: with err->status set when a source
 * was there but unreadable, with err->status 0 when there is no secret. */
char *chm_secret_find(const char *file, const char *credentials_dir, const char *name,
		      const char *env_value, struct chm_err *err);

/* Overwrites and frees a secret. */
void chm_secret_free(char *secret);

#endif
