/* cli: what every program's main shares: diagnostics on stderr as
 * "program: message", option values checked with a usage error, and the
 * final check that stdout was really written. The only part of libchm that
 * prints, and it prints only to stderr. */
#ifndef CHM_CLI_H
#define CHM_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "core/err.h"

extern const char *chm_program;   /* set by chm_cli_init */

void chm_cli_init(const char *program);
void chm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The line a retry of a transfer prints (an on_retry of http.h):
 * "GET URL: HTTP 503; retry 1/5 in 1.2s". */
struct chm_http_retry;
void chm_warn_retry(const struct chm_http_retry *r, void *arg);
/* Prints err as "program: message" and returns its status. */
int chm_report_err(const struct chm_err *err);
/* getopt_long, with one line on stderr for a mistake instead of getopt's
 * own message: "unknown option --clinet (did you mean --client?)",
 * "option --db needs a value", "option --wide takes no value". Returns
 * '?' after that line (the caller exits 64, without a usage page);
 * otherwise what getopt_long returns. */
int chm_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* Colour in a table (table.h) on fd, as every program decides it before
 * --color: not when NO_COLOR (no_color_env, read by the program) is set
 * and not empty (no-color.org), else only when fd is a terminal. */
int chm_color_auto(const char *no_color_env, int fd);
/* --color WHEN over that decision: always 1, never 0, auto leaves *color;
 * -1 for any other value. */
int chm_color_parse(const char *when, int *color);
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
