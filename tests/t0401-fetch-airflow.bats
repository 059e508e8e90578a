#!/usr/bin/env bats
# chm-fetch --source airflow: every page, incrementally, with a lookback for runs still running.

load helper
load fetch_helper

fetch() {
	chm-fetch --source airflow --base-url "$FAKE_URL" "${FETCH_FAST[@]}" "$@"
}

@test "every page is read when the server clamps the page size: offset advances by rows received" {
	start_fake_api --max-limit 3
	run --separate-stderr fetch --client acme --pipeline orders_daily --page-size 100
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	assert_eq "$(raw_ids dag_run_id | sort | paste -sd' ')" \
		"$(jq -r '.dag_runs[].dag_run_id' "$FIXTURES/fetch/airflow/orders_daily.json" | sort | paste -sd' ')"
	assert_eq "$(raw_ids dag_run_id | sort | uniq -d)" ""
	# each page after the first is asked one row early, to see the listing did not move
	assert_eq "$(grep -o 'offset=[0-9]*' "$FAKE_LOG" | paste -sd' ')" "offset=0 offset=2 offset=4 offset=6 offset=8"
	grep -q 'limit=100' "$FAKE_LOG"
	grep -q 'order_by=start_date' "$FAKE_LOG"
	# one state record after each of the five pages, and it is the last line
	assert_eq "$(printf '%s\n' "$output" | jq -r .type | grep -c state)" 5
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -r .type)" state
}

@test "raw envelopes carry source, client, pipeline, external_id, fetched_at and the record verbatim" {
	start_fake_api
	run --separate-stderr fetch --client acme --pipeline example_trigger_target_dag
	[ "$status" -eq 0 ]
	first=$(printf '%s\n' "$output" | head -n 1)
	assert_eq "$(jq -r '[.type,.source,.client,.pipeline,.external_id] | join(" ")' <<<"$first")" \
		"raw airflow acme example_trigger_target_dag example_trigger_target_dag"
	jq -e '.fetched_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' <<<"$first" >/dev/null
	# the records are the reference file's (a verbatim copy), field for field
	assert_eq "$(printf '%s\n' "$output" | jq -cS 'select(.type=="raw") | .record' | sort)" \
		"$(jq -cS '.dag_runs[]' "$FIXTURES/fetch/airflow/example_trigger_target_dag.json" | sort)"
}

@test "with the state file, the next fetch starts at the oldest running run and skips what it has" {
	start_fake_api
	run --separate-stderr fetch --client acme --pipeline orders_daily
	[ "$status" -eq 0 ]
	save_state "$BATS_TEST_TMPDIR/state.json"
	assert_eq "$(jq -r '.bookmarks.airflow.acme.orders_daily | .since + " " + .latest' "$BATS_TEST_TMPDIR/state.json")" \
		"2026-11-17T00:00:05.701234Z 2026-11-17T09:30:01.000000Z"

	run --separate-stderr fetch --client acme --pipeline orders_daily --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	grep -q 'start_date_gte=2026-11-17T00%3A00%3A05.701234Z' "$FAKE_LOG"
	# the run still running, and the one that started after it; nothing older
	assert_eq "$(raw_ids dag_run_id | paste -sd' ')" \
		"scheduled__2026-11-17T00:00:00+00:00 manual__2026-11-17T09:30:00.123456+00:00"
	save_state "$BATS_TEST_TMPDIR/state.json"

	# the run finishes: fetched once more with its end, then the bookmark moves past it
	jq '(.dag_runs[] | select(.state=="running")) |= (.state="success" | .end_date="2026-11-17T00:09:00+00:00")' \
		"$FAKE_DATA/airflow/orders_daily.json" >"$BATS_TEST_TMPDIR/d" && mv "$BATS_TEST_TMPDIR/d" "$FAKE_DATA/airflow/orders_daily.json"
	run --separate-stderr fetch --client acme --pipeline orders_daily --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw") | .record.dag_run_id + " " + .record.state' | head -n 1)" \
		"scheduled__2026-11-17T00:00:00+00:00 success"
	save_state "$BATS_TEST_TMPDIR/state.json"
	assert_eq "$(jq -r '.bookmarks.airflow.acme.orders_daily | [.since, .running, (.skip|join(","))] | join(" ")' "$BATS_TEST_TMPDIR/state.json")" \
		"2026-11-17T09:30:01.000000Z false manual__2026-11-17T09:30:00.123456+00:00"

	# nothing new: nothing fetched
	run --separate-stderr fetch --client acme --pipeline orders_daily --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids dag_run_id)" ""
}

