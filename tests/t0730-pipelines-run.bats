#!/usr/bin/env bats
# pipelines/*.sh at work: rows land, rejects go to the dead-letter file, the
# bookmark lands in the state directory, and the script exits with the status
# of the first stage that failed. Stages other than chm-load are replaced by
# PATH shims where the test is about the plumbing, not the stage.

load helper

PIPES="$CHM_ROOT/pipelines"

setup() {
	fresh_db
	load_inventory
	export STATE_DIRECTORY="$BATS_TEST_TMPDIR/state"
	SHIMS="$BATS_TEST_TMPDIR/shims"
	mkdir -p "$SHIMS"
	unset CHM_ENV_FILE CREDENTIALS_DIRECTORY
}

# shim NAME 'shell body': a fake program first on PATH
shim() {
	printf '#!/bin/bash\n%s\n' "$2" >"$SHIMS/$1"
	chmod +x "$SHIMS/$1"
}

good_runs() {
	grep -c '"type":"run"' "$FIXTURES/runs/history.ndjson"
}

@test "replay.sh: files normalized and loaded, rejects kept in the dead-letter file" {
	command -v chm-normalize || skip "chm-normalize is not built on this branch"
	input="$BATS_TEST_TMPDIR/input.ndjson"
	cat "$FIXTURES/runs/history.ndjson" >"$input"
	run_line "" success >>"$input"                                   # no run id
	echo '{"type":"run","client":"nobody","platform":"airflow","external_id":"x","external_run_id":"1","status":"success"}' >>"$input"
	run --separate-stderr "$PIPES/replay.sh" "$input"
	[ "$status" -eq 65 ]
	dead="$STATE_DIRECTORY/dead-letter/replay.ndjson"
	assert_eq "$(wc -l <"$dead")" 2
	assert_eq "$(jq -r .type "$dead" | sort -u)" reject
	jq -e -s 'map(.input) | any(contains("nobody"))' "$dead"
	[[ "$stderr" == *"2 rejected records kept in $dead"* ]]
	assert_eq "$(q 'SELECT count(DISTINCT (pipeline_id, external_run_id)) FROM runs')" \
		"$(jq -r 'select(.type == "run") | .external_id + " " + .external_run_id' "$FIXTURES/runs/history.ndjson" | sort -u | wc -l)"
	assert_eq "$(q "SELECT status FROM runs WHERE external_run_id = 'scheduled__2026-11-21T00:00:00+00:00'")" failed
	# replayed: the same rows, the dead letters appended
	before=$(runs_versions)
	run --separate-stderr "$PIPES/replay.sh" "$input"
	[ "$status" -eq 65 ]
	assert_eq "$(runs_versions)" "$before"
	assert_eq "$(wc -l <"$dead")" 4
}

@test "replay.sh without files is a usage error" {
	run --separate-stderr "$PIPES/replay.sh"
	[ "$status" -eq 64 ]
	[[ "$stderr" == *usage* ]]
}

@test "airflow.sh: rows loaded, bookmark in \$STATE_DIRECTORY, rejects in the dead letter, token from the credentials" {
	export CHM_AIRFLOW_BASE_URL=http://127.0.0.1:9/api/v1
	export CREDENTIALS_DIRECTORY="$BATS_TEST_TMPDIR/creds"
	mkdir -p "$CREDENTIALS_DIRECTORY"
	echo s3cr3t >"$CREDENTIALS_DIRECTORY/airflow-token"
	# a fetcher that says what it was given and emits runs, a bad line, a bookmark
	shim chm-fetch "printf '%s\n' \"\$@\" >'$BATS_TEST_TMPDIR/fetch-args'
cat '$FIXTURES/runs/history.ndjson'
echo '{\"type\":\"run\",\"client\":\"acme\",\"platform\":\"airflow\",\"external_id\":\"nope\",\"external_run_id\":\"1\",\"status\":\"failed\"}'
echo '{\"type\":\"state\",\"value\":{\"airflow\":{\"orders_daily\":\"2026-11-21T00:00:00Z\"}}}'"
	command -v chm-normalize >/dev/null || shim chm-normalize 'exec cat'
	PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/airflow.sh"
	[ "$status" -eq 65 ]
	assert_eq "$(jq -r .airflow.orders_daily "$STATE_DIRECTORY/airflow.state.json")" 2026-11-21T00:00:00Z
	assert_eq "$(wc -l <"$STATE_DIRECTORY/dead-letter/airflow.ndjson")" 1
	assert_eq "$(jq -r .code "$STATE_DIRECTORY/dead-letter/airflow.ndjson")" unknown_pipeline
	[ "$(q 'SELECT count(*) FROM runs')" -gt 0 ]
	[[ "$output" == *'"type":"summary"'* ]]
	args=$(tr '\n' ' ' <"$BATS_TEST_TMPDIR/fetch-args")
	[[ "$args" == *"--source airflow"* ]]
	[[ "$args" == *"--base-url http://127.0.0.1:9/api/v1"* ]]
	[[ "$args" == *"--state-file $STATE_DIRECTORY/airflow.state.json"* ]]
	[[ "$args" == *"--token-file $CREDENTIALS_DIRECTORY/airflow-token"* ]]
	[[ "$args" != *"--auth"* ]]
	[[ "$output$stderr" != *s3cr3t* ]]
	# Airflow 3: the credential is user:password, traded for a token by chm-fetch
	CHM_AIRFLOW_AUTH=login PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/airflow.sh"
	args=$(tr '\n' ' ' <"$BATS_TEST_TMPDIR/fetch-args")
	[[ "$args" == *"--auth login"* ]]
}

