/* exec: runs a command for `chm exec` (the cron platform) and tells what
 * became of it. The command's stdout and stdin are its own (inherited, never
 * copied); its stderr goes through a pipe and is written on to our stderr
 * byte for byte as it arrives, keeping a bounded tail for the run's
 * error_message. SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to us are passed on
 * to the command, so a stopped job is still recorded. */
#ifndef CHM_EXEC_H
#define CHM_EXEC_H

#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"
#include "core/strbuf.h"

#define CHM_EXEC_TAIL_BYTES 8192

struct chm_exec {
	pid_t pid;
	int err_fd;                 /* read end of the command's stderr */
	int64_t started_at, finished_at;   /* microseconds since the epoch */
	int exited, exit_code;      /* exited normally with exit_code */
	int signaled, signo;        /* killed by signal signo */
	char tail[CHM_EXEC_TAIL_BYTES];
	size_t tail_len;
};

/* Catches SIGTERM, SIGINT, SIGHUP and SIGQUIT from now on, to pass them to
 * the command once it runs (chm_exec_start does it too). */
void chm_exec_trap_signals(void);
/* A signal that arrived while no command was running yet, or 0. */
int chm_exec_early_signal(void);

/* Starts argv (PATH searched). A command that cannot be run still starts: its
 * child says why on stderr and exits 127 (126 when not executable), as a
 * shell would. -1 with err only when no process could be made. */
int chm_exec_start(struct chm_exec *x, char *const argv[], struct chm_err *err);
/* Passes stderr on until the command ends, and reaps it. */
int chm_exec_wait(struct chm_exec *x, struct chm_err *err);
/* The exit status a wrapper reports: the code, or 128 + signal. */
int chm_exec_status(const struct chm_exec *x);
/* The run status of a finished job, the one rule for every output of chm
 * exec: success, failed, or canceled for a job that never started because
 * chm exec was stopped first (the cron record's "cancel" event). */
const char *chm_exec_run_status(const struct chm_exec *x);
/* 1 when the job never started (it was stopped before). */
int chm_exec_never_started(const struct chm_exec *x);
/* The last lines of stderr (at most max_lines and max_bytes, cut on a UTF-8
 * boundary, without trailing blank lines) into sb. */
void chm_exec_tail(const struct chm_exec *x, int max_lines, size_t max_bytes, struct strbuf *sb);
/* "exit status 3" or "killed by signal 9 (Killed)" into sb. */
void chm_exec_describe(const struct chm_exec *x, struct strbuf *sb);

#endif
