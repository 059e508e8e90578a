/* chm-fetch: partner API -> `raw` records and `state` bookmarks on stdout,
 * for every pipeline of a source, across all pages, incrementally. The work
 * is lib/fetch_job.c's; this main reads the flags and the environment. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/chmtime.h"
#include "core/cli.h"
#include "engines/fetch_job.h"
#include "sources/pager.h"
#include "sources/source.h"

static volatile int terminated;

static void on_term(int sig)
{
	terminated = sig;
}

static void usage(FILE *fp)
{
	fputs("usage: chm-fetch --source airflow|dbt_cloud|vendor --base-url URL\n"
	      "                 [--client C] [--pipeline NAME] [--pipelines FILE | --db CONNINFO]\n"
	      "                 [--since T] [--state-file FILE] [--page-size N] [--max-pages N]\n"
	      "                 [--max-lookback DURATION] [--account-id ID] [--mapping FILE]\n"
	      "                 [--airflow-api v1|v2] [--state-interval S] [--now T]\n"
	      "                 [--token-file FILE] [--auth bearer|token|basic|login] [--cacert FILE]\n"
	      "                 [--connect-timeout S] [--timeout S] [--retries N] [--retry-delay S]\n"
	      "                 [--retry-max-time S] [--retry-after-max S] [--max-response BYTES]\n"
	      "                 [--progress]\n"
	      "Fetches the runs of every active pipeline of the source that has an external_id\n"
	      "and prints them as raw records, with a state record (the bookmarks) after each page.\n"
	      "Credentials: --token-file, $CREDENTIALS_DIRECTORY/<source>-token, $CHM_FETCH_TOKEN,\n"
	      "or $CHM_FETCH_BASIC (user:password); never on the command line.\n"
	      "On a terminal stderr shows runs, rate and time as it goes, and one line at the\n"
	      "end; --progress says so into a file too (a line a second).\n",
	      fp);
}

enum {
	O_SOURCE = 256, O_BASE, O_CLIENT, O_PIPELINE, O_PIPELINES, O_DB, O_SINCE, O_STATE, O_PAGE,
	O_MAXPAGES, O_ACCOUNT, O_MAPPING, O_TOKENFILE, O_AUTH, O_CACERT, O_CTIMEOUT, O_TIMEOUT,
	O_RETRIES, O_RDELAY, O_RMAX, O_RAMAX, O_MAXRESP, O_LOOKBACK, O_AFAPI, O_SINTERVAL, O_NOW,
	O_PROGRESS,
};

/* The flags that are times, read once every flag is known (--now first). */
struct times {
	const char *since, *lookback, *now;
};

/* An HTTP flag into ho: 1 when c was one, 0 when not, -1 on a bad value. */
static int http_option(int c, const char *arg, struct chm_http_opts *ho)
{
	int64_t n;
	switch (c) {
	case O_CACERT: ho->cacert = arg; return 1;
	case O_CTIMEOUT: return chm_opt_seconds("--connect-timeout", arg, 0.001, 3600, &ho->connect_timeout_ms) ? -1 : 1;
	case O_TIMEOUT: return chm_opt_seconds("--timeout", arg, 0.001, 86400, &ho->timeout_ms) ? -1 : 1;
	case O_RETRIES:
		if (chm_opt_int("--retries", arg, 0, 100, &n))
			return -1;
		ho->retries = (int)n;
		return 1;
	case O_RDELAY: return chm_opt_seconds("--retry-delay", arg, 0.001, 3600, &ho->retry_base_ms) ? -1 : 1;
	case O_RMAX: return chm_opt_seconds("--retry-max-time", arg, 0.001, 86400, &ho->retry_max_time_ms) ? -1 : 1;
	case O_RAMAX: return chm_opt_seconds("--retry-after-max", arg, 0.001, 86400, &ho->retry_after_max_ms) ? -1 : 1;
	case O_MAXRESP:
		if (chm_opt_int("--max-response", arg, 1024, (int64_t)1 << 32, &n))
			return -1;
		ho->max_body = (size_t)n;
		return 1;
	default: return 0;
	}
}

