/* fetch_job: what one run of chm-fetch does around the fetch engine
 * (fetch.c): choose the pipelines (an inventory file or the database), find
 * the credentials, read the state file, fetch every pipeline in turn and
 * write the raw and state records. One pipeline's partner failure does not
 * stop the others; what ends the whole run (configuration, the reader gone,
 * a signal) does. */
#ifndef CHM_FETCH_JOB_H
#define CHM_FETCH_JOB_H

#include <stdio.h>

#include "core/err.h"
#include "core/http.h"
#include "core/progress.h"
#include "engines/fetch.h"

struct chm_fetch_job {
	struct chm_fetch_opts fetch;     /* .source is set from source_name */
	struct chm_http_opts http;
	const char *source_name;
	const char *client, *pipeline;   /* filters, or NULL */
	const char *pipelines_file;      /* --pipelines, else the database */
	const char *db;                  /* conninfo, or NULL: libpq's defaults */
	const char *state_file, *mapping;
	/* credentials: --token-file, $CREDENTIALS_DIRECTORY/<source>-token,
	 * $CHM_FETCH_TOKEN, $CHM_FETCH_BASIC (the main reads the environment) */
	const char *token_file, *credentials_dir, *env_token, *env_basic;
	const char *auth;                /* bearer, token, basic, login, or NULL: guessed */
	long state_interval_ms;          /* at most one state record this often */
	FILE *out;
	volatile int *interrupted;
	struct chm_progress *progress;   /* raw records written, for a person; NULL: none */
	/* filled by chm_fetch_job_run: what every pipeline fetched, and how many */
	struct chm_fetch_stats total;
	long pipelines;
};

/* Fetches every pipeline; the exit status (0, or the last pipeline's
 * failure, 75 after a signal), with a message for what failed. */
int chm_fetch_job_run(struct chm_fetch_job *job);

#endif
