#!/usr/bin/env bats
# Seed acceptance for ingestion: recorded runs land in their pipeline's
# history, replays create nothing and write nothing.

load helper

setup() {
	fresh_db
	load_inventory
}

@test "a recorded run appears in its pipeline's history with status and timestamps" {
	run --separate-stderr chm-load "$FIXTURES/runs/history.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field rejected)" 0
	assert_eq "$(q "SELECT r.status || ' ' || r.started_at || ' ' || r.finished_at || ' ' || r.duration_seconds || ' ' || r.error_message
	               FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id
	               WHERE c.name = 'acme' AND p.name = 'orders_daily'
	                 AND r.external_run_id = 'scheduled__2026-11-21T00:00:00+00:00'")" \
		"failed 2026-11-21 00:00:05.123456+00 2026-11-21 00:07:00+00 414.876544 Task load_orders failed: connection to warehouse timed out"
	assert_eq "$(q "SELECT count(*) FROM runs")" "$(jq -r '.external_run_id' "$FIXTURES/runs/history.ndjson" | sort -u | wc -l)"
}

@test "the same page ingested again creates no duplicate" {
	chm-load "$FIXTURES/runs/history.ndjson" >/dev/null
	before=$(q "SELECT count(*) FROM runs")
	run --separate-stderr chm-load "$FIXTURES/runs/history.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 0
	assert_eq "$(summary_field updated)" 0
	assert_eq "$(q "SELECT count(*) FROM runs")" "$before"
	assert_eq "$(q "SELECT count(*) FROM (SELECT pipeline_id, external_run_id FROM runs GROUP BY 1, 2 HAVING count(*) > 1) d")" 0
}

@test "a running run re-ingested as success becomes success" {
	run_line "scheduled__2026-11-22T00:00:00+00:00" running '"started_at":"2026-11-22T00:00:02Z"' | chm-load >/dev/null
	assert_eq "$(q "SELECT status FROM runs")" running
	run_line "scheduled__2026-11-22T00:00:00+00:00" success '"started_at":"2026-11-22T00:00:02Z","finished_at":"2026-11-22T00:06:00Z","rows_processed":100' >"$BATS_TEST_TMPDIR/s.ndjson"
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/s.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field updated)" 1
	assert_eq "$(q "SELECT status || ' ' || finished_at || ' ' || rows_processed FROM runs")" "success 2026-11-22 00:06:00+00 100"
	assert_eq "$(q "SELECT count(*) FROM runs")" 1
}

@test "replaying one dataset three times: the run count of the first load, and no new row version (SC-002)" {
	chm-load "$FIXTURES/runs/history.ndjson" >/dev/null
	count=$(q "SELECT count(*) FROM runs")
	versions=$(runs_versions)
	writes=$(runs_tuple_writes)
	for i in 1 2 3; do
		run --separate-stderr chm-load "$FIXTURES/inventory.ndjson" "$FIXTURES/runs/history.ndjson"
		[ "$status" -eq 0 ]
		assert_eq "$(summary_field inserted)" 0
		assert_eq "$(summary_field updated)" 0
	done
	assert_eq "$(q "SELECT count(*) FROM runs")" "$count"
	assert_eq "$(runs_versions)" "$versions"
	assert_eq "$(runs_tuple_writes)" "$writes"
	assert_eq "$(q "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'clients'")" 0
	assert_eq "$(q "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'pipelines'")" 0
}

@test "the inventory file applies again and again without change" {
	run --separate-stderr chm-load "$FIXTURES/inventory.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 0
	assert_eq "$(summary_field unchanged)" "$(wc -l <"$FIXTURES/inventory.ndjson")"
	assert_eq "$(q "SELECT count(*) FROM clients")/$(q "SELECT count(*) FROM pipelines")/$(q "SELECT count(*) FROM alert_rules")" \
		"$(grep -c '"type":"client"' "$FIXTURES/inventory.ndjson")/$(grep -c '"type":"pipeline"' "$FIXTURES/inventory.ndjson")/$(grep -c '"type":"alert_rule"' "$FIXTURES/inventory.ndjson")"
}

@test "an inventory change is applied, and only what the record gives changes" {
	echo '{"type":"pipeline","client":"acme","name":"orders_daily","platform":"airflow","pipeline_type":"ingestion","environment":"staging"}' >"$BATS_TEST_TMPDIR/inv"
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/inv"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field updated)" 1
	assert_eq "$(q "SELECT environment || ' ' || external_id || ' ' || (updated_at > created_at) FROM pipelines WHERE name = 'orders_daily'")" "staging orders_daily true"
}

@test "runs name their pipeline by id, by platform + external_id, or by name" {
	id=$(q "SELECT p.id FROM pipelines p WHERE p.name = 'nightly_export'")
	{
		echo "{\"type\":\"run\",\"pipeline_id\":$id,\"external_run_id\":\"a\",\"status\":\"success\"}"
		echo '{"type":"run","client":"globex","platform":"cron","external_id":"nightly_export","external_run_id":"b","status":"success"}'
		echo '{"type":"run","client":"globex","pipeline":"nightly_export","external_run_id":"c","status":"failed"}'
		echo '{"type":"run","pipeline":"globex/nightly_export","external_run_id":"d","status":"running"}'
	} >"$BATS_TEST_TMPDIR/runs"
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/runs"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT string_agg(external_run_id || '=' || status, ' ' ORDER BY external_run_id) FROM runs WHERE pipeline_id = $id")" "a=success b=success c=failed d=running"
}

