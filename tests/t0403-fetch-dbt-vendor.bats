#!/usr/bin/env bats
# chm-fetch --source dbt_cloud (offset/limit by id against total_count) and
# --source vendor (a cursor API described by a mapping file).

load helper
load fetch_helper

dbt() {
	chm-fetch --source dbt_cloud --account-id 123456 --base-url "$FAKE_URL" "${FETCH_FAST[@]}" "$@"
}

vendor() {
	chm-fetch --source vendor --mapping "$FIXTURES/fetch/vendor/mapping.json" --base-url "$FAKE_URL" "${FETCH_FAST[@]}" "$@"
}

@test "dbt_cloud: every page by offset until total_count, ordered by id, per job" {
	start_fake_api
	run --separate-stderr dbt --page-size 2
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw") | "\(.pipeline) \(.external_id) \(.record.id)"' | paste -sd,)" \
		"dbt_nightly 43167 36053848,dbt_nightly 43167 52310000,dbt_nightly 43167 52310001,dbt_nightly 43167 52310002,dbt_nightly 43167 52310003,dbt_nightly 43167 52310004,dbt_cancelled_job 37119 52300001"
	grep -q '^GET /api/v2/accounts/123456/runs/?job_definition_id=43167&include_related=%5B%22run_steps%22%5D&order_by=id&limit=2&offset=4 ' "$FAKE_LOG"
	# pages after the first are asked one row early: 0, 1, 2, 3, 4
	assert_eq "$(grep -c 'job_definition_id=43167' "$FAKE_LOG")" 5
	save_state "$BATS_TEST_TMPDIR/state.json"
	# the running run holds the bookmark, with its offset
	assert_eq "$(jq -c '.bookmarks.dbt_cloud.acme."43167" | [.id, .offset, .running]' "$BATS_TEST_TMPDIR/state.json")" '[52310004,5,true]'
	assert_eq "$(jq -c '.bookmarks.dbt_cloud.acme."37119" | [.id, .offset, .skip]' "$BATS_TEST_TMPDIR/state.json")" '[52300001,0,["52300001"]]'
}

@test "dbt_cloud: the next fetch resumes at the bookmark's offset and refetches the running run until it ends" {
	start_fake_api
	run --separate-stderr dbt --page-size 2
	save_state "$BATS_TEST_TMPDIR/state.json"
	run --separate-stderr dbt --page-size 2 --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids id | paste -sd' ')" "52310004"
	grep -q 'job_definition_id=43167&include_related=%5B%22run_steps%22%5D&order_by=id&limit=2&offset=5 ' "$FAKE_LOG"
	save_state "$BATS_TEST_TMPDIR/state.json"
	# it finishes, and two earlier runs are deleted (offsets shift down)
	jq '.data |= (map(select(.id != 36053848 and .id != 52310000)) | map(if .id == 52310004 then .status = 10 | .is_complete = true | .in_progress = false else . end))' \
		"$FAKE_DATA/dbt_cloud/runs.json" >"$BATS_TEST_TMPDIR/d" && mv "$BATS_TEST_TMPDIR/d" "$FAKE_DATA/dbt_cloud/runs.json"
	run --separate-stderr dbt --page-size 2 --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw") | "\(.record.id) \(.record.status)"' | paste -sd,)" "52310004 10"
	save_state "$BATS_TEST_TMPDIR/state.json"
	assert_eq "$(jq -c '.bookmarks.dbt_cloud.acme."43167" | [.id, .offset, .running, .skip]' "$BATS_TEST_TMPDIR/state.json")" '[52310004,3,false,["52310004"]]'
	run --separate-stderr dbt --page-size 2 --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids id)" ""
}

@test "dbt_cloud: a wrong account id says dbt Cloud's own words (status.user_message)" {
	start_fake_api --dbt-account 123456
	run --separate-stderr chm-fetch --source dbt_cloud --account-id 999 --base-url "$FAKE_URL" "${FETCH_FAST[@]}" \
		--client acme --pipeline dbt_nightly
	[ "$status" -eq 69 ]
	[[ "$stderr" == *'/api/v2/accounts/999/runs/'*'HTTP 404 (the server said "The requested resource was not found.")'* ]]
}

