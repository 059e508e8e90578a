#include "engines/alert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/db.h"
#include "core/record.h"
#include "core/strbuf.h"

/* The members an open incident keeps, so that resolving it later (even when
 * its rule was disabled or its pipeline dropped out of scope) can still say
 * what it was about. */
static const char *const incident_fields[] = {
	"rule_id", "pipeline_id", "rule_type", "channel", "destination",
	"client", "pipeline", "platform", "since",
};

json_t *chm_alert_state_new(void)
{
	return json_pack("{s:{s:{},s:{}}}", "alerts", "rules", "open");
}

/* The "alerts" object of a state value, created when missing. */
static json_t *section(json_t *state, const char *name)
{
	json_t *alerts = json_object_get(state, "alerts");
	if (!json_is_object(alerts)) {
		alerts = json_object();
		json_object_set_new(state, "alerts", alerts);
	}
	json_t *s = json_object_get(alerts, name);
	if (!json_is_object(s)) {
		s = json_object();
		json_object_set_new(alerts, name, s);
	}
	return s;
}

void chm_alert_state_apply(json_t *state, json_t *alert)
{
	json_t *open = section(state, "open");
	const char *key = json_string_value(json_object_get(alert, "key"));
	const char *st = json_string_value(json_object_get(alert, "state"));

	if (!key || !st)
		return;
	if (strcmp(st, "firing")) {
		json_object_del(open, key);
		return;
	}
	json_t *inc = json_object();
	for (size_t i = 0; i < sizeof(incident_fields) / sizeof(*incident_fields); i++) {
		json_t *v = json_object_get(alert, incident_fields[i]);
		json_object_set(inc, incident_fields[i], v ? v : json_null());
	}
	json_object_set(inc, "notified_at", json_object_get(alert, "at"));
	json_object_set_new(open, key, inc);
}

void chm_alert_state_take_rules(json_t *state, json_t *from)
{
	json_t *rules = json_object_get(json_object_get(from, "alerts"), "rules");
	if (!json_is_object(rules))
		return;
	section(state, "rules"); /* state.alerts exists from here on */
	json_object_set(json_object_get(state, "alerts"), "rules", rules);
}

const char *chm_alert_check(json_t *a)
{
	static const char *const strings[] = { "key", "state", "channel", "destination", "rule_type" };
	for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++)
		if (!json_is_string(json_object_get(a, strings[i])))
			return strings[i];
	const char *st = json_string_value(json_object_get(a, "state"));
	if (strcmp(st, "firing") && strcmp(st, "resolved"))
		return "state";
	const char *ch = json_string_value(json_object_get(a, "channel"));
	if (strcmp(ch, "slack") && strcmp(ch, "webhook") && strcmp(ch, "email"))
		return "channel";
	if (!json_is_integer(json_object_get(a, "rule_id")))
		return "rule_id";
	/* the messages quote the run ids as text */
	json_t *runs = json_object_get(a, "runs"), *run;
	size_t i;
	if (runs && !json_is_null(runs) && !json_is_array(runs))
		return "runs";
	json_array_foreach(runs, i, run)
		if (!json_is_string(run))
			return "runs";
	return NULL;
}

