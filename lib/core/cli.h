/* cli: what every program's main shares: diagnostics on stderr as
 * "program: message", option values checked with a usage error, and the
 * final check that stdout was really written. The only part of libchm that
 * prints, and it prints only to stderr. */
#ifndef CHM_CLI_H
#define CHM_CLI_H

#include <stdint.h>

#include "core/err.h"

extern const char *chm_program;   /* set by chm_cli_init */

void chm_cli_init(const char *program);
void chm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints err as "program: message" and returns its status. */
int chm_report_err(const struct chm_err *err);
/* An integer option in [min, max]; -1 with a usage message otherwise. */
int chm_opt_int(const char *opt, const char *value, int64_t min, int64_t max, int64_t *out);
/* Seconds with a fraction ("0.5") to milliseconds in [min, max]; -1 with a
 * usage message otherwise. */
int chm_opt_seconds(const char *opt, const char *value, double min, double max, long *ms);
/* Flushes stdout; 0, or CHM_EX_IOERR after a message when writing failed. */
int chm_close_stdout(void);
/* Prints "program VERSION" to stdout. */
int chm_print_version(void);
/* The exit status of a filter that wrote rejects and stdout: closes rj
 * (NULL: none) and stdout; lost rejects (74) and lost output (74) outrank
 * rejected input (65). Every main ends here. */
struct chm_rejects;
int chm_exit_status(int status, struct chm_rejects *rj);

#endif
