#!/usr/bin/env bats
# Every run feed of fixtures/reference/ goes through chm-normalize | chm-load and
# lands as written by hand from the file. Files that are not run feeds
# (schemas, Singer streams, Slack pages, facet-only OpenLineage files) are
# listed at the end and shown to be refused or ignored, never loaded.

load helper

setup_file() {
	fresh_db file
	chm-load "$FIXTURES/inventory.ndjson" >/dev/null
}


nruns() {
	q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = '$1'"
}

@test "airflow v1 dagRuns list (Airflow 2.2): four successful runs of example_trigger_target_dag" {
	runsh "chm-normalize --source airflow --client acme '$REFERENCE/airflow2_v1_dagruns_list_response.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 4
	assert_eq "$(runrow acme example_trigger_target_dag example_trigger_target_dag)" \
		"success|2021-12-30T07:51:18.815929|2021-12-30T07:51:31.480677|12.664748|-|-|-"
	assert_eq "$(runrow acme example_trigger_target_dag 'manual__2021-12-30T07:55:27.528053+00:00')" \
		"success|2021-12-30T07:55:28.231721|2021-12-30T07:55:34.517443|6.285722|-|-|-"
	assert_eq "$(nruns example_trigger_target_dag)" 4
	assert_eq "$(q "SELECT payload->'conf'->>'message' FROM runs WHERE external_run_id = 'manual2021-12-30T07:54:07.429904+00:00'")" "nahid hasan"
}

@test "airflow v1 trigger response (queued, no dates) then the finished run of cwl_dag" {
	runsh "chm-normalize --source airflow --client acme '$REFERENCE/airflow2_v1_dagrun_queued_trigger_response.json' '$REFERENCE/airflow2_v1_dagrun_success_get_response.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow acme cwl_dag 'manual__2025-04-29T18:26:51.157918+00:00')" "running|-|-|-|-|-|-"
	assert_eq "$(runrow acme cwl_dag 'manual__2025-04-22T17:49:02.502239+00:00')" \
		"success|2025-04-22T17:49:03.170771|2025-04-22T18:07:54.466715|1131.295944|-|-|-"
}

@test "airflow: --pipeline names the pipeline when the dag_id is not in the inventory" {
	runsh "chm-normalize --source airflow --client acme --pipeline orders_daily '$REFERENCE/airflow2_v1_dagrun_success_get_response.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow acme orders_daily 'manual__2025-04-22T17:49:02.502239+00:00')" \
		"success|2025-04-22T17:49:03.170771|2025-04-22T18:07:54.466715|1131.295944|-|-|-"
}

@test "dbt Cloud v2 run get: success of job 43167, duration from \"00:01:50\"" {
	runsh "chm-normalize --source dbt_cloud --client acme '$REFERENCE/dbt_cloud_v2_run_get_response_success.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow acme dbt_nightly 36053848)" \
		"success|2021-12-07T10:34:01.982824|2021-12-07T10:34:14.435474|110|-|-|-"
}

@test "dbt Cloud v2 cancel response: canceled with no start, the message kept" {
	runsh "chm-normalize --source dbt_cloud --client acme '$REFERENCE/dbt_cloud_v2_run_cancel_response_cancelled.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow acme dbt_cancelled_job 36053848)" \
		"canceled|-|2022-03-14T09:58:22.867735|9|-|Cancelled by user.|-"
}

@test "dbt Cloud deprecated v4 list: string statuses and epoch seconds still read" {
	runsh "chm-normalize --source dbt_cloud --client acme '$REFERENCE/dbt_cloud_v4_deprecated_run_list_response.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow acme dbt_legacy_job 40650768)" \
		"success|2022-01-17T00:09:01.000000|2022-01-17T00:09:41.000000|416|-|-|-"
	assert_eq "$(runrow acme dbt_legacy_job 40538548)" \
		"success|2022-01-16T00:08:03.000000|2022-01-16T00:08:45.000000|417|-|-|-"
}

