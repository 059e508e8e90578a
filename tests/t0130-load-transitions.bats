#!/usr/bin/env bats
# How a stored run changes (chm-load(1), chm-records(5)): intra-batch
# duplicates, out-of-order events, cleared-and-rerun runs, fields that never
# erase, and stale regressions under each --regressions policy.

load helper

setup() {
	fresh_db
	load_inventory
}

T1='"started_at":"2026-11-21T00:00:05Z"'
T2='"started_at":"2026-11-21T06:00:00Z"'

row() {
	q "SELECT concat_ws(' ', status, started_at, finished_at, error_message, rows_processed) FROM runs WHERE external_run_id = '$1'"
}

@test "several events for one run in one batch apply in arrival order and make one row" {
	{
		run_line r1 running "$T1"
		run_line r1 running "$T1,\"rows_processed\":10"
		run_line r1 success "$T1,\"finished_at\":\"2026-11-21T00:10:00Z\""
		run_line r2 success "$T1"
		run_line r2 running "$T1"
	} >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$(row r1)" "success 2026-11-21 00:00:05+00 2026-11-21 00:10:00+00 10"
	assert_eq "$(row r2)" "success 2026-11-21 00:00:05+00"
	assert_eq "$(q "SELECT count(*) FROM runs")" 2
	assert_eq "$(summary_field ignored)" 1
}

@test "the same events one batch each end the same as in one batch" {
	{
		run_line r1 running "$T1"
		run_line r1 success "$T1,\"finished_at\":\"2026-11-21T00:10:00Z\""
		run_line r1 running "$T1"
		run_line r1 failed "$T2,\"error_message\":\"boom\""
	} >"$BATS_TEST_TMPDIR/in"
	chm-load "$BATS_TEST_TMPDIR/in" >/dev/null
	one=$(row r1)
	fresh_db other
	load_inventory
	chm-load --batch-size 1 "$BATS_TEST_TMPDIR/in" >/dev/null
	assert_eq "$(row r1)" "$one"
	assert_eq "$one" "failed 2026-11-21 06:00:00+00 boom"
}

@test "out-of-order arrival: success before running ends as success" {
	run_line r1 success "$T1,\"finished_at\":\"2026-11-21T00:10:00Z\"" | chm-load >/dev/null
	run_line r1 running "$T1" | chm-load >"$BATS_TEST_TMPDIR/out"
	assert_eq "$(jq -r .ignored "$BATS_TEST_TMPDIR/out")" 1
	assert_eq "$(row r1)" "success 2026-11-21 00:00:05+00 2026-11-21 00:10:00+00"
}

@test "a cleared-and-rerun run (same id, later start) is a newer attempt and replaces the old one" {
	run_line r1 failed "$T1,\"finished_at\":\"2026-11-21T00:10:00Z\",\"error_message\":\"boom\"" | chm-load >/dev/null
	run_line r1 running "$T2" | chm-load >/dev/null
	# the new attempt has not finished: no finish time or error of the old one
	assert_eq "$(row r1)" "running 2026-11-21 06:00:00+00"
	run_line r1 success "$T2,\"finished_at\":\"2026-11-21T06:05:00Z\"" | chm-load >/dev/null
	assert_eq "$(row r1)" "success 2026-11-21 06:00:00+00 2026-11-21 06:05:00+00"
	# a late event of the old attempt changes nothing
	run_line r1 failed "$T1,\"error_message\":\"late\"" | chm-load >/dev/null
	assert_eq "$(row r1)" "success 2026-11-21 06:00:00+00 2026-11-21 06:05:00+00"
}

@test "a COMPLETE without start time after its START keeps the start time" {
	run_line r1 running "$T1" | chm-load >/dev/null
	run_line r1 success '"finished_at":"2026-11-21T00:10:00Z"' | chm-load >/dev/null
	assert_eq "$(row r1)" "success 2026-11-21 00:00:05+00 2026-11-21 00:10:00+00"
}

@test "a START arriving after its COMPLETE fills the missing start time, status stays" {
	run_line r1 success '"finished_at":"2026-11-21T00:10:00Z"' | chm-load >/dev/null
	run_line r1 running "$T1" | chm-load >/dev/null
	assert_eq "$(row r1)" "success 2026-11-21 00:00:05+00 2026-11-21 00:10:00+00"
}

