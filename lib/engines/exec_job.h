/* exec_job: one `chm exec` job recorded as a run of the cron platform: a
 * running event before the command starts, a terminal one when it ends,
 * written to an events file (canonical runs, or the cron raw records
 * chm-normalize reads) and/or loaded into the database. Recording never
 * stops the job: a failure to record is a warning. exec.c runs the
 * command itself. */
#ifndef CHM_EXEC_JOB_H
#define CHM_EXEC_JOB_H

struct chm_exec_job {
	/* client NULL: pipeline is "client/name" with a "/" in a name, which
	 * chm-load splits where a pipeline is */
	const char *client, *pipeline;
	const char *db;       /* --load's database, or NULL: libpq's defaults */
	int load;             /* --load */
	int raw;              /* --format raw: chm-normalize's cron records */
	const char *events;   /* --events FILE, or NULL */
	int events_fd;        /* --events-fd, or -1 */
};

/* Runs argv (argc words) as the job; the command's exit status, as a shell
 * would give it (128+signal when killed). */
int chm_exec_job_run(const struct chm_exec_job *job, char **argv, int argc);

#endif