@test "dbt-core run_results v4, v6 and the two jaffle_shop files: one run each" {
	for f in dbt_core_run_results_v4 dbt_core_run_results_v6 dbt_core_run_results_v6_jaffle_shop_dbt1.12 dbt_core_run_results_v6_jaffle_shop_dbt1.9_bigquery; do
		runsh "chm-normalize --source dbt_artifact --client acme --pipeline jaffle_shop '$REFERENCE/$f.json' | chm-load"
		[ "$status" -eq 0 ]
	done
	# v4: rows_affected all -1 (unknown): no rows; start = earliest timing
	assert_eq "$(runrow acme jaffle_shop 42f85a60-4f7b-4cc1-a197-62687104fecc)" \
		"success|2023-11-06T20:40:37.485334|2023-11-06T20:40:37.557735|0.181446|-|-|-"
	assert_eq "$(runrow acme jaffle_shop ca07d2ca-054f-4ea1-be63-4acccfe4a6a7)" \
		"success|2024-09-24T15:24:36.179261|2024-09-24T15:24:36.246406|0.643703|-|-|-"
	# 1.12 has metadata.invocation_started_at
	assert_eq "$(runrow acme jaffle_shop 24ad943b-c71e-497c-be0b-d037a3c525ad)" \
		"success|2026-08-10T07:03:39.116699|2026-08-10T07:03:39.914971|0.322538|-|-|-"
	# BigQuery build: 41 success + 20 pass; rows = sum of positive rows_affected
	assert_eq "$(runrow acme jaffle_shop cfbc1db9-66c1-46c2-a94b-8c0cef32314f)" \
		"success|2024-12-16T07:44:55.525836|2024-12-16T07:45:32.505887|38.734198|532|-|-"
}

@test "a run_results.json over 16 MiB on one line, as dbt writes it, is read like its pretty-printed twin" {
	# the jaffle_shop file grown by compiled_code past the NDJSON line size
	python3 - "$REFERENCE/dbt_core_run_results_v6_jaffle_shop_dbt1.12.json" "$BATS_TEST_TMPDIR" <<-'PY'
	import json, sys
	d = json.load(open(sys.argv[1]))
	rs, i = d["results"], 0
	while len(json.dumps(d)) < (17 << 20):
	    r = rs[i % len(rs)]
	    r["compiled_code"] = (r.get("compiled_code") or "") + ("-- " + "x" * 1000 + "\n") * 200
	    i += 1
	open(sys.argv[2] + "/compact.json", "w").write(json.dumps(d))
	open(sys.argv[2] + "/pretty.json", "w").write(json.dumps(d, indent=2))
	PY
	[ "$(wc -l <"$BATS_TEST_TMPDIR/compact.json")" -eq 0 ]
	[ "$(wc -c <"$BATS_TEST_TMPDIR/compact.json")" -gt $((17 << 20)) ]
	for f in compact pretty; do
		run --separate-stderr chm-normalize --source dbt_artifact --client acme --pipeline jaffle_shop "$BATS_TEST_TMPDIR/$f.json"
		[ "$status" -eq 0 ]
		printf '%s\n' "$output" | jq -c 'select(.type=="run") | del(.fetched_at)' >"$BATS_TEST_TMPDIR/$f.run"
	done
	assert_eq "$(wc -l <"$BATS_TEST_TMPDIR/compact.run")" 1
	diff "$BATS_TEST_TMPDIR/compact.run" "$BATS_TEST_TMPDIR/pretty.run"
}

@test "marquez full event: COMPLETE with rows from outputStatistics; its parent is the job itself" {
	runsh "chm-normalize --source openlineage --client globex '$REFERENCE/marquez_ol_event_full.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow globex shipments_lineage ea041791-68bc-4ae1-bd89-4c8106a157e4)" \
		"success|-|2020-12-28T19:51:01.641000|-|2000|-|-"
}

@test "marquez simple event: +10:00 offset converted to UTC" {
	runsh "chm-normalize --source openlineage --client globex '$REFERENCE/marquez_ol_event_simple.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow globex myjob 41fb5137-f0fd-4ee5-ba5c-56f8571d1bd7)" \
		"success|-|2020-12-28T09:52:00.001000|-|-|-|-"
}

@test "marquez START with only a nominal start time: running since eventTime" {
	runsh "chm-normalize --source openlineage --client globex '$REFERENCE/marquez_ol_null_nominal_end_time.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow globex myjob_task 1d79ed5b-7fe9-4124-b70a-bfa01d9fba83)" \
		"running|2020-12-28T19:51:01.641000|-|-|-|-|-"
}

@test "marquez events without eventType (nanoseconds, no time zone): counted, no run" {
	for f in marquez_ol_event_required_nanoseconds marquez_ol_event_required_no_timezone; do
		run --separate-stderr chm-normalize --summary --source openlineage --client globex "$REFERENCE/$f.json"
		[ "$status" -eq 0 ]
		assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="run")' | wc -l)" 0
		assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="summary") | .no_run')" 1
		[[ "$stderr" == *"1 event(s) changed no status"* ]]
	done
	assert_eq "$(q "SELECT count(*) FROM runs WHERE external_run_id = '43d7db3b-8984-4cda-b237-8c6919b36670'")" 0
}

