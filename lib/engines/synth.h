/* synth: a deterministic synthetic run history for demos and benchmarks.
 *
 * N clients, M pipelines spread across every platform and pipeline type, D
 * days of runs on each pipeline's schedule ending at a given time, with the
 * shapes a real history has: flaky pipelines, an outage day across one
 * client, durations drifting under log-normal noise, late and missing runs,
 * retries, runs still running at the end, unknown source statuses. With a
 * number of runs asked for, every schedule's period is scaled by one
 * factor so the history holds about that many (the mix of schedules stays).
 *
 * Output is either raw envelopes whose record is in the partner's own format
 * (so chm-normalize is exercised) or canonical run records. Everything comes
 * from one seed through a private PRNG (never rand()), so the same options
 * give the same bytes. The generator streams: it holds one pipeline's state
 * and one output buffer, whatever the number of runs. */
#ifndef CHM_SYNTH_H
#define CHM_SYNTH_H

#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/progress.h"

enum chm_synth_format {
	CHM_SYNTH_RAW,
	CHM_SYNTH_CANONICAL,
};

struct chm_synth_opts {
	uint64_t seed;
	int clients;               /* >= 1 */
	int pipelines;             /* >= 1 */
	int days;                  /* >= 1 */
	int64_t end_usec;          /* the history ends here (exclusive) */
	int64_t runs;              /* about this many run attempts: every pipeline's
				    * period scaled to make them; 0: the schedules' own */
	enum chm_synth_format format;
	int inventory;             /* emit client/pipeline/alert_rule records first */
	const char *vendor_mapping;/* when set, vendor envelopes name this mapping */
	struct chm_progress *progress;  /* runs written, for a person; NULL: none */
};

struct chm_synth_counts {
	int64_t runs;              /* run attempts emitted (an attempt may take two records) */
	int64_t records;           /* lines written, inventory included */
};

/* Writes the history to out. 0, or -1 with err (CHM_EX_IOERR) when a write
 * fails; counts (may be NULL) says how much was written. */
int chm_synth_run(const struct chm_synth_opts *opts, FILE *out,
		  struct chm_synth_counts *counts, struct chm_err *err);

#endif
