#!/usr/bin/env bats
# chm-load's fast path folds the events of a new run that arrive in one batch
# into one row (lib/engines/transition.c: the rules of 002_run_transitions.sql in C)
# instead of inserting the first and updating the row with each later one.
# Here random event sequences are loaded twice: with batches that fold, and
# one event a batch, so that every later event goes through PostgreSQL's
# rules. The stored rows, the counts and the rejects must be the same.

load helper

setup() {
	fresh_db "fold_$BATS_TEST_NUMBER"
	load_inventory
}

# events SEED: runs of 1-5 events each, fields drawn from small sets so that
# equal, earlier, later and missing values all meet; some runs interleave.
events() {
	python3 - "$1" <<-'EOF'
	import json, random, sys
	rnd = random.Random(int(sys.argv[1]))
	statuses = ["running", "success", "failed", "canceled", "skipped"]
	starts = [None, "2026-11-01T00:00:00Z", "2026-11-01T01:00:00Z", "2026-11-01T02:00:00.5Z"]
	ends = [None, "2026-11-01T00:30:00Z", "2026-11-01T03:00:00.25Z", "2026-10-31T23:00:00Z"]
	def event(key):
	    e = {"type": "run", "client": "acme", "platform": "airflow", "external_id": "orders_daily",
	         "external_run_id": key, "status": rnd.choice(statuses)}
	    for name, values in (("started_at", starts), ("finished_at", ends),
	                         ("duration_seconds", [None, None, 1.5, 30]),
	                         ("rows_processed", [None, 5, 7]),
	                         ("error_message", [None, "boom", "tab\there"]),
	                         ("status_reason", [None, "exit status 1"]),
	                         ("payload", [None, {"a": 1}, {"a": 2, "b": [1, "x"]},
	                                      {"s": "q\"x y", "t": "a\\b"}])):
	        v = rnd.choice(values)
	        if v is not None:
	            e[name] = v
	    return e
	lines, pending = [], []
	for k in range(1500):
	    evs = [event("f%d" % k) for _ in range(rnd.choice([1, 1, 2, 2, 2, 3, 4, 5]))]
	    if rnd.random() < 0.2:
	        pending.extend(evs)     # interleaved with the runs that follow
	    else:
	        lines.extend(evs)
	    if len(pending) > 6:
	        rnd.shuffle(pending)
	        # a run's events keep their order among themselves
	        order = {}
	        for e in pending:
	            order.setdefault(e["external_run_id"], []).append(e)
	        keys = [e["external_run_id"] for e in pending]
	        lines.extend(order[key].pop(0) for key in keys)
	        pending = []
	lines.extend(pending)
	for e in lines:
	    print(json.dumps(e))
	EOF
}

dump() {
	q "SELECT external_run_id, status, started_at, finished_at, duration_seconds, rows_processed,
	          error_message, status_reason, payload FROM runs ORDER BY external_run_id"
}

counts() {
	printf '%s\n' "$output" | grep '"type":"summary"' | jq -c '{inserted, updated, unchanged, ignored, rejected}'
}

updates() {
	runs_tuple_writes >/dev/null
	q "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'runs'"
}

# load_as POLICY SIZE NAME: chm-load of the events in batches of SIZE; its
# counts, rows and rejects into NAME's files
load_as() {
	run --separate-stderr chm-load --regressions "$1" --batch-size "$2" --rejects "$BATS_TEST_TMPDIR/rej.$3" "$BATS_TEST_TMPDIR/e"
	[ "$status" -eq 0 ] || [ "$status" -eq 65 ]
	counts >"$BATS_TEST_TMPDIR/counts.$3"
	dump >"$BATS_TEST_TMPDIR/rows.$3"
}

# same_as_rules NAME: NAME's load counted, stored and rejected what the
# load of one event a batch ("rules") did
same_as_rules() {
	assert_eq "$(cat "$BATS_TEST_TMPDIR/counts.$1")" "$(cat "$BATS_TEST_TMPDIR/counts.rules")"
	diff "$BATS_TEST_TMPDIR/rows.$1" "$BATS_TEST_TMPDIR/rows.rules" | head -n 20 >&2
	cmp -s "$BATS_TEST_TMPDIR/rows.$1" "$BATS_TEST_TMPDIR/rows.rules"
	assert_eq "$(jq -r '"\(.line) \(.code)"' "$BATS_TEST_TMPDIR/rej.$1" | sort)" \
		"$(jq -r '"\(.line) \(.code)"' "$BATS_TEST_TMPDIR/rej.rules" | sort)"
}

