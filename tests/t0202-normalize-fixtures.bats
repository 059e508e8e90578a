#!/usr/bin/env bats
# The recorded pages of fixtures/<source>/ through chm-normalize | chm-load:
# the awkward cases land as they should, and replaying everything three times
# changes nothing (no row, no new row version).

load helper

setup_file() {
	fresh_db file
	chm-load "$FIXTURES/inventory.ndjson" >/dev/null
}


# Every fixture, normalized and loaded; the state file proves state passes through.
replay_all() {
	local f=$FIXTURES
	{
		chm-normalize --source airflow --client acme "$f/airflow/dag_runs_v1_page.json"
		chm-normalize --source airflow --client initech "$f/airflow/dag_runs_v2_page.json"
		chm-normalize "$f/airflow/cleared_run.ndjson"
		chm-normalize --source dbt_cloud --client acme "$f/dbt_cloud/runs_page.json"
		chm-normalize --source dbt_artifact --client acme --pipeline jaffle_shop "$f/dbt_artifact/run_results_failed.json" "$f/dbt_artifact/run_results_skipped.json"
		chm-normalize --source openlineage --client globex "$f/openlineage/events.ndjson" 2>/dev/null
		chm-normalize --source vendor --mapping "$CHM_ROOT/pipelines/vendors/rat.json" --client globex "$f/vendor/rat_runs_page1.json" "$f/vendor/rat_runs_page2.json"
		chm-normalize --source vendor --mapping "$CHM_ROOT/pipelines/vendors/dq.json" --client initech "$f/vendor/dq_jobs_page1.json"
		chm-normalize "$f/cron/nightly_export.ndjson"
	} | chm-load --state-file "$BATS_FILE_TMPDIR/state.json"
}

@test "first replay: every fixture run lands, nothing rejected" {
	run --separate-stderr replay_all
	[ "$status" -eq 0 ] || { echo "$output $stderr"; false; }
	assert_eq "$(summary_field rejected)" 0
	assert_eq "$(jq -c . "$BATS_FILE_TMPDIR/state.json")" '{"airflow":{"acme/orders_daily":"2026-11-21T08:00:00Z"}}'
}

@test "airflow: Z and +00:00, nanoseconds truncated, unknown state kept as detail" {
	assert_eq "$(runrow acme orders_daily 'scheduled__2026-11-19T00:00:00+00:00')" \
		"success|2026-11-20T00:00:05.123456|2026-11-20T00:07:00.000000|414.876544|-|-|-"
	assert_eq "$(runrow acme orders_daily 'scheduled__2026-11-20T00:00:00+00:00')" \
		"failed|2026-11-21T00:00:00.000000|2026-11-21T00:03:30.000000|210|-|-|-"
	assert_eq "$(runrow acme orders_daily 'manual__2026-11-21T09:15:00.000001+00:00')" \
		"running|2026-11-21T09:15:01.500000|-|-|-|-|-"
	assert_eq "$(runrow acme orders_daily 'manual__2026-11-21T10:00:00+00:00')" \
		"running|2026-11-21T10:00:02.000000|-|-|-|-|source status \"up_for_reschedule\""
	assert_eq "$(runrow initech reporting_refresh 'scheduled__2026-11-21T00:00:00+00:00')" \
		"success|2026-11-22T00:00:01.250000|2026-11-22T00:12:41.750000|760.5|-|-|-"
	assert_eq "$(runrow initech reporting_refresh 'manual__2026-11-22T06:00:00+00:00')" "running|-|-|-|-|-|-"
}

@test "airflow: a cleared run run again ends as its second attempt" {
	assert_eq "$(runrow acme orders_daily 'scheduled__2026-11-18T00:00:00+00:00')" \
		"success|2026-11-21T07:01:00.000000|2026-11-21T07:09:20.500000|500.5|-|-|-"
}

