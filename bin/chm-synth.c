/* chm-synth: a deterministic synthetic run history (lib/synth.h), as raw
 * partner envelopes for chm-normalize or as canonical runs for chm-load.
 * SIGPIPE keeps its default on purpose: like yes(1), a generator whose
 * reader went away (`chm-synth | head`) has nothing left to do. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/chmtime.h"
#include "core/cli.h"
#include "engines/synth.h"

static void usage(FILE *fp)
{
	fputs("usage: chm-synth [--seed N] [--clients N] [--pipelines M] [--days D] [--end TIME]\n"
	      "                 [--runs N] [--format raw|canonical] [--inventory]\n"
	      "                 [--vendor-mapping NAME] [--stats] [--progress]\n"
	      "Writes a synthetic run history (NDJSON) on stdout: the same options give the\n"
	      "same bytes. raw (default): partner records in raw envelopes, for chm-normalize;\n"
	      "canonical: run records, for chm-load. --inventory writes the client, pipeline\n"
	      "and alert_rule records first. --end defaults to now, rounded down to the hour.\n"
	      "--runs N: about N run attempts (within 10%), every schedule sped up or slowed\n"
	      "down alike; without it each pipeline runs on its own schedule.\n"
	      "On a terminal stderr shows runs, rate and time as it goes, and one line at the\n"
	      "end; --progress says so into a file too (a line a second).\n",
	      fp);
}

struct synth_args {
	struct chm_synth_opts o;
	const char *end;
	int stats, progress;
};

/* Every flag into a. -1 after a message for a usage error. */
static int parse_args(int argc, char **argv, struct synth_args *a)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'c' },
		{ "pipelines", required_argument, NULL, 'p' },
		{ "days", required_argument, NULL, 'd' },
		{ "end", required_argument, NULL, 'e' },
		{ "runs", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "inventory", no_argument, NULL, 'i' },
		{ "vendor-mapping", required_argument, NULL, 'm' },
		{ "stats", no_argument, NULL, 'S' },
		{ "progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t v;
	int c;

	while ((c = chm_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 's':
			if (chm_opt_int("--seed", optarg, 0, INT64_MAX, &v))
				return -1;
			a->o.seed = (uint64_t)v;
			break;
		case 'c':
			if (chm_opt_int("--clients", optarg, 1, 100000, &v))
				return -1;
			a->o.clients = (int)v;
			break;
		case 'p':
			if (chm_opt_int("--pipelines", optarg, 1, 1000000, &v))
				return -1;
			a->o.pipelines = (int)v;
			break;
		case 'd':
			if (chm_opt_int("--days", optarg, 1, 3660, &v))
				return -1;
			a->o.days = (int)v;
			break;
		case 'e':
			a->end = optarg;
			break;
		case 'n':
			if (chm_opt_int("--runs", optarg, 1, INT64_MAX, &v))
				return -1;
			a->o.runs = v;
			break;
		case 'f':
			if (strcmp(optarg, "raw") == 0) {
				a->o.format = CHM_SYNTH_RAW;
			} else if (strcmp(optarg, "canonical") == 0) {
				a->o.format = CHM_SYNTH_CANONICAL;
			} else {
				chm_warn("--format: expected raw or canonical, got \"%s\"", optarg);
				return -1;
			}
			break;
		case 'i': a->o.inventory = 1; break;
		case 'm': a->o.vendor_mapping = optarg; break;
		case 'S': a->stats = 1; break;
		case 'P': a->progress = 1; break;
		case 'h': usage(stdout); exit(chm_close_stdout());
		case 'V': exit(chm_print_version());
		default: return -1; /* chm_getopt said why */
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct synth_args a = {
		.o = { .seed = 1, .clients = 3, .pipelines = 12, .days = 30, .format = CHM_SYNTH_RAW },
	};
	struct chm_synth_opts *o = &a.o;
	struct chm_synth_counts counts;
	struct chm_err err;

	chm_cli_init("chm-synth");
	chm_err_clear(&err);
	if (parse_args(argc, argv, &a))
		return CHM_EX_USAGE;
	argc -= optind;
	argv += optind;
	if (argc > 0) {
		chm_warn("unexpected argument \"%s\"", argv[0]);
		usage(stderr);
		return CHM_EX_USAGE;
	}
	int64_t now = chm_time_now();
	if (a.end) {
		if (chm_time_parse_arg(a.end, now, &o->end_usec, "--end", &err)) {
			chm_report_err(&err);
			return CHM_EX_USAGE;
		}
	} else {
		o->end_usec = now - now % (3600LL * 1000000);
	}

	int64_t t0 = chm_time_now();
	struct chm_progress progress;
	o->progress = chm_progress_init(&progress, chm_progress_mode(a.progress, STDERR_FILENO, STDOUT_FILENO), stderr,
					chm_program, "runs", 4096);
	if (chm_synth_run(o, stdout, &counts, &err))
		return chm_report_err(&err);
	char c1[32], c2[32];
	chm_progress_end(o->progress, "wrote %s runs (%s records)", chm_progress_count(c1, counts.runs),
			 chm_progress_count(c2, counts.records));
	if (a.stats) {
		double secs = (double)(chm_time_now() - t0) / 1e6;
		chm_warn("%lld runs, %lld records in %.2f s (%.0f records/s)",
			 (long long)counts.runs, (long long)counts.records, secs,
			 secs > 0 ? (double)counts.records / secs : 0.0);
	}
	return chm_close_stdout();
}
