#!/usr/bin/env bats
# chm-fetch credentials: from a file, systemd's credentials directory or the
# environment; sent as bearer, token or basic auth; never printed.

load helper
load fetch_helper

TOKEN="tok-5ecr3t-4f9a"

fetch() {
	chm-fetch --source airflow --base-url "$FAKE_URL" "${FETCH_FAST[@]}" --client acme --pipeline orders_daily "$@"
}

no_token_anywhere() {
	[[ "$output" != *"$TOKEN"* ]]
	[[ "$stderr" != *"$TOKEN"* ]]
}

@test "--token-file: a bearer token; never on stdout or stderr" {
	start_fake_api --token "$TOKEN"
	printf '%s\n' "$TOKEN" >"$BATS_TEST_TMPDIR/token"
	run --separate-stderr fetch --token-file "$BATS_TEST_TMPDIR/token"
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids dag_run_id | wc -l)" 10
	assert_eq "$(cut -d' ' -f3 "$FAKE_LOG" | sort -u)" "auth=Bearer"
	no_token_anywhere
}

@test "--auth token sends 'Authorization: Token' (dbt Cloud's scheme)" {
	start_fake_api --token "$TOKEN"
	printf '%s' "$TOKEN" >"$BATS_TEST_TMPDIR/token"
	run --separate-stderr fetch --token-file "$BATS_TEST_TMPDIR/token" --auth token
	[ "$status" -eq 0 ]
	assert_eq "$(cut -d' ' -f3 "$FAKE_LOG" | sort -u)" "auth=Token"
}

@test "\$CREDENTIALS_DIRECTORY/<source>-token under systemd" {
	start_fake_api --token "$TOKEN"
	mkdir "$BATS_TEST_TMPDIR/creds"
	printf '%s\n' "$TOKEN" >"$BATS_TEST_TMPDIR/creds/airflow-token"
	CREDENTIALS_DIRECTORY="$BATS_TEST_TMPDIR/creds" run --separate-stderr fetch
	[ "$status" -eq 0 ]
	no_token_anywhere
}

@test "CHM_FETCH_TOKEN from the environment" {
	start_fake_api --token "$TOKEN"
	CHM_FETCH_TOKEN="$TOKEN" run --separate-stderr fetch
	[ "$status" -eq 0 ]
	no_token_anywhere
}

@test "basic auth: user:password from CHM_FETCH_BASIC or a file" {
	start_fake_api --basic "admin:$TOKEN"
	CHM_FETCH_BASIC="admin:$TOKEN" run --separate-stderr fetch
	[ "$status" -eq 0 ]
	assert_eq "$(cut -d' ' -f3 "$FAKE_LOG" | sort -u)" "auth=Basic"
	no_token_anywhere
	printf 'admin:%s\n' "$TOKEN" >"$BATS_TEST_TMPDIR/basic"
	run --separate-stderr fetch --token-file "$BATS_TEST_TMPDIR/basic"
	[ "$status" -eq 0 ]
	CHM_FETCH_BASIC="admin:wrong" run --separate-stderr fetch
	[ "$status" -eq 78 ]
	[[ "$stderr" != *wrong* ]]
}

@test "a missing or empty token file is a configuration error" {
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --token-file /nonexistent/t --pipelines "$FIXTURES/fetch/inventory.ndjson"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"/nonexistent/t"* ]]
	: >"$BATS_TEST_TMPDIR/empty"
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --token-file "$BATS_TEST_TMPDIR/empty" --pipelines "$FIXTURES/fetch/inventory.ndjson"
	[ "$status" -eq 78 ]
}

@test "URLs in messages have userinfo and token-like query parameters masked" {
	start_fake_api --fault 503:0
	host=${FAKE_URL#http://}
	run --separate-stderr chm-fetch --source airflow --base-url "http://bob:hunter2@$host" "${FETCH_FAST[@]}" \
		--client acme --pipeline orders_daily --retries 1
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"GET http://[redacted]@$host/api/v1/dags/orders_daily/dagRuns?"* ]]
	[[ "$stderr" != *hunter2* ]]
	[[ "$stderr" != *bob* ]]
	# a vendor whose API takes its key as a query parameter
	jq '.request.params.api_key = "k3y-in-query" | .request.params.access_token = "'"$TOKEN"'"' \
		"$FIXTURES/fetch/vendor/mapping.json" >"$BATS_TEST_TMPDIR/m.json"
	run --separate-stderr chm-fetch --source vendor --mapping "$BATS_TEST_TMPDIR/m.json" --base-url "$FAKE_URL" \
		"${FETCH_FAST[@]}" --client globex --pipeline carrier_events --retries 1
	[ "$status" -eq 69 ]
	grep -q 'api_key=k3y-in-query' "$FAKE_LOG" # it was sent
	[[ "$stderr" == *"api_key=[redacted]"* ]]
	[[ "$stderr" == *"access_token=[redacted]"* ]]
	[[ "$stderr" != *k3y-in-query* ]]
	no_token_anywhere
}
