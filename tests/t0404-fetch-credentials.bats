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

@test "--auth login (Airflow 3): user:password traded at /auth/token for a token, sent as a bearer; neither printed" {
	start_fake_api --login "admin:$TOKEN"
	printf 'admin:%s\n' "$TOKEN" >"$BATS_TEST_TMPDIR/login"
	# the API root in the base URL: the token endpoint is beside it, at the server's root
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL/api/v2" "${FETCH_FAST[@]}" \
		--client acme --pipeline orders_daily --token-file "$BATS_TEST_TMPDIR/login" --auth login
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids dag_run_id | wc -l)" 10
	assert_eq "$(head -n 1 "$FAKE_LOG")" "POST /auth/token auth=none application/json"
	# one login a run, then every page with the token it gave
	assert_eq "$(grep -c '^POST' "$FAKE_LOG")" 1
	assert_eq "$(grep '^GET' "$FAKE_LOG" | cut -d' ' -f3 | sort -u)" "auth=Bearer"
	grep -q '^GET /api/v2/dags/orders_daily/dagRuns?' "$FAKE_LOG"
	no_token_anywhere
	[[ "$output$stderr" != *fake-jwt* ]]
}

@test "--auth login with a wrong password: exit 78 with Airflow's words, no page asked, the password never printed" {
	start_fake_api --login "admin:$TOKEN"
	CHM_FETCH_TOKEN="admin:wrong-$TOKEN" run --separate-stderr fetch --auth login --airflow-api v2
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"POST $FAKE_URL/auth/token: HTTP 401: the partner refused our credentials (the server said \"Invalid credentials\")"* ]]
	assert_eq "$(grep -c '^GET' "$FAKE_LOG")" 0
	no_token_anywhere
	assert_eq "$output" ""
}

@test "--auth login needs user:password, and a source whose API has a login" {
	start_fake_api --login "admin:$TOKEN"
	CHM_FETCH_TOKEN="$TOKEN" run --separate-stderr fetch --auth login
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"--auth login needs user:password"* ]]
	CHM_FETCH_TOKEN="admin:$TOKEN" run --separate-stderr chm-fetch --source dbt_cloud --account-id 1 \
		--base-url "$FAKE_URL" "${FETCH_FAST[@]}" --auth login
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"--auth login: the dbt_cloud API has no login; give its token"* ]]
	# nothing was asked of the partner
	[ ! -s "$FAKE_LOG" ]
}

@test "--auth login: a token with a line break in it is refused, never sent as a header" {
	start_fake_api --login "admin:$TOKEN" --fault login_crlf:1:/auth/token
	CHM_FETCH_TOKEN="admin:$TOKEN" run --separate-stderr fetch --auth login
	[ "$status" -eq 69 ]
	[[ "$stderr" == *'the answer to the login has no "access_token" fit for a header'* ]]
	assert_eq "$(grep -c '^GET' "$FAKE_LOG")" 0
}

@test "--auth login with a password that is not UTF-8: a configuration error, nothing asked" {
	start_fake_api --login "admin:$TOKEN"
	printf 'admin:caf\xe9\n' >"$BATS_TEST_TMPDIR/login"
	run --separate-stderr fetch --auth login --token-file "$BATS_TEST_TMPDIR/login"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"--auth login: the user or password is not UTF-8 text"* ]]
	[ ! -s "$FAKE_LOG" ]
}

@test "--auth login: a token that expires during the run is renewed by logging in again; no page lost" {
	# each token is good for three requests: ten runs in pages of two need more
	start_fake_api --login "admin:$TOKEN" --token-ttl 3
	CHM_FETCH_TOKEN="admin:$TOKEN" run --separate-stderr fetch --auth login --page-size 2
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids dag_run_id | wc -l)" 10
	assert_eq "$(raw_ids dag_run_id | sort | uniq -d)" ""
	[ "$(grep -c '^POST /auth/token' "$FAKE_LOG")" -ge 3 ]
	no_token_anywhere
}

@test "--auth login: a token refused at once, even after logging in again, ends the run with 78" {
	start_fake_api --login "admin:$TOKEN" --token-ttl 0
	CHM_FETCH_TOKEN="admin:$TOKEN" run --separate-stderr fetch --auth login
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"HTTP 401: the partner refused our credentials"* ]]
	# the first login, one more after the first 401, and no more
	assert_eq "$(grep -c '^POST /auth/token' "$FAKE_LOG")" 2
	assert_eq "$(grep -c '^GET' "$FAKE_LOG")" 2
}
