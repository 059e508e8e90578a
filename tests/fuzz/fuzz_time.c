/* libFuzzer target: the timestamp parser (chm_time_parse, chm_time_parse_arg).
 * Invariant: what parses formats to a form that parses to the same instant. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct chm_err err;
	int64_t t, back;
	int assumed;

	memcpy(s, data, size);
	s[size] = '\0';
	for (int flags = 0; flags <= CHM_TIME_ALLOW_NO_ZONE; flags++) {
		if (chm_time_parse(s, flags, &t, &assumed, "t", &err) == 0) {
			char buf[CHM_TIME_BUFSZ], pg[CHM_TIME_BUFSZ];
			chm_time_format(t, buf);
			chm_time_format_pg(t, pg);
			if (chm_time_write(t, pg) != strlen(buf) || memcmp(pg, buf, strlen(buf)) != 0) {
				fprintf(stderr, "chm_time_write differs from chm_time_format for %s\n", buf);
				abort();
			}
			if (chm_time_parse(buf, 0, &back, NULL, "t", &err) != 0 || back != t) {
				fprintf(stderr, "\"%s\" -> %s does not parse back: %s\n", s, buf, err.msg);
				abort();
			}
		}
	}
	chm_time_parse_arg(s, INT64_C(1795392000000000), &t, "t", &err);
	free(s);
	return 0;
}
