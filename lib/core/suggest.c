#include "core/suggest.h"

#include <stdlib.h>
#include <string.h>

/* Edits (insert, delete, replace) from a to b; two rows of the table. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev = calloc(lb + 1, sizeof(*prev)), *cur = calloc(lb + 1, sizeof(*cur));
	if (!prev || !cur) {
		free(prev);
		free(cur);
		return (size_t)-1;
	}
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
		size_t *t = prev;
		prev = cur;
		cur = t;
	}
	size_t d = prev[lb];
	free(prev);
	free(cur);
	return d;
}

const char *chm_suggest(const char *given, const char *const *cands, size_t n)
{
	size_t len = strlen(given), limit = len / 3 > 2 ? len / 3 : 2, best = (size_t)-1;
	const char *pick = NULL;
	if (len > 256)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strlen(cands[i]) > 256)
			continue;
		size_t d = distance(given, cands[i]);
		if (d <= limit && d < best) {
			best = d;
			pick = cands[i];
		}
	}
	return pick;
}

void chm_suggest_option(struct strbuf *sb, const char *arg, const char *const *names, size_t n)
{
	const char *name = arg;
	while (*name == '-')
		name++;
	size_t dashes = (size_t)(name - arg), len = strcspn(name, "=");
	char *given = chm_xmalloc(len + 1);
	memcpy(given, name, len);
	given[len] = '\0';
	const char *pick = chm_suggest(given, names, n);
	strbuf_addf(sb, "unknown option %.*s%.200s", (int)(dashes ? dashes : 2), "--", given);
	if (pick)
		strbuf_addf(sb, " (did you mean --%s?)", pick);
	free(given);
}
