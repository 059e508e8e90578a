/* suggest: "did you mean ...?" for a name that matches nothing: the nearest
 * candidate by edit distance, when it is near enough to be a typo. */
#ifndef CHM_SUGGEST_H
#define CHM_SUGGEST_H

#include <stddef.h>

/* The candidate nearest to given (Levenshtein distance, at most a third of
 * its length and at least 2), or NULL. */
const char *chm_suggest(const char *given, const char *const *cands, size_t n);

#endif