@test "airflow: secrets in conf redacted at any depth and in URLs" {
	p=$(q "SELECT payload::text FROM runs WHERE external_run_id = 'scheduled__2026-11-19T00:00:00+00:00'")
	[[ "$p" != *hunter2* && "$p" != *AKIA123* && "$p" != *s3cr3t* && "$p" != *abc123* ]]
	assert_eq "$(q "SELECT payload->'conf'->'db'->>'password' || ' ' || (payload->'conf'->'db'->'nested'->0->>'api_key') FROM runs WHERE external_run_id = 'scheduled__2026-11-19T00:00:00+00:00'")" "[redacted] [redacted]"
	assert_eq "$(q "SELECT payload->'conf'->>'source_url' FROM runs WHERE external_run_id = 'scheduled__2026-11-19T00:00:00+00:00'")" \
		"postgresql://[redacted]@db.internal:5432/shop?sslmode=require&token=[redacted]"
	assert_eq "$(q "SELECT payload->'conf'->>'Authorization' FROM runs WHERE external_run_id = 'manual__2026-11-22T06:00:00+00:00'")" "[redacted]"
}

@test "dbt Cloud page: every status code, cancelled with no start, unknown code" {
	assert_eq "$(runrow acme dbt_nightly 70000001)" \
		"success|2026-11-21T02:00:31.250000|2026-11-21T02:05:01.000000|301|-|-|-"
	assert_eq "$(runrow acme dbt_nightly 70000002)" \
		"failed|2026-11-22T02:00:40.000000|2026-11-22T02:01:10.500000|70|-|Database Error in model orders (models/orders.sql)
  relation \"raw.orders\" does not exist|-"
	assert_eq "$(runrow acme dbt_cancelled_job 70000003)" \
		"canceled|-|2026-11-22T03:00:09.000000|9|-|Cancelled by user.|-"
	assert_eq "$(runrow acme dbt_nightly 70000004)" "running|2026-11-22T04:00:20.000000|-|-|-|-|-"
	assert_eq "$(runrow acme dbt_nightly 70000005)" "running|-|-|-|-|-|-"
	assert_eq "$(runrow acme dbt_nightly 70000006)" "running|2026-11-22T06:00:05.000000|-|-|-|-|source status \"99\""
}

@test "dbt artifact: a failed invocation (first error, rows summed) and an all-skipped one" {
	assert_eq "$(runrow acme jaffle_shop 5b0c7b63-0000-4000-8000-00000000aa01)" \
		"failed|2026-11-22T03:10:00.050000|2026-11-22T03:10:05.900000|5.75|150|Database Error in model orders (models/orders.sql)
  syntax error at or near \"final\"|-"
	assert_eq "$(runrow acme jaffle_shop 5b0c7b63-0000-4000-8000-00000000aa02)" \
		"skipped|2026-11-22T04:00:00.000000|2026-11-22T04:00:01.000000|1|-|-|-"
	assert_eq "$(q "SELECT payload->'metadata'->'env'->>'DBT_ENV_SECRET_PASSWORD' || ' ' || (payload->'args'->'vars'->>'api_token') FROM runs WHERE external_run_id = '5b0c7b63-0000-4000-8000-00000000aa01'")" "[redacted] [redacted]"
}

@test "OpenLineage: COMPLETE before START merges, FAIL error redacted, ABORT without zone, OTHER and child not runs" {
	assert_eq "$(runrow globex myjob 0193c0de-aaaa-7000-8000-00000000000a)" \
		"success|2026-11-22T10:00:00.123456|2026-11-22T10:05:00.000000|299.876544|1525|-|-"
	assert_eq "$(runrow globex myjob 0193c0de-bbbb-7000-8000-00000000000b)" \
		"failed|2026-11-22T11:00:00.000000|2026-11-22T11:30:00.500000|1800.5|-|could not connect to postgresql://[redacted]@warehouse:5432/dw|-"
	assert_eq "$(runrow globex myjob 0193c0de-cccc-7000-8000-00000000000c)" \
		"canceled|-|2026-11-22T12:00:00.000000|-|-|-|timestamp without time zone read as UTC"
	assert_eq "$(q "SELECT count(*) FROM runs WHERE external_run_id IN ('0193c0de-dddd-7000-8000-00000000000d', '0193c0de-eeee-7000-8000-00000000000e')")" 0
	p=$(q "SELECT string_agg(payload::text, ' ') FROM runs WHERE external_run_id = '0193c0de-bbbb-7000-8000-00000000000b'")
	[[ "$p" != *pa55* && "$p" != *hunter2* && "$p" != *tok123* && "$p" != *"BEGIN KEY"* ]]
}