@test "state records are written to --state-file after the records before them are committed" {
	{
		run_line r1 success
		echo '{"type":"state","value":{"airflow":{"orders_daily":"2026-11-21T00:00:00Z"}}}'
		run_line r2 success
		echo '{"type":"raw","source":"airflow","record":{}}'
		echo '{"type":"state","value":{"airflow":{"orders_daily":"2026-11-22T00:00:00Z"}}}'
	} >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load --batch-size 1 --state-file "$BATS_TEST_TMPDIR/state.json" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$(jq -c . "$BATS_TEST_TMPDIR/state.json")" '{"airflow":{"orders_daily":"2026-11-22T00:00:00Z"}}'
	assert_eq "$(summary_field other)" 1
	assert_eq "$(q "SELECT count(*) FROM runs")" 2
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep '\.tmp\.')" ]
}

@test "a state record whose value is not an object is rejected by line; the runs around it load, the good state is kept" {
	{
		echo '{"type":"state","value":{"airflow":{"orders_daily":"2026-11-21T00:00:00Z"}}}'
		echo '{"type":"state","value":null}'
		run_line r1 success
		echo '{"type":"state","value":"2026-11-22"}'
		echo '{"type":"state","value":[1]}'
		run_line r2 success
	} >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load --state-file "$BATS_TEST_TMPDIR/state.json" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$stderr" | jq -r 'select(.type=="reject") | "\(.line) \(.field) \(.code)"' | paste -sd,)" \
		"2 value missing_field,4 value wrong_type,5 value wrong_type"
	assert_eq "$(q "SELECT count(*) FROM runs")" 2
	assert_eq "$(jq -c . "$BATS_TEST_TMPDIR/state.json")" '{"airflow":{"orders_daily":"2026-11-21T00:00:00Z"}}'
}

@test "a state record is not written when the batch before it fails" {
	{
		run_line r1 success
		echo '{"type":"state","value":{"bookmark":1}}'
	} >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load --db "host=/nonexistent dbname=x" --state-file "$BATS_TEST_TMPDIR/state.json" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 75 ]
	[ ! -e "$BATS_TEST_TMPDIR/state.json" ]
}

@test "stdin, '-' and several files are read in order; --help and --version" {
	run_line r1 running | chm-load - >/dev/null
	run_line r1 success >"$BATS_TEST_TMPDIR/a"
	run_line r2 failed >"$BATS_TEST_TMPDIR/b"
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT string_agg(external_run_id || '=' || status, ' ' ORDER BY 1) FROM runs")" "r1=success r2=failed"
	run chm-load --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: chm-load"* ]]
	run chm-load --version
	[[ "$output" == "chm-load "* ]]
	run --separate-stderr chm-load --batch-size 0
	[ "$status" -eq 64 ]
	run --separate-stderr chm-load --regressions maybe
	[ "$status" -eq 64 ]
}

@test "a later file that cannot be read: exit 74 naming it, and what the files before it held is committed, state too" {
	{ run_line r1 success; echo '{"type":"state","value":{"k":1}}'; run_line r2 failed; } >"$BATS_TEST_TMPDIR/a"
	run --separate-stderr chm-load --state-file "$BATS_TEST_TMPDIR/state.json" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/missing"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"cannot open $BATS_TEST_TMPDIR/missing"* ]]
	assert_eq "$(q "SELECT string_agg(external_run_id || '=' || status, ' ' ORDER BY 1) FROM runs")" "r1=success r2=failed"
	assert_eq "$(jq -c . "$BATS_TEST_TMPDIR/state.json")" '{"k":1}'
	assert_eq "$(summary_field inserted)" 2
}

@test "a load that changes a large share of runs leaves the planner statistics; a replay does not ANALYZE again" {
	chm-synth --seed 3 --clients 2 --pipelines 6 --days 20 --end 2026-11-20T00:00:00Z --format canonical --inventory \
		>"$BATS_TEST_TMPDIR/h.ndjson"
	# autovacuum must not be the one: it is off for runs during the test
	q "ALTER TABLE runs SET (autovacuum_enabled = false)" >/dev/null
	assert_eq "$(q "SELECT reltuples < 0 FROM pg_class WHERE relname = 'runs'")" t
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/h.ndjson"
	[ "$status" -eq 0 ]
	n=$(q "SELECT count(*) FROM runs")
	[ "$n" -ge 1000 ]
	assert_eq "$(q "SELECT reltuples::bigint FROM pg_class WHERE relname = 'runs'")" "$n"
	# the columns the questions plan with have their statistics
	assert_eq "$(q "SELECT string_agg(attname, ' ' ORDER BY attname) FROM pg_stats
	                WHERE tablename = 'runs' AND attname IN ('pipeline_id', 'status', 'started_at', 'finished_at')")" \
		"finished_at pipeline_id started_at status"
	# from a sample at target 10 (autovacuum samples at the full target later)
	assert_eq "$(q "SELECT cardinality(histogram_bounds::text::text[]) FROM pg_stats
	                WHERE tablename = 'runs' AND attname = 'started_at'")" 11
	# an unchanged replay changes nothing, so it leaves the statistics alone
	q "UPDATE pg_class SET reltuples = 1 WHERE relname = 'runs'" >/dev/null
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/h.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 0
	assert_eq "$(q "SELECT reltuples::bigint FROM pg_class WHERE relname = 'runs'")" 1
}
