#!/usr/bin/env bats
# chm-fetch over a failing partner: what is retried (timeouts, resets, 408,
# 429, 5xx) and what is not, Retry-After in both forms, bounded retry time,
# exit 69 when it gives up with what was printed before still valid.

load helper
load fetch_helper

fetch() {
	chm-fetch --source airflow --base-url "$FAKE_URL" "${FETCH_FAST[@]}" --client acme --pipeline orders_daily \
		--page-size 3 --max-response 65536 "$@"
}

expect_complete() {
	assert_eq "$(raw_ids dag_run_id | wc -l)" 10
	assert_eq "$(raw_ids dag_run_id | sort | uniq -d)" ""
}

@test "5xx and 408 are retried with one stderr line each, then the fetch completes" {
	start_fake_api --fault 503:2:offset=2 --fault 502:1 --fault 500:1:offset=6 --fault 408:1:offset=8
	run --separate-stderr fetch
	[ "$status" -eq 0 ]
	expect_complete
	assert_eq "$(retry_lines)" 5
	[[ "$stderr" == *"GET $FAKE_URL/api/v1/dags/orders_daily/dagRuns?"*"offset=2: HTTP 503; retry 1/5 in "* ]]
	[[ "$stderr" == *"HTTP 503; retry 2/5 in "* ]]
	[[ "$stderr" == *"HTTP 408; retry 1/5"* ]]
}

@test "429 without Retry-After: exponential backoff with jitter from --retry-delay" {
	start_fake_api --fault 429:3
	run --separate-stderr fetch --retry-delay 0.2
	[ "$status" -eq 0 ]
	expect_complete
	# 0.2 s, then 0.4 s, then 0.8 s, each at least half of it and at most all of it
	[[ "$stderr" =~ retry\ 1/5\ in\ 0\.[12]s ]]
	[[ "$stderr" =~ retry\ 2/5\ in\ 0\.[234]s ]]
	[[ "$stderr" =~ retry\ 3/5\ in\ 0\.[45678]s ]]
}

@test "429 with Retry-After in seconds waits that long" {
	start_fake_api --fault 429s:1
	SECONDS=0
	run --separate-stderr fetch
	[ "$status" -eq 0 ]
	expect_complete
	[ "$SECONDS" -ge 1 ]
	[[ "$stderr" == *"HTTP 429; retry 1/5 in 1.0s"* ]]
}

@test "429 with Retry-After as an HTTP-date waits until then" {
	start_fake_api --fault 429d:1
	run --separate-stderr fetch
	[ "$status" -eq 0 ]
	expect_complete
	[[ "$stderr" =~ HTTP\ 429\;\ retry\ 1/5\ in\ [0-2]\.[0-9]s ]]
	[[ ! "$stderr" =~ in\ 0\.0s ]]
}

@test "a Retry-After beyond --retry-after-max gives up at once with exit 69" {
	start_fake_api --fault 429big:0
	SECONDS=0
	run --separate-stderr fetch --retry-after-max 5
	[ "$status" -eq 69 ]
	[ "$SECONDS" -le 2 ]
	[[ "$stderr" == *"Retry-After 3600, longer than the 5s we wait at most"* ]]
	assert_eq "$output" ""
}

@test "connection resets and a response cut short are retried" {
	start_fake_api --fault reset:1:offset=0 --fault partial:1:offset=6
	run --separate-stderr fetch
	[ "$status" -eq 0 ]
	expect_complete
	[[ "$stderr" == *"offset=0: connection reset; retry 1/5"* ]]
	[[ "$stderr" == *"offset=6: response cut short; retry 1/5"* ]]
	assert_eq "$(retry_lines)" 2
}

@test "a hanging response times out and is retried" {
	start_fake_api --fault hang:1:offset=2
	run --separate-stderr fetch --timeout 0.5
	[ "$status" -eq 0 ]
	expect_complete
	[[ "$stderr" == *"offset=2: timeout; retry 1/5"* ]]
}

@test "giving up: exit 69, every page before stays valid and stdout ends with its state" {
	start_fake_api --fault 500:0:offset=6
	run --separate-stderr fetch --retries 2
	[ "$status" -eq 69 ]
	assert_eq "$(retry_lines)" 2
	[[ "$stderr" == *"offset=6: HTTP 500; gave up after 3 attempts"* ]]
	# pages at offsets 0, 2 and 4 (each after the first asked one row early)
	assert_eq "$(raw_ids dag_run_id | wc -l)" 7
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -r .type)" state
	# the bookmark covers exactly the seven runs printed
	save_state "$BATS_TEST_TMPDIR/state.json"
	assert_eq "$(jq -r '.bookmarks.airflow.acme.orders_daily.since' "$BATS_TEST_TMPDIR/state.json")" \
		"2026-11-16T00:00:04.601234Z"
	# and the next run picks up from there once the partner is back
	stop_fake_api
	start_fake_api
	run --separate-stderr fetch --state-file "$BATS_TEST_TMPDIR/state.json"
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids dag_run_id | head -n 1)" "scheduled__2026-11-17T00:00:00+00:00"
	assert_eq "$(raw_ids dag_run_id | wc -l)" 2 # 17th (running), the manual run; the queued one has no start yet
}