@test "dbt_cloud: --since is refused (it pages by run id)" {
	run --separate-stderr chm-fetch --source dbt_cloud --account-id 1 --base-url http://127.0.0.1:1 --since 1d
	[ "$status" -eq 64 ]
}

@test "vendor: every page until the cursor is absent, request built from the mapping" {
	start_fake_api
	run --separate-stderr vendor --client globex --page-size 2
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids run_id | paste -sd' ')" "rat-0001 rat-0002 rat-0003 rat-0004 rat-0005"
	assert_eq "$(grep -o 'cursor=[^ &]*' "$FAKE_LOG" | paste -sd' ')" "cursor=c2 cursor=c4"
	grep -q '^GET /v1/pipelines/carrier-events/runs?order=asc&limit=2 ' "$FAKE_LOG"
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw") | .source + " " + .pipeline' | sort -u)" "vendor carrier_events"
	save_state "$BATS_TEST_TMPDIR/state.json"
	assert_eq "$(jq -r '.bookmarks.vendor.globex."carrier-events" | .since + " " + (.running|tostring)' "$BATS_TEST_TMPDIR/state.json")" \
		"2026-11-22T01:00:00.000000Z true"
	# next time from the running run on, through since_param
	run --separate-stderr vendor --client globex --page-size 2 --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids run_id)" "rat-0005"
	grep -q 'started_after=2026-11-22T01%3A00%3A00.000000Z' "$FAKE_LOG"
}

@test "vendor: the reference cursor pages (Slack-style next_cursor, absent on the last page)" {
	start_fake_api
	run --separate-stderr chm-fetch --source vendor --mapping "$FIXTURES/fetch/static/slack_mapping.json" \
		--base-url "$FAKE_URL" "${FETCH_FAST[@]}" --client globex --pipeline carrier_events
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids id | paste -sd' ')" "C2 C3"
	assert_eq "$(grep -c . "$FAKE_LOG")" 2
	grep -q 'cursor=page2' "$FAKE_LOG"
}

@test "vendor: an empty cursor ends too" {
	start_fake_api
	jq '.response_metadata.next_cursor = ""' "$FAKE_DATA/static/slack_channels.json" >"$BATS_TEST_TMPDIR/p" &&
		mv "$BATS_TEST_TMPDIR/p" "$FAKE_DATA/static/slack_channels.json"
	run --separate-stderr chm-fetch --source vendor --mapping "$FIXTURES/fetch/static/slack_mapping.json" \
		--base-url "$FAKE_URL" "${FETCH_FAST[@]}" --client globex --pipeline carrier_events
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids id)" "C2"
}

@test "vendor: a cursor seen twice is a loop: exit 69 after the pages before" {
	start_fake_api --fault repeat_cursor:0
	run --separate-stderr vendor --client globex --pipeline carrier_events --page-size 2
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"globex/carrier_events: "*"a cursor it had already given (a loop)"* ]]
	assert_eq "$(grep -c . "$FAKE_LOG")" 2
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -r .type)" state
}

@test "vendor: an endless cursor chain stops at the page cap with exit 69" {
	start_fake_api --fault endless:0
	run --separate-stderr vendor --client globex --pipeline carrier_events --max-pages 7
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"page cap (7 pages)"* ]]
	assert_eq "$(grep -c . "$FAKE_LOG")" 7
}

@test "airflow: the page cap stops with the bookmark saved, and the next run goes on" {
	start_fake_api
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" "${FETCH_FAST[@]}" \
		--client acme --pipeline orders_daily --page-size 2 --max-pages 2
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"page cap (2 pages)"* ]]
	# two pages of two, the second asked one row early: three runs
	assert_eq "$(raw_ids dag_run_id | wc -l)" 3
	save_state "$BATS_TEST_TMPDIR/state.json"
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" "${FETCH_FAST[@]}" \
		--client acme --pipeline orders_daily --page-size 100 --state-file "$BATS_TEST_TMPDIR/state.json"
	assert_eq "$(raw_ids dag_run_id | head -n 1)" "scheduled__2026-11-13T00:00:00+00:00"
}