@test "the first failing stage gives the exit status: fetch exits 69" {
	export CHM_AIRFLOW_BASE_URL=http://127.0.0.1:9/api/v1
	shim chm-fetch 'echo "chm-fetch: partner unavailable after retries" >&2; exit 69'
	shim chm-normalize 'exec cat'
	PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/airflow.sh"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"failed with status 69 (fetch 69, normalize 0, load 0)"* ]]
}

@test "a later stage's failure is not masked by the SIGPIPE it causes upstream: load exits 75" {
	export CHM_DBT_CLOUD_BASE_URL=http://127.0.0.1:9 CHM_DBT_CLOUD_ACCOUNT_ID=1
	# endless output: fetch and normalize die of SIGPIPE when load goes away
	shim chm-fetch "exec yes '$(run_line r1 success)'"
	shim chm-normalize 'exec cat'
	PGHOST="$BATS_TEST_TMPDIR/no-such-dir" PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/dbt_cloud.sh"
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"load 75"* ]]
}

@test "normalize's failure wins over load's success" {
	export CHM_VENDOR_BASE_URL=http://127.0.0.1:9 CHM_VENDOR_MAPPING=/dev/null
	shim chm-fetch 'exit 0'
	shim chm-normalize 'exit 70'
	PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/vendor.sh"
	[ "$status" -eq 70 ]
}

@test "a status outside sysexits becomes 70; a missing program 78" {
	export CHM_AIRFLOW_BASE_URL=http://127.0.0.1:9/api/v1
	shim chm-fetch 'exit 3'
	shim chm-normalize 'exec cat'
	PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/airflow.sh"
	[ "$status" -eq 70 ]
	shim chm-fetch 'exit 127'
	PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/airflow.sh"
	[ "$status" -eq 78 ]
}

@test "missing configuration exits 78 and names the variable" {
	unset CHM_AIRFLOW_BASE_URL
	run --separate-stderr "$PIPES/airflow.sh"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *CHM_AIRFLOW_BASE_URL* ]]
	run --separate-stderr env CHM_DBT_CLOUD_BASE_URL=http://x "$PIPES/dbt_cloud.sh"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *CHM_DBT_CLOUD_ACCOUNT_ID* ]]
}

@test "CHM_ENV_FILE configures a run by hand" {
	printf 'CHM_AIRFLOW_BASE_URL="http://127.0.0.1:9/from-env-file"\nCHM_STATE_DIR=%s\n' \
		"$BATS_TEST_TMPDIR/by-hand" >"$BATS_TEST_TMPDIR/test.env"
	unset STATE_DIRECTORY
	shim chm-fetch "printf '%s\n' \"\$@\" >'$BATS_TEST_TMPDIR/fetch-args'"
	shim chm-normalize 'exec cat'
	CHM_ENV_FILE="$BATS_TEST_TMPDIR/test.env" PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/airflow.sh"
	[ "$status" -eq 0 ]
	grep -qx 'http://127.0.0.1:9/from-env-file' "$BATS_TEST_TMPDIR/fetch-args"
	grep -qx "$BATS_TEST_TMPDIR/by-hand/airflow.state.json" "$BATS_TEST_TMPDIR/fetch-args"
}

@test "a second run of the same source while one holds the lock: exit 75" {
	export CHM_AIRFLOW_BASE_URL=http://127.0.0.1:9/api/v1
	shim chm-fetch 'exit 0'
	shim chm-normalize 'exec cat'
	mkdir -p "$STATE_DIRECTORY"
	exec 8>"$STATE_DIRECTORY/airflow.lock"
	flock 8
	PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/airflow.sh"
	exec 8>&-
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"another airflow run"* ]]
	PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/airflow.sh"
	[ "$status" -eq 0 ]
}

@test "a state directory that cannot be made: exit 74 (I/O, as the programs say it), naming the directory" {
	export CHM_AIRFLOW_BASE_URL=http://127.0.0.1:9/api/v1
	shim chm-fetch 'exit 0'
	# under a file: fails even as root
	STATE_DIRECTORY=/dev/null/chm PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/airflow.sh"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"cannot create the state directory /dev/null/chm"* ]]
}

@test "report.sh: report.html in the state directory, chm.prom in the textfile directory" {
	export CHM_TEXTFILE_DIR="$BATS_TEST_TMPDIR/textfile"
	mkdir -p "$CHM_TEXTFILE_DIR"
	shim chm-report 'printf "%s\n" "$*"'
	PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/report.sh"
	[ "$status" -eq 0 ]
	assert_eq "$(cat "$STATE_DIRECTORY/report.html")" "--format html all"
	assert_eq "$(cat "$CHM_TEXTFILE_DIR/chm.prom")" "--format prom all"
	# a failing report leaves the last good files in place, and its status
	shim chm-report 'echo partial; exit 75'
	PATH="$SHIMS:$PATH" run --separate-stderr "$PIPES/report.sh"
	[ "$status" -eq 75 ]
	assert_eq "$(cat "$STATE_DIRECTORY/report.html")" "--format html all"
	assert_eq "$(cat "$CHM_TEXTFILE_DIR/chm.prom")" "--format prom all"
	assert_eq "$(ls -A "$CHM_TEXTFILE_DIR" "$STATE_DIRECTORY" | grep -c '^\.')" 0
}
