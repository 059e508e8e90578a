#!/usr/bin/env bats
# A NUL byte (issue 14, item 15): PostgreSQL's text and jsonb refuse it, so a
# NUL in a job's stderr or a \u0000 in a partner's free text used to cost the
# whole event (a chm exec run stayed running for ever). It becomes U+FFFD and
# the event is kept.

load helper

setup() {
	fresh_db
	load_inventory
}

@test "a NUL on a chm exec job's stderr: the run still ends, failed, with U+FFFD in its error" {
	run chm exec --pipeline globex/nightly_export --load -- sh -c 'printf "bad\000byte\n" >&2; exit 3'
	[ "$status" -eq 3 ]
	assert_eq "$(q "SELECT status || '|' || error_message FROM runs")" "failed|bad�byte"
	# the raw path through chm-normalize says the same
	fresh_db raw
	load_inventory
	chm exec --pipeline globex/nightly_export --format raw --events "$BATS_TEST_TMPDIR/ev" -- sh -c 'printf "bad\000byte\n" >&2; exit 3' 2>/dev/null || true
	runsh "chm-normalize '$BATS_TEST_TMPDIR/ev' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT status || '|' || error_message FROM runs")" "failed|bad�byte"
}

@test "\\u0000 in a partner record's free text and in a canonical run: kept, as U+FFFD" {
	# a real Airflow dagRun (fixtures/reference) with a NUL in its note
	jq -c '.dag_runs[0] | .note = "line\u0000two"' "$REFERENCE/airflow2_v1_dagruns_list_response.json" >"$BATS_TEST_TMPDIR/rec"
	runsh "chm-normalize --source airflow --client acme '$BATS_TEST_TMPDIR/rec' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 1
	assert_eq "$(q "SELECT payload->>'note' FROM runs")" "line�two"
	printf '%s\n' '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"n1","status":"failed","error_message":"a\u0000b","status_reason":"c\u0000","payload":{"k":"x\u0000y","esc":"\\u0000 stays text"}}' >"$BATS_TEST_TMPDIR/run"
	run chm-load "$BATS_TEST_TMPDIR/run"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT error_message || '|' || status_reason || '|' || (payload->>'k') || '|' || (payload->>'esc') FROM runs WHERE external_run_id = 'n1'")" \
		'a�b|c�|x�y|\u0000 stays text'
}
