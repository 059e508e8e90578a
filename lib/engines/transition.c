#include "engines/transition.h"

#include <string.h>

enum chm_transition chm_transition_action(const char *old_status, int has_old_started,
				      int64_t old_started, int has_old_finished, int64_t old_finished,
				      const char *new_status, int has_new_started, int64_t new_started,
				      enum chm_regressions policy)
{
	int both = has_old_started && has_new_started;
	if (!old_status)
		return CHM_TRANSITION_INSERT;
	if (both && new_started > old_started &&
	    (strcmp(old_status, "running") == 0 || !has_old_finished || new_started >= old_finished))
		return CHM_TRANSITION_REPLACE;
	if (both && new_started < old_started)
		return CHM_TRANSITION_OLDER;
	if (strcmp(old_status, "running") == 0 || strcmp(new_status, old_status) == 0)
		return CHM_TRANSITION_MERGE;
	if (policy == CHM_REGRESSIONS_ACCEPT)
		return CHM_TRANSITION_MERGE;
	if (policy == CHM_REGRESSIONS_REJECT)
		return CHM_TRANSITION_REJECT;
	return CHM_TRANSITION_FILL;
}

int chm_transition_takes_new(enum chm_transition a, int old_is_null, int new_is_null)
{
	switch (a) {
	case CHM_TRANSITION_INSERT:
	case CHM_TRANSITION_REPLACE:
		return 1;
	case CHM_TRANSITION_MERGE:   /* coalesce(new, old) */
		return !new_is_null || old_is_null;
	case CHM_TRANSITION_FILL:    /* coalesce(old, new) */
		return old_is_null && !new_is_null;
	default:
		return 0;
	}
}

int chm_transition_takes_new_status(enum chm_transition a)
{
	return a != CHM_TRANSITION_FILL && a != CHM_TRANSITION_OLDER && a != CHM_TRANSITION_REJECT;
}

int64_t chm_transition_duration_us(int has_started, int64_t started, int has_finished,
				   int64_t finished)
{
	return has_started && has_finished && finished >= started ? finished - started : -1;
}

const char *const chm_regressions_names[] = { "ignore", "reject", "accept", NULL };

int chm_regressions_parse(const char *name, enum chm_regressions *out)
{
	for (int i = 0; chm_regressions_names[i]; i++)
		if (strcmp(name, chm_regressions_names[i]) == 0) {
			*out = (enum chm_regressions)i;
			return 0;
		}
	return -1;
}