@test "the total retry time is bounded" {
	start_fake_api --fault 503:0
	SECONDS=0
	run --separate-stderr fetch --retries 50 --retry-delay 0.2 --retry-max-time 1
	[ "$status" -eq 69 ]
	[ "$SECONDS" -le 3 ]
	[[ "$stderr" == *"(retry time limit 1s)"* ]]
}

@test "a 4xx other than 408/429 is not retried" {
	start_fake_api --fault 404:1
	run --separate-stderr fetch
	[ "$status" -eq 69 ]
	assert_eq "$(wc -l <"$FAKE_LOG")" 1
	assert_eq "$(retry_lines)" 0
}

@test "a refusal's own words are in the message: on one line, credentials hidden, cut short" {
	start_fake_api --fault 400words:1
	run --separate-stderr fetch
	[ "$status" -eq 69 ]
	[[ "$stderr" == *'HTTP 400 (the server said "Invalid value for limit see https://[redacted]@airflow.example.com/api?token=[redacted] and more words'*' more words and...")'* ]]
	[[ "$stderr" != *hunter2* && "$stderr" != *s3cr3t* ]]
	# one line, of a size a person reads
	assert_eq "$(printf '%s\n' "$stderr" | grep -c 'HTTP 400')" 1
	[ "$(printf '%s\n' "$stderr" | grep 'HTTP 400' | wc -c)" -lt 400 ]
}

@test "401 is bad credentials: exit 78, not retried" {
	start_fake_api --token right-token
	CHM_FETCH_TOKEN=wrong-token run --separate-stderr fetch
	[ "$status" -eq 78 ]
	assert_eq "$(wc -l <"$FAKE_LOG")" 1
	[[ "$stderr" == *"HTTP 401: the partner refused our credentials"* ]]
	[[ "$stderr" != *wrong-token* ]]
}

@test "invalid or truncated JSON is not retried: exit 69 naming the problem" {
	start_fake_api --fault invalid:1
	run --separate-stderr fetch
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"invalid JSON"* ]]
	assert_eq "$(wc -l <"$FAKE_LOG")" 1
	stop_fake_api
	start_fake_api --fault truncated:1:offset=2
	run --separate-stderr fetch
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"offset=2: invalid JSON"* ]]
	assert_eq "$(raw_ids dag_run_id | wc -l)" 3
}

@test "a response larger than --max-response is refused" {
	start_fake_api
	run --separate-stderr fetch --max-response 1024
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"response larger than 1024 bytes"* ]]
}

@test "nothing listening: connection errors are retried, then exit 69" {
	start_fake_api
	stop_fake_api
	run --separate-stderr fetch --retries 2
	[ "$status" -eq 69 ]
	assert_eq "$(retry_lines)" 2
	[[ "$stderr" == *"cannot connect; gave up after 3 attempts"* ]]
}

@test "SIGTERM while waiting to retry: stops at once with exit 75, stdout ends with a whole state record" {
	start_fake_api --fault 503:0:offset=6
	chm-fetch --source airflow --base-url "$FAKE_URL" "${FETCH_FAST[@]}" --client acme --pipeline orders_daily \
		--page-size 3 --retry-delay 20 >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	for i in $(seq 200); do grep -q 'retry 1/5' "$BATS_TEST_TMPDIR/err" 2>/dev/null && break; sleep 0.05; done
	SECONDS=0
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$SECONDS" -le 2 ]
	assert_eq "$rc" 75
	grep -q 'stopped by a signal' "$BATS_TEST_TMPDIR/err"
	assert_eq "$(jq -r .type "$BATS_TEST_TMPDIR/out" | tail -n 1)" state
	assert_eq "$(jq -r 'select(.type=="raw") | .record.dag_run_id' "$BATS_TEST_TMPDIR/out" | wc -l)" 7
}

@test "giving up with --state-interval: the state held back is still printed last" {
	start_fake_api --fault 500:0:offset=6
	run --separate-stderr fetch --retries 0 --state-interval 60
	[ "$status" -eq 69 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .type | grep -c state)" 2
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -r '.value.bookmarks.airflow.acme.orders_daily.since')" \
		"2026-11-16T00:00:04.601234Z"
}