static json_t *text_or_null(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

static json_t *int_or_null(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null()
					  : json_integer(strtoll(PQgetvalue(res, row, col), NULL, 10));
}

/* The incident key: stable for the rule, the pipeline and when the incident
 * started, so a receiver that saw it before can drop a second delivery. */
static void incident_key(char *buf, size_t n, long long rule, long long pipeline, const char *since)
{
	snprintf(buf, n, "r%lld-p%lld-%s", rule, pipeline, since);
}

/* "rule:pipeline" -> key of the incident open for it in prev. */
static json_t *index_open(json_t *prev_open)
{
	json_t *idx = json_object();
	const char *key;
	json_t *inc;
	json_object_foreach(prev_open, key, inc) {
		char pair[64];
		snprintf(pair, sizeof(pair), "%lld:%lld",
			 (long long)json_integer_value(json_object_get(inc, "rule_id")),
			 (long long)json_integer_value(json_object_get(inc, "pipeline_id")));
		json_object_set_new(idx, pair, json_string(key));
	}
	return idx;
}

/* The resolved record of an open incident from what the state kept of it;
 * reason NULL: a run succeeded. */
static json_t *alert_from_incident(const char *key, json_t *inc, const char *at, const char *report_url,
				   const char *reason)
{
	json_t *a = json_pack("{s:s,s:s,s:s}", "type", "alert", "key", key, "state", "resolved");
	for (size_t i = 0; i < sizeof(incident_fields) / sizeof(*incident_fields); i++) {
		json_t *v = json_object_get(inc, incident_fields[i]);
		json_object_set(a, incident_fields[i], v ? v : json_null());
	}
	json_object_set_new(a, "last_failed_at", json_null());
	json_object_set_new(a, "failures", json_integer(0));
	json_object_set_new(a, "threshold", json_null());
	json_object_set_new(a, "window_minutes", json_null());
	json_object_set_new(a, "runs", json_array());
	json_object_set_new(a, "last_error", json_null());
	json_object_set_new(a, "last_notified_at", json_null());
	json_object_set_new(a, "report_url", report_url ? json_string(report_url) : json_null());
	json_object_set_new(a, "at", json_string(at));
	if (reason)
		json_object_set_new(a, "reason", json_string(reason));
	return a;
}

enum { C_RULE, C_PIPELINE, C_TYPE, C_CHANNEL, C_DEST, C_THRESHOLD, C_WINDOW, C_CLIENT, C_PNAME,
       C_PLATFORM, C_FIRST, C_FAILURES, C_SINCE, C_LAST_FAILED, C_RUNS, C_LAST_ERROR };

/* One evaluation in progress: the state before, the state after, the
 * incidents still to account for. */
struct eval {
	const struct chm_alert_opts *o;
	char now[CHM_TIME_BUFSZ];
	json_t *prev_open;           /* borrowed from prev_state */
	json_t *state, *rules, *open;
	json_t *idx;                 /* "rule:pipeline" -> open incident key */
	json_t *alerts, *resolved;
};

/* The alert record of row i: firing or resolved, under key. */
static json_t *alert_of_row(const struct eval *e, PGresult *res, int i, const char *key, int firing,
			    const char *since)
{
	json_error_t jerr;
	json_t *runs = json_loads(PQgetvalue(res, i, C_RUNS), 0, &jerr);
	json_t *a = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s}",
			      "type", "alert", "key", key, "state", firing ? "firing" : "resolved",
			      "rule_id", (json_int_t)strtoll(PQgetvalue(res, i, C_RULE), NULL, 10),
			      "rule_type", PQgetvalue(res, i, C_TYPE),
			      "channel", PQgetvalue(res, i, C_CHANNEL),
			      "destination", PQgetvalue(res, i, C_DEST),
			      "client", PQgetvalue(res, i, C_CLIENT),
			      "pipeline", PQgetvalue(res, i, C_PNAME),
			      "platform", PQgetvalue(res, i, C_PLATFORM),
			      "pipeline_id", (json_int_t)strtoll(PQgetvalue(res, i, C_PIPELINE), NULL, 10),
			      "since", since);
	json_object_set_new(a, "last_failed_at", text_or_null(res, i, C_LAST_FAILED));
	json_object_set_new(a, "failures", json_integer(strtoll(PQgetvalue(res, i, C_FAILURES), NULL, 10)));
	json_object_set_new(a, "threshold", int_or_null(res, i, C_THRESHOLD));
	json_object_set_new(a, "window_minutes", int_or_null(res, i, C_WINDOW));
	json_object_set_new(a, "runs", runs ? runs : json_array());
	json_object_set_new(a, "last_error", text_or_null(res, i, C_LAST_ERROR));
	json_object_set_new(a, "report_url", e->o->report_url ? json_string(e->o->report_url) : json_null());
	json_object_set_new(a, "at", json_string(e->now));
	return a;
}

