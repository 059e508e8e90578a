/* alert: the enabled alert rules evaluated against the runs (chm-alert), and
 * the alert state both chm-alert and chm-notify keep in one file. It owns
 * what an incident is (which failures open it, what resolves it, its stable
 * key) and the shape of that state, so the program that decides and the
 * program that delivers cannot disagree about either.
 *
 * The state value, as chm-load keeps bookmarks (written only after what
 * precedes it was delivered):
 *   {"alerts":{"rules":{"<rule id>":"<first evaluation>"},
 *              "open":{"<key>":{rule_id, pipeline_id, rule_type, channel,
 *                               destination, client, pipeline, platform,
 *                               since, notified_at}}}}
 * A rule's first evaluation is when CHM started watching with it: failures
 * that started before it never fire the rule, so a new rule (or the first run)
 * does not page anyone about history. */
#ifndef CHM_ALERT_H
#define CHM_ALERT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "core/err.h"

struct chm_alert_opts {
	int64_t now;            /* usec: evaluate as of this time */
	int64_t repeat_after;   /* usec: notify an open incident again after this; 0 = never */
	const char *report_url; /* put in every alert as report_url; NULL = null */
	int64_t rule_id;        /* only this rule, enabled or not; 0 = every enabled rule */
	int whole_history;      /* every failure counts, as if always watched (chm rule test) */
};

/* Appends the alert records (firing, then resolved, each a new reference) to
 * the array alerts and sets *next to the state value once all of them are
 * delivered. prev is the state value read from the file, or NULL. */
int chm_alert_evaluate(PGconn *conn, const struct chm_alert_opts *o, json_t *prev, json_t *alerts,
		       json_t **next, struct chm_err *err);

/* Applies one delivered alert record to a state value, in place: a firing
 * alert opens (or refreshes) its incident, a resolved one closes it. */
void chm_alert_state_apply(json_t *state, json_t *alert);
/* Takes the rules' first evaluations of from into state. */
void chm_alert_state_take_rules(json_t *state, json_t *from);
/* A new empty state value. */
json_t *chm_alert_state_new(void);

/* Is this record an alert record chm-notify can deliver? NULL when it is,
 * else what is wrong with it (a static string). */
const char *chm_alert_check(json_t *alert);

#endif
