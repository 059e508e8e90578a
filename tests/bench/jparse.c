/* jparse: the bare jansson parse loop, the limit for chm-normalize with our
 * JSON library (make bench, row 4): read each line, parse it, free it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long records = 0, bad = 0;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t e;
		json_t *v = json_loadb(line, (size_t)n, 0, &e);
		if (v) {
			records++;
			json_decref(v);
		} else {
			bad++;
		}
	}
	free(line);
	printf("%ld records, %ld not JSON\n", records, bad);
	return bad ? 1 : 0;
}