@test "marquez DatasetEvent and JobEvent (static events): counted, no run, the run events around them kept" {
	for f in marquez_ol_dataset_event marquez_ol_job_event; do
		run --separate-stderr chm-normalize --summary --source openlineage --client globex "$REFERENCE/$f.json"
		[ "$status" -eq 0 ]
		assert_eq "$(printf '%s\n' "$output" | jq -c 'select(.type=="summary") | [.runs, .no_run, .rejected]')" "[0,1,0]"
		[[ "$stderr" == *"1 event(s) changed no status (OpenLineage OTHER, no eventType, DatasetEvent or JobEvent)"* ]]
	done
	# one NDJSON stream: the JobEvent (eventType COMPLETE, no run) between two run events
	{ jq -c . "$REFERENCE/marquez_ol_event_simple.json"; jq -c . "$REFERENCE/marquez_ol_job_event.json"
	  jq -c . "$REFERENCE/marquez_ol_dataset_event.json"; jq -c . "$REFERENCE/marquez_ol_event_full.json"; } >"$BATS_TEST_TMPDIR/mixed.ndjson"
	runsh "chm-normalize --source openlineage --client globex '$BATS_TEST_TMPDIR/mixed.ndjson' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow globex myjob 41fb5137-f0fd-4ee5-ba5c-56f8571d1bd7)" "success|-|2020-12-28T09:52:00.001000|-|-|-|-"
	assert_eq "$(nruns myjob)" 1
	# a static event is still held to the spec's eventTime
	jq -c '.eventTime = "yesterday"' "$REFERENCE/marquez_ol_dataset_event.json" >"$BATS_TEST_TMPDIR/bad.ndjson"
	run --separate-stderr chm-normalize --source openlineage --client globex "$BATS_TEST_TMPDIR/bad.ndjson"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$stderr" | jq -r 'select(.type=="reject") | "\(.line) \(.field)"')" "1 eventTime"
}

@test "OpenLineage spec full event: COMPLETE of food_delivery/dbt, stray dataset key tolerated" {
	runsh "chm-normalize --source openlineage --client globex '$REFERENCE/openlineage_spec_example_full_event.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(runrow globex food_delivery_dbt f69a6e9b-9bac-3c9a-9cf6-eacb70ecc9a9)" \
		"success|-|2023-07-17T10:54:22.355067|-|-|-|-"
}

@test "OpenLineage dbt failed run: the invocation fails with its error, child model/SQL runs skipped" {
	runsh "chm-normalize --source openlineage --client globex '$REFERENCE/openlineage_dbt_failed_run_expected_events.json' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(nruns dbt_run_jaffle_shop)" 1
	assert_eq "$(runrow globex dbt_run_jaffle_shop '{{ any(result) }}')" \
		"failed|2024-11-22T15:58:03.518877|2024-11-22T15:58:09.771069|6.252192|-|Command \`dbt run\` failed at 15:58:09.771069 after 6.60 seconds|-"
	run --separate-stderr chm-normalize --source openlineage --client globex "$REFERENCE/openlineage_dbt_failed_run_expected_events.json"
	[[ "$stderr" == *"6 child run(s) skipped"* ]]
	run --separate-stderr chm-normalize --include-children --source openlineage --client globex "$REFERENCE/openlineage_dbt_failed_run_expected_events.json"
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="run") | .external_id' | sort -u | paste -sd,)" \
		"dbt-test-namespace/dbt-run-jaffle_shop,dbt-test-namespace/model.jaffle_shop.orders,dbt-test-namespace/model.jaffle_shop.orders.sql.1,dbt-test-namespace/model.jaffle_shop.orders.sql.2"
}

@test "not run feeds: facet-only OpenLineage files are rejected, schema/Singer/Slack files make no run" {
	for f in openlineage_spec_errorMessage_run_facet openlineage_spec_parent_run_facet_airflow; do
		run --separate-stderr chm-normalize --source openlineage --client globex "$REFERENCE/$f.json"
		[ "$status" -eq 65 ]
		[ -z "$output" ]
		assert_eq "$(printf '%s\n' "$stderr" | jq -r 'select(.type=="reject") | .field')" job
	done
	# a JSON schema, a Singer stream and state, Slack pages: no "type" we know
	for f in dbt_core_run_results_v6.schema.json singer_spec_example_stream.jsonl singer_state_bookmarks_example.json slack_cursor_page1.json slack_cursor_page2_last.json; do
		run --separate-stderr chm-normalize "$REFERENCE/$f"
		assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="run")' | wc -l)" 0
	done
	before=$(q "SELECT count(*) FROM runs")
	runsh "chm-normalize '$REFERENCE/singer_spec_example_stream.jsonl' '$REFERENCE/slack_cursor_page1.json' 2>/dev/null | chm-load"
	assert_eq "$(q "SELECT count(*) FROM runs")" "$before"
}