@test "a START sent again after its run finished (later eventTime, inside the run) leaves it finished" {
	# Marquez's START of myjob.task, its COMPLETE a minute later, then the
	# START again six seconds after the first (Marquez #2264, #2408)
	start=$REFERENCE/marquez_ol_null_nominal_end_time.json
	{
		jq -c . "$start"
		jq -c '.eventType = "COMPLETE" | .eventTime = "2020-12-28T19:52:01.641Z"' "$start"
		jq -c '.eventTime = "2020-12-28T19:51:07.641Z"' "$start"
	} >"$BATS_TEST_TMPDIR/ol.ndjson"
	want="success|2020-12-28T19:51:01.641000|2020-12-28T19:52:01.641000|60|-|-|-"
	# in one batch (folded in C) and one event a batch (PostgreSQL's rules)
	runsh "chm-normalize --source openlineage --client globex '$BATS_TEST_TMPDIR/ol.ndjson' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow globex myjob_task 1d79ed5b-7fe9-4124-b70a-bfa01d9fba83)" "$want"
	fresh_db again
	load_inventory
	for i in 1 2 3; do
		runsh "sed -n ${i}p '$BATS_TEST_TMPDIR/ol.ndjson' | chm-normalize --source openlineage --client globex | chm-load"
		[ "$status" -eq 0 ]
	done
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type == "summary") | .ignored')" 1
	assert_eq "$(runrow globex myjob_task 1d79ed5b-7fe9-4124-b70a-bfa01d9fba83)" "$want"
	# a START after the finish is a new attempt, as a cleared Airflow run
	jq -c '.eventTime = "2020-12-28T20:00:00Z"' "$start" | chm-normalize --source openlineage --client globex | chm-load >/dev/null
	assert_eq "$(runrow globex myjob_task 1d79ed5b-7fe9-4124-b70a-bfa01d9fba83)" "running|2020-12-28T20:00:00.000000|-|-|-|-|-"
}

@test "null or missing fields never erase stored values" {
	run_line r1 failed "$T1,\"error_message\":\"boom\",\"rows_processed\":5,\"payload\":{\"a\":1}" | chm-load >/dev/null
	run_line r1 failed '"error_message":null,"rows_processed":null,"payload":null' | chm-load >/dev/null
	assert_eq "$(row r1)" "failed 2026-11-21 00:00:05+00 boom 5"
	assert_eq "$(q "SELECT payload FROM runs")" '{"a": 1}'
}

@test "terminal -> same terminal refreshes fields" {
	run_line r1 failed "$T1,\"error_message\":\"first\"" | chm-load >/dev/null
	run_line r1 failed "$T1,\"error_message\":\"second\",\"finished_at\":\"2026-11-21T00:09:00Z\"" | chm-load >"$BATS_TEST_TMPDIR/out"
	assert_eq "$(jq -r .updated "$BATS_TEST_TMPDIR/out")" 1
	assert_eq "$(row r1)" "failed 2026-11-21 00:00:05+00 2026-11-21 00:09:00+00 second"
}

@test "a replay of events that take a run away and back writes neither the run nor its day" {
	F1='"finished_at":"2026-11-21T00:10:00Z"' F2='"finished_at":"2026-11-21T00:12:00Z"'
	{
		# two finishes of one cron run: the later one is stored
		run_line r1 success "$T1,$F1"
		run_line r1 success "$T1,$F2"
		run_line r2 failed "$T1,\"error_message\":\"first\""
		run_line r2 failed "$T1,\"error_message\":\"second\""
		run_line r2 running "$T1"
	} >"$BATS_TEST_TMPDIR/in"
	chm-load "$BATS_TEST_TMPDIR/in" >/dev/null
	versions=$(runs_versions)
	days=$(q "SELECT string_agg(day || '/' || xmin, ',' ORDER BY day) FROM chm_run_days")
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$(runs_versions)" "$versions"
	assert_eq "$(q "SELECT string_agg(day || '/' || xmin, ',' ORDER BY day) FROM chm_run_days")" "$days"
	# counted as the rules count each event, as one event a batch does
	assert_eq "$(summary_field updated) $(summary_field unchanged) $(summary_field ignored)" "4 0 1"
	run --separate-stderr chm-load --batch-size 1 "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field updated) $(summary_field unchanged) $(summary_field ignored)" "4 0 1"
	assert_eq "$(row r1)" "success 2026-11-21 00:00:05+00 2026-11-21 00:12:00+00"
	assert_eq "$(row r2)" "failed 2026-11-21 00:00:05+00 second"
	# events that end elsewhere are still written
	{
		run_line r1 success "$T1,$F1"
		run_line r1 success "$T1,\"finished_at\":\"2026-11-21T00:15:00Z\""
	} | chm-load >/dev/null
	assert_eq "$(row r1)" "success 2026-11-21 00:00:05+00 2026-11-21 00:15:00+00"
	assert_eq "$(q "SELECT max(dur_max) FROM chm_run_days")" 895
}

