/* libFuzzer target: the record parser (chm_record_parse) and the canonical
 * run on top of it (chm_run_from_json, chm_run_to_json, chm_run_write), and
 * the reject record of whatever was refused. Invariant: a run that validates
 * validates again from its own canonical form. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "reject.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct chm_err err;
	const char *type;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	chm_err_clear(&err);
	json_t *obj = chm_record_parse((const char *)data, size, &type, &err);
	if (!obj) {
		struct chm_rejects rj = { .fp = devnull, .fd = -1, .program = "fuzz" };
		chm_reject_err(&rj, "-", 1, &err, (const char *)data, size);
		return 0;
	}
	struct chm_run run;
	if (chm_run_from_json(obj, &run, &err) == 0) {
		json_t *canon = chm_run_to_json(&run);
		struct chm_run again;
		struct chm_err err2;
		if (chm_run_from_json(canon, &again, &err2) != 0) {
			fprintf(stderr, "canonical form does not validate: %s\n", err2.msg);
			abort();
		}
		struct strbuf sb = STRBUF_INIT;
		chm_run_write(&sb, &run, NULL, 0);
		json_t *back = json_loadb(sb.buf, sb.len - 1, JSON_REJECT_DUPLICATES, NULL);
		if (!back || chm_run_from_json(back, &again, &err2) != 0) {
			fprintf(stderr, "chm_run_write output does not validate: %.*s\n", (int)sb.len, sb.buf);
			abort();
		}
		json_decref(back);
		strbuf_release(&sb);
		json_decref(canon);
	} else {
		struct chm_rejects rj = { .fp = devnull, .fd = -1, .program = "fuzz" };
		chm_reject_err(&rj, "-", 1, &err, (const char *)data, size);
	}
	json_decref(obj);
	return 0;
}