@test "vendor: a bad mapping file is a configuration error" {
	echo '{"items":"x","fields":[]}' >"$BATS_TEST_TMPDIR/m.json"
	run --separate-stderr chm-fetch --source vendor --mapping "$BATS_TEST_TMPDIR/m.json" --base-url http://127.0.0.1:1 --pipelines "$FIXTURES/fetch/inventory.ndjson"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *'"fields" and "request" are objects'* ]]
	echo '{' >"$BATS_TEST_TMPDIR/m.json"
	run --separate-stderr chm-fetch --source vendor --mapping "$BATS_TEST_TMPDIR/m.json" --base-url http://127.0.0.1:1 --pipelines "$FIXTURES/fetch/inventory.ndjson"
	[ "$status" -eq 78 ]
}

@test "vendor: chm-normalize's mapping keys; one API for every pipeline, runs routed by fields.external_id" {
	start_fake_api
	run --separate-stderr chm-fetch --source vendor --mapping "$FIXTURES/fetch/static/rat_mapping.json" \
		--base-url "$FAKE_URL" "${FETCH_FAST[@]}"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw") | "\(.mapping) \(.client)/\(.pipeline) \(.record.id)"' | paste -sd,)" \
		"rat globex/carrier_events r-1001,rat globex/carrier_events r-1003,rat initech/ledger_quality r-1002"
	grep -q 'cursor=eyJpZCI6InItMTAwMiJ9' "$FAKE_LOG"
	# epoch milliseconds as the start: the running run holds carrier-events' bookmark
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -c '.value.bookmarks.vendor | [.globex."carrier-events".since, .globex."carrier-events".running, .initech."dq-ledger".since]')" \
		'["2026-11-22T08:00:00.000000Z",true,"2026-11-22T07:00:00.000000Z"]'
}

@test "vendor: a mapping without a request path: the base URL is the runs endpoint" {
	start_fake_api
	jq 'del(.request)' "$FIXTURES/fetch/static/rat_mapping.json" >"$BATS_TEST_TMPDIR/m.json"
	run --separate-stderr chm-fetch --source vendor --mapping "$BATS_TEST_TMPDIR/m.json" --base-url "$FAKE_URL/static/rat_runs" \
		"${FETCH_FAST[@]}" --client initech
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids id)" "r-1002"
	assert_eq "$(cut -d' ' -f2 "$FAKE_LOG" | paste -sd' ')" "/static/rat_runs /static/rat_runs?cursor=eyJpZCI6InItMTAwMiJ9"
	echo '{"request":{"path":"no-slash"}}' >"$BATS_TEST_TMPDIR/m.json"
	run --separate-stderr chm-fetch --source vendor --mapping "$BATS_TEST_TMPDIR/m.json" --base-url http://127.0.0.1:1 --pipelines "$FIXTURES/fetch/inventory.ndjson"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"request.path must start with /"* ]]
}

@test "a base URL that already ends with the API root is not given it twice" {
	start_fake_api
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL/api/v1/" "${FETCH_FAST[@]}" --client acme --pipeline orders_daily
	[ "$status" -eq 0 ]
	run --separate-stderr chm-fetch --source dbt_cloud --account-id 123456 --base-url "$FAKE_URL/api/v2" "${FETCH_FAST[@]}" --client acme --pipeline dbt_nightly
	[ "$status" -eq 0 ]
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL/api/v2" "${FETCH_FAST[@]}" --client acme --pipeline orders_daily
	assert_eq "$(cut -d' ' -f2 "$FAKE_LOG" | cut -d'?' -f1 | paste -sd' ')" \
		"/api/v1/dags/orders_daily/dagRuns /api/v2/accounts/123456/runs/ /api/v2/dags/orders_daily/dagRuns"
}

@test "dbt_cloud: stepping back from a stored offset respects --max-pages (a server of empty pages)" {
	start_fake_api
	printf '%s\n' '{"bookmarks":{"dbt_cloud":{"acme":{"43167":{"id":52310004,"offset":20000,"running":true}}}}}' >"$BATS_TEST_TMPDIR/state.json"
	run --separate-stderr dbt --client acme --pipeline dbt_nightly --page-size 2 --max-pages 5 --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"not found stepping back 5 pages from offset"*"reading from the first run"* ]]
	# five steps back, then the pages from the first run (3 of them), not 10,001 requests
	n=$(grep -c 'job_definition_id=43167' "$FAKE_LOG")
	[ "$n" -le 10 ] || { echo "$n requests" >&2; false; }
	printf '%s\n' "$output" | grep -q '"id":52310004'
}