@test "vendor: RAT epoch millis and duration_ms, DQ RFC 3339; unknown status kept as detail" {
	assert_eq "$(runrow globex carrier_events r-1001)" \
		"success|2026-11-22T06:00:00.000000|2026-11-22T06:02:05.500000|125.5|48210|-|-"
	assert_eq "$(runrow globex carrier_events r-1002)" \
		"failed|2026-11-22T07:00:00.000000|2026-11-22T07:01:00.000000|60|0|HTTP 503 from carrier API|-"
	assert_eq "$(runrow globex carrier_events r-1003)" "running|-|-|-|-|-|-"
	assert_eq "$(runrow globex carrier_events r-1004)" \
		"canceled|2026-11-22T08:00:00.000000|2026-11-22T08:00:10.000000|10|12|-|-"
	assert_eq "$(runrow globex carrier_events r-1005)" \
		"running|2026-11-22T09:00:00.000000|-|-|-|-|source status \"throttled\""
	assert_eq "$(runrow initech ledger_quality 5002)" \
		"failed|2026-11-22T02:00:00.000000|2026-11-22T02:00:45.000000|45|350000|expectation ledger_balance_non_negative failed on 12 rows|-"
	assert_eq "$(runrow initech ledger_quality 5001)" \
		"success|2026-11-22T01:00:00.000000|2026-11-22T01:02:30.250000|150.25|1000000|-|-"
	assert_eq "$(q "SELECT payload->'config'->>'endpoint' || ' ' || (payload->'config'->>'api_key') FROM runs WHERE external_run_id = 'r-1001'")" \
		"https://[redacted]@carrier.example.com/events [redacted]"
}

@test "cron: start then end, a failing exit status, a killed job named by the record itself" {
	assert_eq "$(runrow globex nightly_export 'nightly_export@batch1:2026-11-21T02:00:00Z')" \
		"success|2026-11-21T02:00:00.004000|2026-11-21T02:13:59.504000|839.5|-|-|-"
	assert_eq "$(runrow globex nightly_export 'nightly_export@batch1:2026-11-22T02:00:00Z')" \
		"failed|2026-11-22T02:00:00.000000|2026-11-22T02:03:00.000000|180|-|export.sh: upload to sftp://[redacted]@files.example.com/out failed: connection refused
|exit status 2"
	assert_eq "$(runrow globex nightly_export 'nightly_export@batch2:2026-11-22T03:00:00Z')" \
		"failed|2026-11-22T03:00:00.000000|2026-11-22T03:30:00.000000|1800|-|killed by signal TERM|killed by signal TERM"
}

@test "replaying every fixture three more times changes nothing" {
	before_rows=$(q "SELECT count(*) FROM runs")
	before_sum=$(q "SELECT md5(string_agg(r::text, '' ORDER BY id)) FROM runs r")
	before_writes=$(runs_writes)
	for i in 1 2 3; do
		run --separate-stderr replay_all
		[ "$status" -eq 0 ]
		assert_eq "$(summary_field inserted)" 0
		assert_eq "$(summary_field updated)" 0
	done
	assert_eq "$(q "SELECT count(*) FROM runs")" "$before_rows"
	assert_eq "$(q "SELECT md5(string_agg(r::text, '' ORDER BY id)) FROM runs r")" "$before_sum"
	assert_eq "$(runs_writes)" "$before_writes"
}