@test "bookmarks of other sources and pipelines in the state file are kept" {
	start_fake_api
	echo '{"bookmarks":{"dbt_cloud":{"acme":{"43167":{"id":5,"offset":1,"skip":[]}}}},"note":"kept"}' >"$BATS_TEST_TMPDIR/state.json"
	run --separate-stderr fetch --client acme --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	last=$(printf '%s\n' "$output" | tail -n 1)
	assert_eq "$(jq -r '.value.note, .value.bookmarks.dbt_cloud.acme."43167".id, (.value.bookmarks.airflow.acme | keys | join(","))' <<<"$last" | paste -sd' ')" \
		"kept 5 example_trigger_target_dag,orders_daily"
}

@test "--since starts there instead of the bookmark" {
	start_fake_api
	run --separate-stderr fetch --client acme --pipeline orders_daily --since 2026-11-16T00:00:00Z
	[ "$status" -eq 0 ]
	grep -q 'start_date_gte=2026-11-16T00%3A00%3A00.000000Z' "$FAKE_LOG"
	assert_eq "$(raw_ids dag_run_id | head -n 1)" "scheduled__2026-11-16T00:00:00+00:00"
}

@test "a --pipelines file that cannot be read as pipelines is configuration: 78, naming the file and line, nothing fetched" {
	printf '%s\n' '{"type":"client","name":"acme"}' 'not json' >"$BATS_TEST_TMPDIR/p1.ndjson"
	printf '%s\n' '{"type":"pipeline","client":"acme","name":"x","platform":"airflow","external_id":7}' >"$BATS_TEST_TMPDIR/p2.ndjson"
	for n in 1 2; do
		run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --pipelines "$BATS_TEST_TMPDIR/p$n.ndjson"
		[ "$status" -eq 78 ]
		[ -z "$output" ]
	done
	[[ "$stderr" == *"p2.ndjson:1: "* ]]
}

@test "path parts are URL-encoded" {
	start_fake_api
	echo '{"type":"pipeline","client":"acme","name":"odd","platform":"airflow","pipeline_type":"ingestion","external_id":"a b/c+d:e"}' >"$BATS_TEST_TMPDIR/p.ndjson"
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL/" --pipelines "$BATS_TEST_TMPDIR/p.ndjson"
	grep -q '^GET /api/v1/dags/a%20b%2Fc%2Bd%3Ae/dagRuns?' "$FAKE_LOG"
	# 404 is not retried: one request, a message naming the pipeline, exit 69
	[ "$status" -eq 69 ]
	assert_eq "$(wc -l <"$FAKE_LOG")" 1
	# with the partner's own words for it (Airflow's problem JSON "detail")
	[[ "$stderr" == *"acme/odd: GET "*"HTTP 404 (the server said \"DAG with dag_id: 'a b/c+d:e' not found\")"* ]]
}

@test "pipelines from the file: only active ones of the source with an external_id" {
	start_fake_api
	run --separate-stderr fetch
	[ "$status" -eq 69 ] # reporting_refresh has no data on the fake: 404
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw") | .client + "/" + .pipeline' | sort -u | paste -sd' ')" \
		"acme/example_trigger_target_dag acme/orders_daily"
	[[ "$stderr" == *"initech/reporting_refresh: GET"*"HTTP 404"* ]]
	# the failed pipeline kept no bookmark; the others did
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -r '.value.bookmarks.airflow | keys | join(",")')" "acme"
}

