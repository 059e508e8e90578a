#!/usr/bin/env bats
# chm-fetch | chm-normalize | chm-load end to end: incremental with a state
# file, duplicate-free on overlaps and replays, and the token nowhere.

load helper
load fetch_helper

TOKEN="e2e-tok-9c1d-SECRET"

setup() {
	fresh_db
	chm-load "$FIXTURES/fetch/inventory.ndjson" >/dev/null
	STATE="$BATS_TEST_TMPDIR/state.json"
}

# fetch | normalize | load with the state file; $output is chm-load's summary
airflow_cycle() {
	runsh "CHM_FETCH_TOKEN='$TOKEN' chm-fetch --source airflow --base-url '$FAKE_URL' --retry-delay 0.02 \
		--max-lookback 36500d --client acme --pipeline orders_daily --page-size 3 --state-file '$STATE' \
		| chm-normalize | chm-load --state-file '$STATE'"
}

orders() {
	q "SELECT external_run_id || ' ' || status FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'orders_daily' ORDER BY external_run_id"
}

@test "twice with a state file: the second run fetches only what is still running" {
	start_fake_api --max-limit 3 --token "$TOKEN"
	airflow_cycle
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 10
	assert_eq "$(q "SELECT count(*) FROM runs")" 10
	assert_eq "$(jq -r '.bookmarks.airflow.acme.orders_daily.running' "$STATE")" true
	writes=$(runs_writes)

	: >"$FAKE_LOG"
	airflow_cycle
	[ "$status" -eq 0 ]
	# only the running run and the one after it were fetched, and nothing changed
	assert_eq "$(summary_field read)" "$((2 + 1))" # two runs and one state
	assert_eq "$(summary_field inserted) $(summary_field updated)" "0 0"
	assert_eq "$(runs_writes)" "$writes"
	grep -q 'start_date_gte=2026-11-17T00%3A00%3A05.701234Z' "$FAKE_LOG"

	# the run finishes; the queued one starts
	jq '(.dag_runs[] | select(.state=="running")) |= (.state="failed" | .end_date="2026-11-17T00:09:00+00:00")
	    | (.dag_runs[] | select(.state=="queued")) |= (.state="running" | .start_date="2026-11-18T00:00:02+00:00")' \
		"$FAKE_DATA/airflow/orders_daily.json" >"$BATS_TEST_TMPDIR/d" && mv "$BATS_TEST_TMPDIR/d" "$FAKE_DATA/airflow/orders_daily.json"
	airflow_cycle
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted) $(summary_field updated)" "0 2"
	assert_eq "$(orders | grep -c running)" 1
	assert_eq "$(orders | grep 'scheduled__2026-11-17')" "scheduled__2026-11-17T00:00:00+00:00 failed"
	assert_eq "$(q "SELECT count(*) FROM runs")" 10
	assert_eq "$(q "SELECT count(DISTINCT (pipeline_id, external_run_id)) FROM runs")" 10
}

@test "overlapping fetches and replays stay duplicate-free and write nothing" {
	start_fake_api --max-limit 4
	runsh "chm-fetch --source airflow --base-url '$FAKE_URL' --pipelines '$FIXTURES/fetch/inventory.ndjson' --client acme >'$BATS_TEST_TMPDIR/f1'"
	[ "$status" -eq 0 ]
	runsh "chm-normalize '$BATS_TEST_TMPDIR/f1' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 14
	writes=$(runs_writes)
	# an overlapping window (--since before everything) and the same stream twice
	runsh "chm-fetch --source airflow --base-url '$FAKE_URL' --pipelines '$FIXTURES/fetch/inventory.ndjson' --client acme --since 2020-01-01T00:00:00Z >'$BATS_TEST_TMPDIR/f2'"
	[ "$status" -eq 0 ]
	runsh "cat '$BATS_TEST_TMPDIR/f2' '$BATS_TEST_TMPDIR/f1' '$BATS_TEST_TMPDIR/f2' | chm-normalize | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted) $(summary_field updated)" "0 0"
	assert_eq "$(runs_writes)" "$writes"
	assert_eq "$(q "SELECT count(*) FROM runs")" 14
}