# fold_equals_rules POLICY SEED
fold_equals_rules() {
	events "$2" >"$BATS_TEST_TMPDIR/e"
	load_as "$1" 40 fold
	folded_updates=$(updates)
	fresh_db "rules_$BATS_TEST_NUMBER"
	load_inventory
	load_as "$1" 1 rules
	same_as_rules fold
	# the fold did the work: far fewer row updates than event by event
	rules_updates=$(updates)
	[ "$rules_updates" -gt 500 ]
	[ "$folded_updates" -lt $(( rules_updates / 4 )) ]
}

runs_xmin() {
	q "SELECT external_run_id, xmin FROM runs" | LC_ALL=C sort
}

# replay_equals_rules POLICY SEED: the history of seed 1, then seed SEED's
# events of the same runs (seed 1: the history again), in batches (where a
# run's events can take it away and back, load_runs.sql) and one event a
# batch: the same counts, rows and rejects; and the batches leave alone the
# runs their events take away and back.
replay_equals_rules() {
	events 1 >"$BATS_TEST_TMPDIR/h"
	events "$2" >"$BATS_TEST_TMPDIR/e"
	chm-load --regressions accept --batch-size 1 "$BATS_TEST_TMPDIR/h" >/dev/null
	runs_xmin >"$BATS_TEST_TMPDIR/xmin.before"
	load_as "$1" 40 batch
	untouched=$(runs_xmin | comm -12 - "$BATS_TEST_TMPDIR/xmin.before" | wc -l)
	fresh_db "rules_$BATS_TEST_NUMBER"
	load_inventory
	chm-load --regressions accept --batch-size 1 "$BATS_TEST_TMPDIR/h" >/dev/null
	runs_xmin >"$BATS_TEST_TMPDIR/xmin.before"
	load_as "$1" 1 rules
	same_as_rules batch
	# one event a batch rewrites every run an event changes on the way; the
	# history again takes many runs away and back
	rules_untouched=$(runs_xmin | comm -12 - "$BATS_TEST_TMPDIR/xmin.before" | wc -l)
	echo "runs left alone: $untouched in batches, $rules_untouched one event a batch" >&2
	[ "$untouched" -ge "$rules_untouched" ]
	[ "$2" != 1 ] || [ "$untouched" -gt $(( rules_untouched + 50 )) ]
}

@test "folded events of new runs = the rules event by event, --regressions ignore" {
	fold_equals_rules ignore 1
}

@test "folded events of new runs = the rules event by event, --regressions accept" {
	fold_equals_rules accept 2
}

@test "folded events of new runs = the rules event by event, --regressions reject" {
	fold_equals_rules reject 3
	[ -s "$BATS_TEST_TMPDIR/rej.fold" ]
}

@test "a replay of the history in batches = the rules event by event, --regressions ignore" {
	replay_equals_rules ignore 1
}

@test "a replay of other events for stored runs = the rules event by event, --regressions ignore" {
	replay_equals_rules ignore 4
}

@test "a replay of other events for stored runs = the rules event by event, --regressions accept" {
	replay_equals_rules accept 5
}

@test "a replay of other events for stored runs = the rules event by event, --regressions reject" {
	replay_equals_rules reject 6
}

@test "a run whose events straddle two batches is updated, not COPYed twice" {
	{
		for i in $(seq 1 9); do run_line "s$i" success '"started_at":"2026-11-01T00:00:00Z"'; done
		run_line s10 running '"started_at":"2026-11-01T00:00:00Z"'
		run_line s10 success '"started_at":"2026-11-01T00:00:00Z","finished_at":"2026-11-01T00:01:00Z"'
		for i in $(seq 11 19); do run_line "s$i" success '"started_at":"2026-11-01T00:00:00Z"'; done
	} >"$BATS_TEST_TMPDIR/s"
	# batches of 10: s10's second event opens the second batch
	run --separate-stderr chm-load --batch-size 10 "$BATS_TEST_TMPDIR/s"
	[ "$status" -eq 0 ]
	assert_eq "$(counts)" '{"inserted":19,"updated":1,"unchanged":0,"ignored":0,"rejected":0}'
	assert_eq "$(runrow acme orders_daily s10)" "success|2026-11-01T00:00:00.000000|2026-11-01T00:01:00.000000|60|-|-|-"
}