/* Row i: a rule and a pipeline it covers, with what the window holds. */
static void eval_row(struct eval *e, PGresult *res, int i)
{
	long long rule = strtoll(PQgetvalue(res, i, C_RULE), NULL, 10);
	long long pid = strtoll(PQgetvalue(res, i, C_PIPELINE), NULL, 10);
	long long failures = strtoll(PQgetvalue(res, i, C_FAILURES), NULL, 10);
	long long threshold = PQgetisnull(res, i, C_THRESHOLD) ? 1 : strtoll(PQgetvalue(res, i, C_THRESHOLD), NULL, 10);
	int firing = !strcmp(PQgetvalue(res, i, C_TYPE), "on_failure") ? failures >= 1 : failures >= threshold;
	char rule_id[32], pair[64], key[160];

	snprintf(rule_id, sizeof(rule_id), "%lld", rule);
	json_object_set_new(e->rules, rule_id, json_string(PQgetvalue(res, i, C_FIRST)));
	if (PQgetisnull(res, i, C_PIPELINE))
		return; /* the rule covers nothing now */
	snprintf(pair, sizeof(pair), "%lld:%lld", rule, pid);
	const char *open_key = json_string_value(json_object_get(e->idx, pair));
	json_t *inc = open_key ? json_object_get(e->prev_open, open_key) : NULL;

	if (!firing && !inc)
		return;
	const char *since = PQgetvalue(res, i, C_SINCE);
	if (firing && inc && !strcmp(PQgetvalue(res, i, C_TYPE), "on_failure") &&
	    strcmp(since, chm_json_str(inc, "since")) > 0) {
		/* the streak starts after the incident's first failure: a run
		 * succeeded in between, so that incident ended and this is a new
		 * one (both times are formatted alike, so text compares as time) */
		json_array_append_new(e->alerts, alert_from_incident(open_key, inc, e->now, e->o->report_url, NULL));
		json_object_del(e->idx, pair);
		inc = NULL;
	}
	if (firing && inc) {
		/* still open: notified again only after --repeat-after */
		json_object_set(e->open, open_key, inc);
		int64_t notified;
		struct chm_err ignored;
		const char *at = json_string_value(json_object_get(inc, "notified_at"));
		if (!e->o->repeat_after || !at || chm_time_parse(at, 0, &notified, NULL, "notified_at", &ignored) ||
		    e->o->now - notified < e->o->repeat_after) {
			json_object_del(e->idx, pair);
			return;
		}
	}
	if (inc)
		since = chm_json_str(inc, "since");
	if (inc)
		snprintf(key, sizeof(key), "%s", open_key);
	else
		incident_key(key, sizeof(key), rule, pid, since);
	json_t *a = alert_of_row(e, res, i, key, firing, since);
	/* a reminder says which notification it repeats (its identity for
	 * receivers that drop copies) */
	json_t *notified = inc && firing ? json_object_get(inc, "notified_at") : NULL;
	json_object_set(a, "last_notified_at", json_is_string(notified) ? notified : json_null());
	if (firing) {
		chm_alert_state_apply(e->state, a);
		json_array_append_new(e->alerts, a);
	} else {
		json_array_append_new(e->resolved, a);
	}
	json_object_del(e->idx, pair);
}

int chm_alert_evaluate(PGconn *conn, const struct chm_alert_opts *o, json_t *prev, json_t *alerts,
		       json_t **next, struct chm_err *err)
{
	json_t *prev_state = prev ? json_deep_copy(prev) : chm_alert_state_new();
	struct eval e = { .o = o, .alerts = alerts };
	char only_rule[24];

	e.prev_open = section(prev_state, "open");
	e.state = chm_alert_state_new();
	e.rules = section(e.state, "rules");
	e.open = section(e.state, "open");
	e.idx = index_open(e.prev_open);
	e.resolved = json_array();
	char *rules_text = json_dumps(section(prev_state, "rules"), JSON_COMPACT);
	chm_time_format(o->now, e.now);
	snprintf(only_rule, sizeof(only_rule), "%lld", (long long)o->rule_id);
	const char *params[4] = { e.now, rules_text, o->rule_id ? only_rule : NULL, o->whole_history ? "true" : "false" };
	/* one short statement of index probes: compiling it would cost more */
	PGresult *res = chm_db_exec(conn, "SET jit = off", err) ? NULL
			: chm_db_query_file(conn, "queries/alert_eval.sql", 4, params, err);
	free(rules_text);
	int rc = res ? 0 : -1;
	if (res) {
		for (int i = 0; i < PQntuples(res); i++)
			eval_row(&e, res, i);
		PQclear(res);
		/* what stayed in the index was open and is no longer evaluated at all */
		const char *pair;
		json_t *keyv;
		json_object_foreach(e.idx, pair, keyv) {
			const char *key = json_string_value(keyv);
			json_array_append_new(e.resolved, alert_from_incident(key, json_object_get(e.prev_open, key),
									      e.now, o->report_url,
									      "no longer covered by an enabled rule"));
		}
		json_array_extend(alerts, e.resolved);
		*next = e.state;
	} else {
		json_decref(e.state);
	}
	json_decref(e.resolved);
	json_decref(e.idx);
	json_decref(prev_state);
	return rc;
}
