/* chm-normalize: partner run events (raw envelopes, saved API pages, bare
 * records) -> canonical run records on stdout; other records pass through. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/reject.h"
#include "engines/normalize.h"

static void usage(FILE *fp)
{
	fputs("usage: chm-normalize [--source SOURCE] [--client NAME] [--pipeline NAME]\n"
	      "                     [--external-id ID] [--mapping FILE]... [--include-children]\n"
	      "                     [--children-file FILE] [--rejects FILE] [--summary]\n"
	      "                     [--progress] [FILE...]\n"
	      "Turns partner run events into canonical run records (NDJSON on stdout).\n"
	      "Reads raw envelopes; with --source, also a saved API page, one object, or NDJSON\n"
	      "of bare records. SOURCE: airflow dbt_cloud dbt_artifact openlineage vendor cron.\n"
	      "state and other records pass through unchanged; bad records become rejects.\n"
	      "On a terminal stderr shows records, rate and time as it goes, and one line\n"
	      "at the end; --progress says so into a file too (a line a second).\n",
	      fp);
}

struct norm_args {
	struct chm_norm_opts nopts;
	const char *mappings[32];
	const char *rejects;
	int summary, progress;
};

/* Every flag into a; the files are argv[optind..]. -1 after a message for
 * a usage error. */
static int parse_args(int argc, char **argv, struct norm_args *a)
{
	static const struct option opts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "client", required_argument, NULL, 'c' },
		{ "pipeline", required_argument, NULL, 'p' },
		{ "external-id", required_argument, NULL, 'e' },
		{ "mapping", required_argument, NULL, 'm' },
		{ "include-children", no_argument, NULL, 'C' },
		{ "children-file", required_argument, NULL, 'K' },
		{ "rejects", required_argument, NULL, 'r' },
		{ "summary", no_argument, NULL, 'S' },
		{ "progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = chm_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 's': a->nopts.source = optarg; break;
		case 'c': a->nopts.client = optarg; break;
		case 'p': a->nopts.pipeline = optarg; break;
		case 'e': a->nopts.external_id = optarg; break;
		case 'm':
			if (a->nopts.nmappings == sizeof(a->mappings) / sizeof(a->mappings[0])) {
				chm_warn("--mapping: at most 32 files");
				return -1;
			}
			a->mappings[a->nopts.nmappings++] = optarg;
			break;
		case 'C': a->nopts.include_children = 1; break;
		case 'K': a->nopts.children_file = optarg; break;
		case 'r': a->rejects = optarg; break;
		case 'S': a->summary = 1; break;
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
	struct norm_args a = { 0 };
	struct chm_norm_opts *nopts = &a.nopts;
	struct chm_rejects rejects;
	struct chm_err err;
	int status = 0;

	chm_cli_init("chm-normalize");
	chm_err_clear(&err);
	if (parse_args(argc, argv, &a))
		return CHM_EX_USAGE;
	argc -= optind;
	argv += optind;
	if (nopts->pipeline && nopts->external_id) {
		chm_warn("give --pipeline or --external-id, not both");
		return CHM_EX_USAGE;
	}
	nopts->mappings = a.mappings;
	nopts->vendor_dir = getenv("CHM_VENDOR_DIR");
	/* for tests: the general path only, to compare it with the fast one */
	const char *slow = getenv("CHM_NORMALIZE_NO_FASTPATH");
	nopts->no_fast_path = slow && *slow && strcmp(slow, "0") != 0;

	struct chm_progress progress;
	nopts->progress = chm_progress_init(&progress, chm_progress_mode(a.progress, STDERR_FILENO, STDOUT_FILENO), stderr,
					    chm_program, "records", 4096);
	if (chm_rejects_open(&rejects, "chm-normalize", a.rejects, &err))
		return chm_report_err(&err);
	struct chm_norm *n = chm_norm_new(nopts, stdout, &rejects, &err);
	if (!n) {
		chm_rejects_close(&rejects, NULL);
		return chm_report_err(&err);
	}

	int rc = chm_norm_files(n, argv, argc, &status, &err);
	const struct chm_norm_counts *k = chm_norm_counts(n);
	struct chm_err ferr;
	if (chm_norm_flush(n, &ferr) && !rc) {
		rc = -1;
		err = ferr;
	}
	if (a.summary)
		printf("{\"type\":\"summary\",\"program\":\"chm-normalize\",\"read\":%ld,\"runs\":%ld,"
		       "\"passed\":%ld,\"no_run\":%ld,\"children\":%ld,\"rejected\":%ld}\n",
		       k->read, k->runs, k->passed, k->no_run, k->children, k->rejected);
	char c1[32], c2[32], c3[32], c4[32];
	chm_progress_end(nopts->progress, "normalized %s records: %s runs, %s passed through, %s rejected",
			 chm_progress_count(c1, k->read), chm_progress_count(c2, k->runs),
			 chm_progress_count(c3, k->passed), chm_progress_count(c4, k->rejected));
	if (k->no_run || k->children)
		chm_warn("%ld event(s) changed no status (OpenLineage OTHER, no eventType, DatasetEvent or JobEvent), "
			 "%ld child run(s) skipped (--include-children keeps them)",
			 k->no_run, k->children);
	if (rc)
		status = chm_report_err(&err);
	else if (k->rejected && !status)
		status = CHM_EX_DATAERR;
	chm_norm_free(n);
	return chm_exit_status(status, &rejects);
}
