/* libFuzzer target: the record parser (chm_record_parse) and the canonical
 * run on top of it (chm_run_from_json, chm_run_to_json, chm_run_write), and
 * the reject record of whatever was refused. Invariant: a run that validates
 * validates again from its own canonical form. And the page walk of
 * chm-fetch and chm-normalize (chm_json_array_*): its envelope and its
 * elements, each parsed alone, accept exactly what jansson accepts of the
 * whole (but for jansson's depth limit, which an element alone is one level
 * further from). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "core/reject.h"
#include "core/run.h"
#include "core/strbuf.h"

/* 1 when the envelope, the separators and every element parse. */
static int walk_ok(struct chm_json_array *a, const char *s, size_t len)
{
	struct strbuf env = STRBUF_INIT;
	const char *es;
	size_t el, nv;
	int r, ok;

	chm_json_array_envelope(a, &env);
	strbuf_add(&env, a->doc_end, (size_t)(s + len - a->doc_end));
	json_t *v = json_loadb(env.buf, env.len, JSON_REJECT_DUPLICATES, NULL);
	strbuf_release(&env);
	ok = v != NULL;
	json_decref(v);
	while (ok && (r = chm_json_array_next(a, &es, &el, &nv)) != 0) {
		if (r < 0 || es < a->open || es + el > a->close) {
			ok = 0;
			break;
		}
		json_t *item = json_loadb(es, el, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
		ok = item != NULL;
		json_decref(item);
	}
	return ok;
}

static void check_walk(const char *s, size_t len)
{
	static const char *const paths[] = { "", "dag_runs", "data", "record", "data.runs", NULL };
	json_error_t jerr;
	json_t *whole = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);

	for (const char *const *p = paths; *p; p++) {
		struct chm_json_array a;
		if (!chm_json_array_find(&a, s, len, *p))
			continue;
		int ok = walk_ok(&a, s, len);
		if (whole && !ok) {
			fprintf(stderr, "page walk at \"%s\" refuses what jansson reads\n", *p);
			abort();
		}
		if (!whole && ok && !strstr(jerr.text, "depth")) {
			fprintf(stderr, "page walk at \"%s\" accepts what jansson refuses: %s\n", *p, jerr.text);
			abort();
		}
	}
	json_decref(whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct chm_err err;
	const char *type;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	check_walk((const char *)data, size);
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