@test "usage errors exit 64" {
	run --separate-stderr chm-fetch --base-url http://127.0.0.1:1
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--source is required"* ]]
	run --separate-stderr chm-fetch --source nope --base-url http://127.0.0.1:1
	[ "$status" -eq 64 ]
	run --separate-stderr chm-fetch --source airflow --base-url ftp://x
	[ "$status" -eq 64 ]
	run --separate-stderr chm-fetch --source dbt_cloud --base-url http://127.0.0.1:1
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--account-id"* ]]
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --page-size 0
	[ "$status" -eq 64 ]
	run chm-fetch --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
}

@test "--max-lookback: a run running for longer no longer holds the bookmark back" {
	start_fake_api
	run --separate-stderr fetch --client acme --pipeline orders_daily --max-lookback 1d
	[ "$status" -eq 0 ]
	save_state "$BATS_TEST_TMPDIR/state.json"
	assert_eq "$(jq -c '.bookmarks.airflow.acme.orders_daily | [.since, .running, .skip]' "$BATS_TEST_TMPDIR/state.json")" \
		'["2026-11-17T09:30:01.000000Z",false,["manual__2026-11-17T09:30:00.123456+00:00"]]'
	# 0 means no time at all, not for ever
	run --separate-stderr fetch --client acme --pipeline orders_daily --max-lookback 0s
	[ "$status" -eq 0 ]
	save_state "$BATS_TEST_TMPDIR/state0.json"
	assert_eq "$(jq -c '.bookmarks.airflow.acme.orders_daily | [.since, .running]' "$BATS_TEST_TMPDIR/state0.json")" \
		'["2026-11-17T09:30:01.000000Z",false]'
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --max-lookback 2026-01-01T00:00:00Z
	[ "$status" -eq 64 ]
}

@test "--now: the default 7d lookback counts from it, and fetched_at is it" {
	start_fake_api
	# two days after the running run started, it still holds the bookmark ...
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" --retry-delay 0.02 \
		--pipelines "$FIXTURES/fetch/inventory.ndjson" --client acme --pipeline orders_daily --now 2026-11-19T00:00:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -c '.value.bookmarks.airflow.acme.orders_daily | [.since, .running]')" \
		'["2026-11-17T00:00:05.701234Z",true]'
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw") | .fetched_at' | sort -u)" "2026-11-19T00:00:00.000000Z"
	# ... and a year later it no longer does
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" --retry-delay 0.02 \
		--pipelines "$FIXTURES/fetch/inventory.ndjson" --client acme --pipeline orders_daily --now 2027-11-19T00:00:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -c '.value.bookmarks.airflow.acme.orders_daily.running')" false
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --now yesterday-ish
	[ "$status" -eq 64 ]
}

@test "--airflow-api v2 reads Airflow 3's /api/v2" {
	start_fake_api
	run --separate-stderr fetch --client acme --pipeline orders_daily --airflow-api v2
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids dag_run_id | wc -l)" 10
	grep -q '^GET /api/v2/dags/orders_daily/dagRuns?order_by=start_date' "$FAKE_LOG"
}

@test "an Airflow 3 server asked at /api/v1: the 404 says to give --airflow-api v2" {
	start_fake_api --airflow3
	run --separate-stderr fetch --client acme --pipeline orders_daily
	[ "$status" -eq 69 ]
	[[ "$stderr" == *'HTTP 404 (the server said "Not Found"); if the server is Airflow 3, which has no /api/v1, give --airflow-api v2'* ]]
	run --separate-stderr fetch --client acme --pipeline orders_daily --airflow-api v2
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids dag_run_id | wc -l)" 10
}

