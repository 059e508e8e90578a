/* libFuzzer target: one normalize source adapter (FUZZ_SOURCE, set when
 * compiled) through the whole chm-normalize engine: the input is read as
 * chm-normalize --source FUZZ_SOURCE reads a file (NDJSON of bare records or
 * raw envelopes, or a whole page). Invariants: every run record written
 * validates as a canonical run, and the fast path and the general path give
 * the same bytes (normalize.c promises it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engines/normalize.h"
#include "core/record.h"
#include "core/reject.h"
#include "core/run.h"

#ifndef FUZZ_SOURCE
#error "compile with -DFUZZ_SOURCE='\"airflow\"'"
#endif
#ifndef FUZZ_ROOT
#define FUZZ_ROOT "."
#endif

static int input_fd = -1;

/* Normalizes data; returns stdout and the rejects in *out and *rej (malloc'ed). */
static void normalize(const uint8_t *data, size_t size, int no_fast, char **out, size_t *out_len,
		      char **rej, size_t *rej_len)
{
	const char *mappings[] = { FUZZ_ROOT "/pipelines/vendors/rat.json" };
	struct chm_norm_opts opts = { 0 };
	struct chm_err err;

	opts.source = FUZZ_SOURCE;
	opts.client = "acme";
	opts.external_id = "x";
	opts.no_fast_path = no_fast;
	opts.doc_max = 1u << 20;
	if (strcmp(FUZZ_SOURCE, "vendor") == 0) {
		opts.mappings = mappings;
		opts.nmappings = 1;
	}
	FILE *o = open_memstream(out, out_len);
	FILE *r = open_memstream(rej, rej_len);
	struct chm_rejects rj = { .fp = r, .fd = -1, .program = "chm-normalize" };
	struct chm_norm *n = chm_norm_new(&opts, o, &rj, &err);
	if (!n) {
		fprintf(stderr, "chm_norm_new: %s\n", err.msg);
		abort();
	}
	if (ftruncate(input_fd, 0) || pwrite(input_fd, data, size, 0) != (ssize_t)size ||
	    lseek(input_fd, 0, SEEK_SET) != 0)
		abort();
	FILE *in = fdopen(dup(input_fd), "r");
	chm_norm_file(n, in, "fuzz", &err);
	chm_norm_flush(n, &err);
	chm_norm_free(n);
	fclose(in);
	fclose(o);
	fclose(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out1, *out2, *rej1, *rej2;
	size_t len1, len2, rlen1, rlen2;

	if (input_fd < 0 && (input_fd = memfd_create("fuzz", 0)) < 0)
		abort();
	normalize(data, size, 0, &out1, &len1, &rej1, &rlen1);
	normalize(data, size, 1, &out2, &len2, &rej2, &rlen2);
	if (len1 != len2 || memcmp(out1, out2, len1) != 0 || rlen1 != rlen2 ||
	    memcmp(rej1, rej2, rlen1) != 0) {
		fprintf(stderr, "fast path and general path differ:\n%.*s\n---\n%.*s\n", (int)len1, out1,
			(int)len2, out2);
		abort();
	}
	/* every run written is a valid canonical run (what chm-load reads) */
	char *line = out1, *end = out1 + len1;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		struct chm_err err;
		const char *type;
		json_t *obj = chm_record_parse(line, n, &type, &err);
		if (!obj) {
			fprintf(stderr, "output line is not a record: %s\n%.*s\n", err.msg, (int)n, line);
			abort();
		}
		struct chm_run run;
		if (type && strcmp(type, "run") == 0 && chm_run_from_json(obj, &run, &err) != 0) {
			fprintf(stderr, "output run does not validate: %s\n%.*s\n", err.msg, (int)n, line);
			abort();
		}
		json_decref(obj);
		line += n + 1;
	}
	free(out1);
	free(out2);
	free(rej1);
	free(rej2);
	return 0;
}