/* A fetch flag into job: 1 when c was one, 0 when not, -1 on a bad value. */
static int job_option(int c, const char *arg, struct chm_fetch_job *job, struct times *t)
{
	int64_t n;
	switch (c) {
	case O_SOURCE: job->source_name = arg; return 1;
	case O_BASE: job->fetch.base_url = arg; return 1;
	case O_CLIENT: job->client = arg; return 1;
	case O_PIPELINE: job->pipeline = arg; return 1;
	case O_PIPELINES: job->pipelines_file = arg; return 1;
	case O_DB: job->db = arg; return 1;
	case O_SINCE: t->since = arg; return 1;
	case O_LOOKBACK: t->lookback = arg; return 1;
	case O_NOW: t->now = arg; return 1;
	case O_STATE: job->state_file = arg; return 1;
	case O_ACCOUNT: job->fetch.account_id = arg; return 1;
	case O_MAPPING: job->mapping = arg; return 1;
	case O_TOKENFILE: job->token_file = arg; return 1;
	case O_PAGE:
		if (chm_opt_int("--page-size", arg, 1, 10000, &n))
			return -1;
		job->fetch.page_size = (int)n;
		return 1;
	case O_MAXPAGES:
		if (chm_opt_int("--max-pages", arg, 1, 1000000, &n))
			return -1;
		job->fetch.max_pages = (int)n;
		return 1;
	case O_AUTH:
		if (strcmp(arg, "bearer") && strcmp(arg, "token") && strcmp(arg, "basic") && strcmp(arg, "login"))
			return chm_warn("--auth: expected bearer, token, basic or login, got \"%s\"", arg), -1;
		job->auth = arg;
		return 1;
	case O_SINTERVAL:
		return chm_opt_seconds("--state-interval", arg, 0, 86400, &job->state_interval_ms) ? -1 : 1;
	case O_AFAPI:
		if (strcmp(arg, "v1") && strcmp(arg, "v2"))
			return chm_warn("--airflow-api: expected v1 or v2, got \"%s\"", arg), -1;
		job->fetch.airflow_v2 = arg[1] == '2';
		return 1;
	default: return 0;
	}
}

/* --now fixes the clock the lookback, --since and fetched_at count from,
 * so a replayed fixture gives the same answer on any day. */
static int read_times(const struct times *t, struct chm_fetch_opts *fo)
{
	struct chm_err err;
	int64_t clock = chm_time_now();
	if (t->now) {
		if (chm_time_parse_arg(t->now, clock, &fo->now, "--now", &err))
			return chm_report_err(&err), -1;
		clock = fo->now;
	}
	if (t->lookback) {
		int64_t then;
		if (chm_time_parse_arg(t->lookback, clock, &then, "--max-lookback", &err) || then > clock ||
		    strchr(t->lookback, 'T'))
			return chm_warn("--max-lookback: expected a duration such as 36h or 7d, got \"%s\"",
					t->lookback), -1;
		fo->max_lookback = clock - then;
	}
	if (t->since) {
		if (fo->source->pager->key != CHM_KEY_START)
			return chm_warn("--since: %s pages by run id; use the state file", fo->source->name), -1;
		if (chm_time_parse_arg(t->since, clock, &fo->since, "--since", &err))
			return chm_report_err(&err), -1;
		fo->has_since = 1;
	}
	return 0;
}

/* Every flag into job (--progress into *progress); -1 after a message for
 * a usage error. */