@test "the record keeps the partner's bytes: numbers, escapes and key order, on one line" {
	start_fake_api
	run --separate-stderr fetch --client acme --pipeline orders_daily
	[ "$status" -eq 0 ]
	line=$(printf '%s\n' "$output" | grep '"dag_run_id":"manual__')
	[[ "$line" == *'"conf":{"api_token":"s3cr3t-in-conf","ratio":0.1,"big":1e+300,"note":"caf\u00e9 \"quoted\"\n2nd line","list":[1,2.5,{"a":null}]}'* ]]
	# the record is the page's item with only the whitespace between tokens gone
	assert_eq "$(jq -c '.record' <<<"$line")" \
		"$(jq -c '.dag_runs[] | select(.dag_run_id | startswith("manual__"))' "$FIXTURES/fetch/airflow/orders_daily.json")"
	# every line is one JSON object
	assert_eq "$(printf '%s\n' "$output" | jq -c . | wc -l)" "$(printf '%s\n' "$output" | wc -l)"
}

@test "--state-interval: fewer state records, the last one always printed and complete" {
	start_fake_api --max-limit 2
	run --separate-stderr fetch --client acme --state-interval 60
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .type | grep -c state)" 2 # the first page's, and the last
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -r '.type, (.value.bookmarks.airflow.acme | keys | join(","))' | paste -sd' ')" \
		"state example_trigger_target_dag,orders_daily"
	assert_eq "$(raw_ids dag_run_id | wc -l)" 14
}

@test "a state file that is not a JSON object is a configuration error" {
	echo '{bad' >"$BATS_TEST_TMPDIR/state.json"
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 "${FETCH_FAST[@]}" --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"state.json is not valid JSON"* ]]
	echo '[1]' >"$BATS_TEST_TMPDIR/state.json"
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 "${FETCH_FAST[@]}" --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"holds no JSON object"* ]]
	assert_eq "$output" ""
}

@test "a reader that goes away stops the fetch quietly, without a status to hide the reader's" {
	start_fake_api --max-limit 1
	runsh "chm-fetch --source airflow --base-url '$FAKE_URL' --pipelines '$FIXTURES/fetch/inventory.ndjson' \
		--client acme --pipeline orders_daily 2>'$BATS_TEST_TMPDIR/err' | head -n 1"
	[ "$status" -eq 0 ]
	assert_eq "$(jq -r .type <<<"$output")" raw
	assert_eq "$(cat "$BATS_TEST_TMPDIR/err")" ""
	# it stopped rather than reading every page
	[ "$(wc -l <"$FAKE_LOG")" -lt 10 ]
}

@test "a run dated in the far future is passed on but never becomes the bookmark" {
	start_fake_api
	jq '.dag_runs += [.dag_runs[0] | .dag_run_id = "manual__9999" | .start_date = "9999-12-31T00:00:00+00:00" | .state = "success"]' \
		"$FAKE_DATA/airflow/orders_daily.json" >"$BATS_TEST_TMPDIR/d" && mv "$BATS_TEST_TMPDIR/d" "$FAKE_DATA/airflow/orders_daily.json"
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" --retry-delay 0.02 \
		--pipelines "$FIXTURES/fetch/inventory.ndjson" --client acme --pipeline orders_daily --now 2026-11-19T00:00:00Z
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"run manual__9999 starts in the future (9999-12-31T00:00:00.000000Z)"* ]]
	printf '%s\n' "$output" | grep -q '"dag_run_id":"manual__9999"'
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -r '.value.bookmarks.airflow.acme.orders_daily.since')" "2026-11-17T00:00:05.701234Z"
}

