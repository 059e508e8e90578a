/* reject: writes `reject` records (chm-records(5)) for input that cannot be used,
 * to the --rejects file or stderr, and counts them. The original line is kept
 * as a JSON string: invalid UTF-8 becomes U+FFFD, and a very long line is cut
 * (input_truncated says so), so a reject is always one valid JSON line. */
#ifndef CHM_REJECT_H
#define CHM_REJECT_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

#define CHM_REJECT_INPUT_MAX (64u << 10)

struct chm_rejects {
	FILE *fp;            /* stderr, when no file is named */
	int fd;              /* the rejects file: O_APPEND, one write(2) a reject */
	int owned;
	const char *program;
	long count;
	long by_kind[CHM_E_KIND_COUNT];   /* how many of each code */
	int write_failed;    /* the errno of the first failed write, or 0 */
};

/* path NULL or "-" -> stderr. -1 with err (74) when the file cannot be opened. */
int chm_rejects_open(struct chm_rejects *rj, const char *program, const char *path,
		     struct chm_err *err);
/* Flushes and closes; -1 with err when a write failed. */
int chm_rejects_close(struct chm_rejects *rj, struct chm_err *err);
void chm_reject(struct chm_rejects *rj, const char *file, long line, enum chm_err_kind kind,
		const char *field, const char *message, const char *input, size_t input_len);
void chm_reject_err(struct chm_rejects *rj, const char *file, long line, const struct chm_err *e,
		    const char *input, size_t input_len);

/* "3 rejected: unknown_pipeline 2, bad_enum 1" into buf (the most
 * frequent first); 0 when nothing was rejected. */
int chm_rejects_summary(const struct chm_rejects *rj, char *buf, size_t size);

/* A JSON string of bytes that may not be UTF-8: invalid sequences and NUL
 * bytes become U+FFFD. */
struct json_t *chm_json_string_lossy(const char *s, size_t len);

#endif
