/* chm-exec (`chm exec`): runs a cron job and records it as a run of the cron
 * platform: a running event when it starts, a terminal one when it ends. The
 * job's own output is untouched and its exit status is ours; recording it
 * never stops it from running. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "engines/exec_job.h"

static void usage(FILE *fp)
{
	fputs("usage: chm exec --pipeline CLIENT/NAME [--load [--db CONNINFO]]\n"
	      "                [--events FILE | --events-fd N] [--format run|raw] -- COMMAND [ARGS...]\n"
	      "Runs COMMAND and records it as a run of the cron pipeline CLIENT/NAME: a running\n"
	      "event at start, success or failed at the end. COMMAND's output passes through\n"
	      "untouched and its exit status is chm exec's.\n",
	      fp);
}

/* Every flag into job (pipeline still CLIENT/NAME); the command is
 * argv[optind..]. -1 after a message for a usage error. */
static int parse_args(int argc, char **argv, struct chm_exec_job *job, const char **pipeline)
{
	static const struct option opts[] = {
		{ "pipeline", required_argument, NULL, 'p' },
		{ "load", no_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "events", required_argument, NULL, 'e' },
		{ "events-fd", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t n;
	int c;

	/* "+": options end at the command, whose options are its own */
	while ((c = chm_getopt(argc, argv, "+", opts)) != -1) {
		switch (c) {
		case 'p': *pipeline = optarg; break;
		case 'l': job->load = 1; break;
		case 'd': job->db = optarg; break;
		case 'e': job->events = optarg; break;
		case 'f':
			if (chm_opt_int("--events-fd", optarg, 0, 1 << 20, &n))
				return -1;
			job->events_fd = (int)n;
			break;
		case 'F':
			if (strcmp(optarg, "run") && strcmp(optarg, "raw"))
				return chm_warn("--format: expected run or raw, got \"%s\"", optarg), -1;
			job->raw = optarg[1] == 'a';
			break;
		case 'h': usage(stdout); exit(chm_close_stdout());
		case 'V': exit(chm_print_version());
		default: return -1; /* chm_getopt said why */
		}
	}
	return 0;
}

/* What the flags must say together (after --pipeline). */
static int check_args(int argc, const struct chm_exec_job *job)
{
	if (optind == argc)
		return chm_warn("no command to run (give it after --)"), -1;
	if (!job->load && !job->events && job->events_fd < 0)
		return chm_warn("say where the run events go: --events FILE, --events-fd N or --load"), -1;
	if (job->events && job->events_fd >= 0)
		return chm_warn("--events and --events-fd: give one"), -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct chm_exec_job job = { .db = getenv("CHM_DATABASE_URL"), .events_fd = -1 };
	const char *pipeline = NULL;
	char client[256];

	chm_cli_init("chm-exec");
	int bad = parse_args(argc, argv, &job, &pipeline);
	const char *slash = pipeline ? strchr(pipeline, '/') : NULL;
	if (!bad && (!slash || slash == pipeline || !slash[1] || (size_t)(slash - pipeline) >= sizeof(client))) {
		chm_warn("--pipeline CLIENT/NAME is required");
		usage(stderr);
		bad = 1;
	}
	if (bad || check_args(argc, &job))
		return CHM_EX_USAGE;
	snprintf(client, sizeof(client), "%.*s", (int)(slash - pipeline), pipeline);
	job.client = client;
	job.pipeline = slash + 1;
	/* Acme/EU/orders: which "/" ends the client is chm-load's to find */
	if (strchr(slash + 1, '/')) {
		job.client = NULL;
		job.pipeline = pipeline;
	}
	signal(SIGPIPE, SIG_IGN);
	return chm_exec_job_run(&job, argv + optind, argc - optind);
}
