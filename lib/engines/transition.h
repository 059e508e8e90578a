/* transition: the run transition rules of sql/migrations/002_run_transitions.sql
 * (chm_run_action, chm_run_pick, chm_run_pick_status) and 004 (chm_run_duration)
 * in C. chm-load's fast path uses them to fold the events of a new run that
 * arrive in one batch into the one row it COPYs, instead of inserting the first
 * event and updating the row with each later one (every such update writes a
 * second row version and an entry in every index). PostgreSQL's functions stay
 * the rules for every run already stored; these must agree with them, and
 * tests/t0171-load-fold.bats loads random event sequences both ways to prove it.
 * Change one, change both. 012 splits 'merge' into 'merge' and 'same' (the same
 * terminal status), which pick every field alike except the payload (the
 * greater in jsonb's order); here both are MERGE, and a batch holding two
 * such events with different payloads is left to PostgreSQL (loader.c). */
#ifndef CHM_TRANSITION_H
#define CHM_TRANSITION_H

#include <stdint.h>

enum chm_regressions { CHM_REGRESSIONS_IGNORE, CHM_REGRESSIONS_REJECT, CHM_REGRESSIONS_ACCEPT };
/* The policies' names, in the enum's order (--regressions). */
extern const char *const chm_regressions_names[];
/* "ignore" -> CHM_REGRESSIONS_IGNORE; -1 when it is none of them. */
int chm_regressions_parse(const char *name, enum chm_regressions *out);

enum chm_transition {
	CHM_TRANSITION_INSERT,
	CHM_TRANSITION_REPLACE,
	CHM_TRANSITION_OLDER,
	CHM_TRANSITION_MERGE,
	CHM_TRANSITION_FILL,
	CHM_TRANSITION_REJECT,
};

/* chm_run_action (048): the action for an event (new_*) against a stored run
 * (old_*; old_status NULL: none). A time that is absent compares as SQL's
 * NULL does: neither later nor earlier. */
enum chm_transition chm_transition_action(const char *old_status, int has_old_started,
				      int64_t old_started, int has_old_finished, int64_t old_finished,
				      const char *new_status, int has_new_started, int64_t new_started,
				      enum chm_regressions policy);
/* chm_run_pick: 1 when a field takes the event's value, 0 the stored one. */
int chm_transition_takes_new(enum chm_transition a, int old_is_null, int new_is_null);
/* chm_run_pick_status: 1 when the status becomes the event's. */
int chm_transition_takes_new_status(enum chm_transition a);
/* chm_run_duration in microseconds: finished - started when both are known
 * and finished is not before started, else -1. */
int64_t chm_transition_duration_us(int has_started, int64_t started, int has_finished,
				   int64_t finished);

#endif