@test "a stale regression is ignored by default: status kept, counted as ignored, exit 0" {
	run_line r1 success "$T1" | chm-load >/dev/null
	versions=$(runs_versions)
	run --separate-stderr chm-load <<<"$(run_line r1 failed "$T1")"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field ignored)" 1
	assert_eq "$(row r1)" "success 2026-11-21 00:00:05+00"
	assert_eq "$(runs_versions)" "$versions"
}

@test "--regressions reject: the stale event is a reject record with its line, exit 65" {
	run_line r1 success "$T1" | chm-load >/dev/null
	{
		run_line r2 running
		run_line r1 failed "$T1"
		run_line r1 running
	} >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load --regressions reject --rejects "$BATS_TEST_TMPDIR/rj" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(jq -r '"\(.line) \(.code) \(.field)"' "$BATS_TEST_TMPDIR/rj" | sort)" "2 stale_regression status
3 stale_regression status"
	assert_eq "$(jq -r 'select(.line == 2) | .input' "$BATS_TEST_TMPDIR/rj")" "$(sed -n 2p "$BATS_TEST_TMPDIR/in")"
	assert_eq "$(row r1)" "success 2026-11-21 00:00:05+00"
	assert_eq "$(row r2)" "running"
}

@test "--regressions accept: the stale event is applied" {
	run_line r1 success "$T1" | chm-load >/dev/null
	run --separate-stderr chm-load --regressions accept <<<"$(run_line r1 failed "$T1,\"error_message\":\"really failed\"")"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field updated)" 1
	assert_eq "$(row r1)" "failed 2026-11-21 00:00:05+00 really failed"
}

@test "timestamps with offsets are stored in UTC; fractions kept to the microsecond" {
	run_line r1 success '"started_at":"2026-11-21T01:30:00.1234567+01:30","finished_at":"2026-11-20 23:59:59.5-00:00"' | chm-load >/dev/null
	assert_eq "$(row r1)" "success 2026-11-21 00:00:00.123456+00 2026-11-20 23:59:59.5+00"
}

@test "a duration no event gave is finished - started once both are known, and a replay keeps it" {
	run_line r1 running "$T1" | chm-load >/dev/null
	assert_eq "$(q "SELECT coalesce(duration_seconds::text, 'null') FROM runs")" null
	run_line r1 success '"finished_at":"2026-11-21T00:01:05.5Z"' | chm-load >/dev/null
	assert_eq "$(q "SELECT duration_seconds FROM runs")" 60.5
	versions=$(runs_versions)
	{ run_line r1 running "$T1"; run_line r1 success '"finished_at":"2026-11-21T00:01:05.5Z"'; } | chm-load >/dev/null
	assert_eq "$(runs_versions)" "$versions"
	# a duration the source gives wins; a finish before the start gives none
	run_line r2 success "$T1,\"finished_at\":\"2026-11-21T00:01:05Z\",\"duration_seconds\":7" | chm-load >/dev/null
	run_line r3 success "$T1,\"finished_at\":\"2026-11-20T00:00:00Z\"" | chm-load >/dev/null
	assert_eq "$(q "SELECT string_agg(external_run_id || '=' || coalesce(duration_seconds::text, 'null'), ' ' ORDER BY 1) FROM runs WHERE external_run_id IN ('r2', 'r3')")" "r2=7 r3=null"
}
