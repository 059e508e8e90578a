/* suggest: "did you mean ...?" for a name that matches nothing: the nearest
 * candidate by edit distance, when it is near enough to be a typo; and the
 * one wording of an unknown option, which every program's parser uses
 * (cli.c's chm_getopt for getopt_long's tables, lib/cmd for chm's own). */
#ifndef CHM_SUGGEST_H
#define CHM_SUGGEST_H

#include <stddef.h>

#include "core/strbuf.h"

/* The candidate nearest to given (Levenshtein distance, at most a third of
 * its length and at least 2), or NULL. */
const char *chm_suggest(const char *given, const char *const *cands, size_t n);

/* Appends "unknown option --clinet (did you mean --client?)" for arg as
 * typed ("--clinet=x" names --clinet), the nearest of names (without
 * dashes) when one is near. */
void chm_suggest_option(struct strbuf *sb, const char *arg, const char *const *names, size_t n);

#endif