@test "the token appears in no output, no message and nowhere in the database" {
	start_fake_api --token "$TOKEN" --fault 503:1
	export CHM_FETCH_TOKEN="$TOKEN"
	runsh "chm-fetch --source airflow --base-url '$FAKE_URL' --pipelines '$FIXTURES/fetch/inventory.ndjson' --retry-delay 0.02 --client acme 2>'$BATS_TEST_TMPDIR/fetch.err' \
		| tee '$BATS_TEST_TMPDIR/fetch.out' | chm-normalize 2>'$BATS_TEST_TMPDIR/norm.err' | tee '$BATS_TEST_TMPDIR/norm.out' | chm-load --state-file '$STATE'"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 14
	grep -q 'retry 1/5' "$BATS_TEST_TMPDIR/fetch.err" # it did talk about the request
	! grep -r -- "$TOKEN" "$BATS_TEST_TMPDIR" "$STATE"
	[[ "$output" != *"$TOKEN"* && "$stderr" != *"$TOKEN"* ]]
	pg_dump -a "$PGDATABASE" >"$BATS_TEST_TMPDIR/dump.sql"
	grep -q orders_daily "$BATS_TEST_TMPDIR/dump.sql"
	! grep -q -- "$TOKEN" "$BATS_TEST_TMPDIR/dump.sql"
	# and the secret in a run's conf was redacted on the way
	! grep -q 's3cr3t-in-conf' "$BATS_TEST_TMPDIR/dump.sql"
}

@test "dbt Cloud and vendor runs land with their statuses" {
	start_fake_api
	runsh "chm-fetch --source dbt_cloud --account-id 123456 --base-url '$FAKE_URL' --page-size 2 --state-file '$STATE' | chm-normalize | chm-load --state-file '$STATE'"
	[ "$status" -eq 0 ]
	runsh "chm-fetch --source vendor --mapping '$FIXTURES/fetch/vendor/mapping.json' --base-url '$FAKE_URL' --state-file '$STATE' \
		| chm-normalize --mapping '$FIXTURES/fetch/vendor/mapping.json' | chm-load --state-file '$STATE'"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT p.platform || ' ' || r.status || ' ' || count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id GROUP BY p.platform, r.status ORDER BY 1" | paste -sd,)" \
		"dbt canceled 1,dbt failed 1,dbt running 1,dbt success 4,vendor_api failed 1,vendor_api running 1,vendor_api success 4"
	# both sources' bookmarks in one state file
	assert_eq "$(jq -r '.bookmarks | keys | join(",")' "$STATE")" "dbt_cloud,vendor"
}

@test "chm exec --format raw | chm-normalize | chm-load gives what --load gives" {
	chm exec --pipeline globex/nightly_export --format raw --events "$BATS_TEST_TMPDIR/ev" -- sh -c 'echo oops >&2; exit 3' 2>/dev/null || true
	runsh "chm-normalize '$BATS_TEST_TMPDIR/ev' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT status || '|' || error_message || '|' || status_reason FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'nightly_export'")" \
		"failed|oops|exit status 3"
}

@test "pipelines/vendors/rat.json as it is: the base URL is the endpoint, runs routed by pipeline" {
	start_fake_api
	runsh "chm-fetch --source vendor --mapping '$CHM_ROOT/pipelines/vendors/rat.json' --base-url '$FAKE_URL/static/rat_runs' --state-file '$STATE' --now 2026-11-22T12:00:00Z \
		| chm-normalize --mapping '$CHM_ROOT/pipelines/vendors/rat.json' | chm-load --state-file '$STATE'"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT p.name || ' ' || r.external_run_id || ' ' || r.status FROM runs r JOIN pipelines p ON p.id = r.pipeline_id ORDER BY 1" | paste -sd,)" \
		"carrier_events r-1001 success,carrier_events r-1003 running,ledger_quality r-1002 failed"
	assert_eq "$(jq -r '.bookmarks.vendor.globex."carrier-events".running' "$STATE")" true
}