static int parse_args(int argc, char **argv, struct chm_fetch_job *job, int *progress)
{
	static const struct option opts[] = {
		{ "source", required_argument, NULL, O_SOURCE },
		{ "base-url", required_argument, NULL, O_BASE },
		{ "client", required_argument, NULL, O_CLIENT },
		{ "pipeline", required_argument, NULL, O_PIPELINE },
		{ "pipelines", required_argument, NULL, O_PIPELINES },
		{ "db", required_argument, NULL, O_DB },
		{ "since", required_argument, NULL, O_SINCE },
		{ "state-file", required_argument, NULL, O_STATE },
		{ "page-size", required_argument, NULL, O_PAGE },
		{ "max-pages", required_argument, NULL, O_MAXPAGES },
		{ "account-id", required_argument, NULL, O_ACCOUNT },
		{ "mapping", required_argument, NULL, O_MAPPING },
		{ "token-file", required_argument, NULL, O_TOKENFILE },
		{ "auth", required_argument, NULL, O_AUTH },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "connect-timeout", required_argument, NULL, O_CTIMEOUT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "retry-delay", required_argument, NULL, O_RDELAY },
		{ "retry-max-time", required_argument, NULL, O_RMAX },
		{ "retry-after-max", required_argument, NULL, O_RAMAX },
		{ "max-response", required_argument, NULL, O_MAXRESP },
		{ "max-lookback", required_argument, NULL, O_LOOKBACK },
		{ "airflow-api", required_argument, NULL, O_AFAPI },
		{ "state-interval", required_argument, NULL, O_SINTERVAL },
		{ "now", required_argument, NULL, O_NOW },
		{ "progress", no_argument, NULL, O_PROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct times t = { 0 };
	int c, r;

	while ((c = chm_getopt(argc, argv, "", opts)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(chm_close_stdout());
		}
		if (c == 'V')
			exit(chm_print_version());
		if (c == O_PROGRESS) {
			*progress = 1;
			continue;
		}
		if ((r = http_option(c, optarg, &job->http)) == 0)
			r = job_option(c, optarg, job, &t);
		if (r <= 0)
			return -1;   /* a bad value, or chm_getopt said why */
	}
	if (optind < argc)
		return chm_warn("unexpected argument \"%s\"", argv[optind]), usage(stderr), -1;
	const struct chm_source *src = job->source_name ? chm_source_find(job->source_name) : NULL;
	if (!src || !src->pager)
		return chm_warn(job->source_name ? "--source: expected one of %s, got \"%s\""
					      : "--source is required (one of %s)%s",
				chm_source_names(1), job->source_name ? job->source_name : ""), -1;
	job->fetch.source = src;
	const char *b = job->fetch.base_url;
	if (!b || (strncmp(b, "http://", 7) && strncmp(b, "https://", 8)))
		return chm_warn("--base-url: an http:// or https:// URL is required"), -1;
	if (src->pager->key == CHM_KEY_RUN_ID && !job->fetch.account_id)
		return chm_warn("--account-id is required for %s", src->name), -1;
	if (src->mapping_member && !job->mapping)
		return chm_warn("--mapping FILE is required for %s", src->name), -1;
	return read_times(&t, &job->fetch);
}

int main(int argc, char **argv)
{
	struct chm_fetch_job job = {
		.fetch = { .page_size = 100, .max_pages = 1000, .max_lookback = 7 * 86400 * INT64_C(1000000) },
		.http = { .retries = 5 },
		.db = getenv("CHM_DATABASE_URL"),
		.credentials_dir = getenv("CREDENTIALS_DIRECTORY"),
		.env_token = getenv("CHM_FETCH_TOKEN"),
		.env_basic = getenv("CHM_FETCH_BASIC"),
		.out = stdout,
		.interrupted = &terminated,
	};

	struct chm_progress progress;
	int progress_flag = 0;

	chm_cli_init("chm-fetch");
	if (parse_args(argc, argv, &job, &progress_flag))
		return CHM_EX_USAGE;
	job.progress = chm_progress_init(&progress, chm_progress_mode(progress_flag, STDERR_FILENO, STDOUT_FILENO), stderr,
					 chm_program, "runs", 1);
	signal(SIGPIPE, SIG_IGN); /* a closed reader shows up as EPIPE: we stop, quietly */
	/* SIGTERM/SIGINT: finish the line being written and stop after the page,
	 * so stdout never ends in half a record */
	struct sigaction sa = { 0 };
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int status = chm_fetch_job_run(&job);
	char c1[32], c2[32];
	chm_progress_end(job.progress, "fetched %s runs for %ld pipeline%s in %s page%s",
			 chm_progress_count(c1, job.total.emitted), job.pipelines, job.pipelines == 1 ? "" : "s",
			 chm_progress_count(c2, job.total.pages), job.total.pages == 1 ? "" : "s");
	return chm_exit_status(status, NULL);
}
