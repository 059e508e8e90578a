#!/usr/bin/env bats
# chm-synth --format canonical --inventory | chm-load: everything loads, and
# the history has the shapes the dashboards are meant to find.

load helper

setup_file() {
	fresh_db file
	chm-synth --seed 11 --clients 4 --pipelines 36 --days 10 --end 2026-11-22T00:00:00Z \
		--format canonical --inventory >"$BATS_FILE_TMPDIR/history.ndjson"
	chm-load --rejects "$BATS_FILE_TMPDIR/rejects.ndjson" "$BATS_FILE_TMPDIR/history.ndjson" \
		>"$BATS_FILE_TMPDIR/summary.ndjson"
}

@test "loads with zero rejects and every run in the database" {
	[ ! -s "$BATS_FILE_TMPDIR/rejects.ndjson" ]
	assert_eq "$(jq -r .rejected "$BATS_FILE_TMPDIR/summary.ndjson")" 0
	assert_eq "$(q 'SELECT count(*) FROM clients')" 4
	assert_eq "$(q 'SELECT count(*) FROM pipelines')" 36
	# a retried Airflow run is one row: distinct (pipeline, run id) pairs of the stream
	want=$(jq -r 'select(.type == "run") | .client + " " + .external_id + " " + .external_run_id' \
		"$BATS_FILE_TMPDIR/history.ndjson" | sort -u | wc -l)
	assert_eq "$(q 'SELECT count(*) FROM runs')" "$want"
	# runs of every seed platform and pipeline type
	assert_eq "$(q 'SELECT count(DISTINCT platform) FROM pipelines p JOIN runs r ON r.pipeline_id = p.id')" 5
	assert_eq "$(q 'SELECT count(DISTINCT pipeline_type) FROM pipelines p JOIN runs r ON r.pipeline_id = p.id')" 5
}

@test "some runs failed, some still running at the end, some canceled or skipped" {
	[ "$(q "SELECT count(*) FROM runs WHERE status = 'failed'")" -gt 0 ]
	[ "$(q "SELECT count(*) FROM runs WHERE status = 'running' AND finished_at IS NULL")" -gt 0 ]
	[ "$(q "SELECT count(*) FROM runs WHERE status IN ('canceled', 'skipped')")" -gt 0 ]
	# nothing ran after the end of the history
	assert_eq "$(q "SELECT count(*) FROM runs WHERE started_at >= '2026-11-22T00:00:00Z' OR finished_at >= '2026-11-22T00:00:00Z'")" 0
}

@test "an outage day: one client, every run of a whole day failed" {
	run q "SELECT c.name FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id
	       GROUP BY c.name, date_trunc('day', r.started_at)
	       HAVING count(*) >= 10 AND bool_and(r.status = 'failed')"
	[ "$status" -eq 0 ]
	assert_eq "${#lines[@]}" 1
	# and no other client had such a day
	assert_eq "$(q "SELECT count(*) FROM (SELECT c.name, date_trunc('day', r.started_at) FROM runs r
	       JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id
	       GROUP BY 1, 2 HAVING bool_and(r.status = 'failed') AND count(*) >= 3) d")" 1
}

@test "a flaky pipeline fails far more often than the typical one" {
	run q "WITH rate AS (SELECT pipeline_id, avg((status = 'failed')::int) AS fr FROM runs
	       GROUP BY pipeline_id HAVING count(*) >= 20)
	       SELECT (SELECT max(fr) FROM rate) > 5 * (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY fr) FROM rate)"
	assert_eq "$output" t
}

@test "retries: second attempts, an Airflow run cleared and run again under its id" {
	[ "$(q "SELECT count(*) FROM runs WHERE (payload->>'attempt')::int > 1")" -gt 0 ]
	[ "$(q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id
	        WHERE p.platform = 'airflow' AND (payload->>'attempt')::int > 1")" -gt 0 ]
}

@test "unknown source statuses are kept as status_reason" {
	[ "$(q "SELECT count(*) FROM runs WHERE status_reason LIKE 'source status %'")" -gt 0 ]
}

@test "durations drift: late runs are slower or faster than early ones, never negative" {
	assert_eq "$(q 'SELECT count(*) FROM runs WHERE duration_seconds < 0')" 0
	assert_eq "$(q "SELECT count(*) FROM runs WHERE status <> 'running' AND (finished_at IS NULL OR duration_seconds IS NULL)")" 0
	# the median duration moved by more than 5% between the first and the last three days
	# for most pipelines (a log-normal drift, not a constant)
	run q "WITH d AS (SELECT pipeline_id,
	         percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_seconds) FILTER (WHERE started_at < '2026-11-15') AS early,
	         percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_seconds) FILTER (WHERE started_at >= '2026-11-19') AS late
	       FROM runs WHERE status = 'success' GROUP BY pipeline_id)
	       SELECT count(*) FILTER (WHERE abs(late / early - 1) > 0.05) > count(*) / 2 FROM d WHERE early > 0 AND late > 0"
	assert_eq "$output" t
}

@test "loading the same history again changes nothing" {
	before=$(runs_versions)
	run --separate-stderr chm-load "$BATS_FILE_TMPDIR/history.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(runs_versions)" "$before"
}

@test "raw mode through chm-normalize lands the same runs as canonical mode" {
	command -v chm-normalize || skip "chm-normalize is not built on this branch"
	mapping="$CHM_ROOT/pipelines/vendors/rat.json"
	[ -f "$mapping" ] || skip "no RAT vendor mapping at $mapping"
	cols="p.name, r.external_run_id, r.status, r.started_at, r.finished_at, r.error_message, r.status_reason, r.rows_processed"
	want=$(q "SELECT $cols FROM runs r JOIN pipelines p ON p.id = r.pipeline_id ORDER BY 1, 2")
	fresh_db raw
	grep -v '"type":"run"' "$BATS_FILE_TMPDIR/history.ndjson" | chm-load >/dev/null
	runsh "chm-synth --seed 11 --clients 4 --pipelines 36 --days 10 --end 2026-11-22T00:00:00Z |
		chm-normalize --mapping '$mapping' --rejects '$BATS_TEST_TMPDIR/nrej' |
		chm-load --rejects '$BATS_TEST_TMPDIR/lrej'"
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/nrej" ]
	[ ! -s "$BATS_TEST_TMPDIR/lrej" ]
	got=$(q "SELECT $cols FROM runs r JOIN pipelines p ON p.id = r.pipeline_id ORDER BY 1, 2")
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$got")
}