@test "a queued run that ends without starting is fetched by the next fetch: the runs ended since the bookmark are asked for too" {
	start_fake_api
	run --separate-stderr fetch --client acme --pipeline orders_daily
	[ "$status" -eq 0 ]
	save_state "$BATS_TEST_TMPDIR/state.json"
	# the queued run is marked failed before a worker takes it: start_date stays null
	jq '(.dag_runs[] | select(.start_date == null)) |= (.state="failed" | .end_date="2026-11-19T13:00:00+00:00")' \
		"$FAKE_DATA/airflow/orders_daily.json" >"$BATS_TEST_TMPDIR/d" && mv "$BATS_TEST_TMPDIR/d" "$FAKE_DATA/airflow/orders_daily.json"
	: >"$FAKE_LOG"
	run --separate-stderr fetch --client acme --pipeline orders_daily --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	grep -q 'order_by=end_date&end_date_gte=2026-11-17T00%3A00%3A05.701234Z' "$FAKE_LOG"
	# the queued run's end, once; the runs with a start come from the start listing only
	assert_eq "$(raw_ids dag_run_id | sort | uniq -d)" ""
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw" and .record.start_date == null) | .record | .dag_run_id + " " + .state')" \
		"scheduled__2026-11-18T00:00:00+00:00 failed"
	# and it lands failed, not running
	fresh_db
	chm-load "$FIXTURES/fetch/inventory.ndjson" >/dev/null
	printf '%s\n' "$output" | chm-normalize | chm-load >/dev/null
	assert_eq "$(q "select status from runs where external_run_id='scheduled__2026-11-18T00:00:00+00:00'")" failed
}

@test "a first fetch asks for no ended runs apart: the listing from the beginning has them all" {
	start_fake_api
	run --separate-stderr fetch --client acme --pipeline orders_daily
	[ "$status" -eq 0 ]
	! grep -q 'end_date_gte' "$FAKE_LOG"
}

@test "a run deleted on the partner between two pages: the next page is read again that much earlier, no run is skipped" {
	# the oldest run goes (airflow db clean) just before the second page is answered
	start_fake_api --fault drop_oldest:1:offset=1
	run --separate-stderr fetch --client acme --pipeline orders_daily --page-size 2
	[ "$status" -eq 0 ]
	# the total shrank by one: the page is asked again one row earlier
	assert_eq "$(grep -o 'offset=[0-9]*' "$FAKE_LOG" | head -n 4 | paste -sd' ')" "offset=0 offset=1 offset=0 offset=1"
	# every run: the deleted one from the first page, the others after; none twice
	assert_eq "$(raw_ids dag_run_id | sort | paste -sd' ')" \
		"$(jq -r '.dag_runs[].dag_run_id' "$FIXTURES/fetch/airflow/orders_daily.json" | sort | paste -sd' ')"
	[ "$(jq '.dag_runs | length' "$FAKE_DATA/airflow/orders_daily.json")" -eq 9 ]
	assert_eq "$(raw_ids dag_run_id | sort | uniq -d)" ""
}

@test "a run deleted and one added between two pages (the total unchanged): the listing's move is seen, no run is skipped" {
	# before the second page: the oldest run goes and a new one starts, so
	# every run moves one offset lower and the total says nothing
	start_fake_api --fault churn:1:offset=1
	run --separate-stderr fetch --client acme --pipeline orders_daily --page-size 2
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids dag_run_id | sort | paste -sd' ')" \
		"$( (jq -r '.dag_runs[].dag_run_id' "$FIXTURES/fetch/airflow/orders_daily.json"; echo manual__churn) | sort | paste -sd' ')"
	assert_eq "$(raw_ids dag_run_id | sort | uniq -d)" ""
	# the second page, asked one row early, does not begin with the run the
	# first ended with: it is asked a page earlier, and read on from that run
	assert_eq "$(grep -o 'offset=[0-9]*' "$FAKE_LOG" | head -n 4 | paste -sd' ')" "offset=0 offset=1 offset=0 offset=1"
}

@test "the run the last page ended with is deleted before the next: reading goes on from the run after it" {
	# run 2 (the first page's last) goes before the second page: the page
	# asked again from offset 0 has run 1, before that place, then run 3
	start_fake_api --fault drop_second:1:offset=1
	run --separate-stderr fetch --client acme --pipeline orders_daily --page-size 2
	[ "$status" -eq 0 ]
	assert_eq "$(grep -o 'offset=[0-9]*' "$FAKE_LOG" | head -n 4 | paste -sd' ')" "offset=0 offset=1 offset=0 offset=1"
	assert_eq "$(raw_ids dag_run_id | sort | uniq -d)" ""
	assert_eq "$(raw_ids dag_run_id | wc -l)" 10
}
