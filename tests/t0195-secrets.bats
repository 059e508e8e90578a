#!/usr/bin/env bats
# Secrets (SE-001..SE-003, issue 8): a partner token and a database password
# that is really checked (scram-sha-256 for the role chm_se_user), every
# program through success and its failure paths, and then stdout, stderr,
# rejects, state files and every text column of the database (pg_dump
# --data-only) searched: neither secret, nor any secret of a payload,
# appears anywhere.

load helper
load fetch_helper

TOKEN="tok-SE9f8e7d6c-SECRET"
DBPW="pw-SE1a2b3c4d-SECRET"
ROLE=chm_se_user

setup_file() {
	fresh_db file
	export OUT="$BATS_FILE_TMPDIR/out"
	mkdir -p "$OUT"
	psql -X -q -d postgres -c "SET password_encryption = 'scram-sha-256'" \
		-c "DROP ROLE IF EXISTS $ROLE" -c "CREATE ROLE $ROLE LOGIN SUPERUSER PASSWORD '$DBPW'"
	HBA=$(psql -X -A -t -d postgres -c "SHOW hba_file")
	export HBA
	# the role must give its password; everyone else stays on trust
	{ echo "local all $ROLE scram-sha-256"; grep -v "^local all $ROLE " "$HBA"; } >"$HBA.new"
	cat "$HBA.new" >"$HBA" && rm -f "$HBA.new"
	psql -X -q -d postgres -c "SELECT pg_reload_conf()" >/dev/null
	sleep 0.2
	PGUSER=postgres chm-load "$FIXTURES/inventory.ndjson" >/dev/null
	chm-load "$FIXTURES/fetch/inventory.ndjson" >/dev/null
}

teardown_file() {
	grep -v "^local all $ROLE " "$HBA" >"$HBA.new" && cat "$HBA.new" >"$HBA" && rm -f "$HBA.new"
	psql -X -q -d postgres -c "SELECT pg_reload_conf()" >/dev/null
}

# Runs a command as the password role; keeps its stdout and stderr in $OUT/NAME.*
#   as_role NAME CMD...
as_role() {
	local name=$1
	shift
	run --separate-stderr env PGUSER=$ROLE PGPASSWORD="$DBPW" "$@"
	printf '%s\n' "$output" >"$OUT/$name.out"
	printf '%s\n' "$stderr" >"$OUT/$name.err"
}

@test "the password is really required: without it, refused (78), and the message says so without a password" {
	run --separate-stderr env PGUSER=$ROLE PGPASSWORD=wrong-one chm-load "$FIXTURES/inventory.ndjson"
	printf '%s\n%s\n' "$output" "$stderr" >"$OUT/wrong-password"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"password authentication failed"* ]]
	[[ "$stderr" != *wrong-one* ]]
	as_role ok chm-load "$FIXTURES/inventory.ndjson"
	[ "$status" -eq 0 ]
}

@test "chm-load, chm-normalize: success, rejects, state file, payload secrets, database down" {
	cat >"$BATS_TEST_TMPDIR/raw.ndjson" <<EOF
{"type":"raw","source":"airflow","client":"acme","external_id":"orders_daily","record":{"dag_id":"orders_daily","dag_run_id":"se-1","state":"failed","conf":{"Password":"v-se-a1","nested":{"deeper":[{"API_KEY":"v-se-a2"},{"x-api-key":"v-se-a3"}]},"Authorization":"Bearer v-se-a4","credentials":{"user":"u","pass":"v-se-a5"},"privateKey":"v-se-a6","client_secret":"v-se-a7","access_token":"v-se-a8","url":"https:\\/\\/user:v-se-a9@host.example.com\\/x?token=v-se-a10&a=1","dsn":"postgresql://etl:v-se-a11@db/x","conn":"host=db user=etl password=v-se-a12","pwd":"v-se-a13","note":"PGPASSWORD=v-se-a14 psql"}}}
{"type":"raw","source":"cron","client":"globex","pipeline":"nightly_export","record":{"run_id":"se-2","event":"end","exit_status":2,"stderr_tail":"upload to sftp://etl:v-se-b1@files.example.com failed; retry with password=v-se-b2","command":"export.sh --token=v-se-b3"}}
{"type":"state","value":{"airflow":{"acme/orders_daily":"2026-11-21T08:00:00Z"}}}
{"type":"raw","source":"airflow","client":"acme","external_id":"orders_daily","record":{"dag_run_id":"se-3","state":"success","conf":{"secret":"v-se-c1"},"start_date":"2026-13-01T00:00:00Z"}}
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"se-4","status":"bogus"}
EOF
	run --separate-stderr chm-normalize --rejects "$OUT/norm.rejects" "$BATS_TEST_TMPDIR/raw.ndjson"
	printf '%s\n' "$output" >"$OUT/norm.out"
	printf '%s\n' "$stderr" >"$OUT/norm.err"
	[ "$status" -eq 65 ]
	assert_eq "$(grep -c '"type":"run"' "$OUT/norm.out")" 2
	CHM_NORMALIZE_NO_FASTPATH=1 chm-normalize "$BATS_TEST_TMPDIR/raw.ndjson" >"$OUT/norm-slow.out" 2>"$OUT/norm-slow.err" || true
	# the runs and the bad run through chm-load, as the password role
	{ cat "$OUT/norm.out"; echo '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"se-5","status":"bogus"}'; } >"$BATS_TEST_TMPDIR/runs.ndjson"
	as_role load chm-load --state-file "$OUT/state.json" --rejects "$OUT/load.rejects" "$BATS_TEST_TMPDIR/runs.ndjson"
	[ "$status" -eq 65 ]
	assert_eq "$(summary_field inserted)" 2
	[ -s "$OUT/state.json" ]
	# the password in a conninfo and in a URL, the server down
	as_role load-conninfo chm-load --db "host=$PGHOST dbname=$PGDATABASE user=$ROLE password=$DBPW" "$BATS_TEST_TMPDIR/runs.ndjson"
	[ "$status" -eq 65 ]
	as_role load-url env CHM_DATABASE_URL="postgresql://$ROLE:$DBPW@/$PGDATABASE?host=$PGHOST" chm-load "$BATS_TEST_TMPDIR/runs.ndjson"
	[ "$status" -eq 65 ]
	as_role load-down chm-load --db "host=$BATS_TEST_TMPDIR/nowhere dbname=x user=$ROLE password=$DBPW" "$BATS_TEST_TMPDIR/runs.ndjson"
	[ "$status" -eq 75 ]
	as_role load-down-url chm-load --db "postgresql://$ROLE:$DBPW@/x?host=$BATS_TEST_TMPDIR/nowhere" "$BATS_TEST_TMPDIR/runs.ndjson"
	[ "$status" -eq 75 ]
	# SIGTERM in the middle of a load (what systemd sends)
	run --separate-stderr bash -c "{ cat '$BATS_TEST_TMPDIR/runs.ndjson'; sleep 5; } |
		PGUSER=$ROLE PGPASSWORD='$DBPW' timeout --preserve-status -s TERM 2 chm-load --state-file '$OUT/state-term.json'"
	printf '%s\n%s\n' "$output" "$stderr" >"$OUT/load-term"
	[ "$status" -eq 75 ]
	grep -q 'stopped by signal 15' "$OUT/load-term"
	as_role load-badconn chm-load --db "host=$PGHOST password=$DBPW bogus_option=1" "$BATS_TEST_TMPDIR/runs.ndjson"
	[ "$status" -ne 0 ]
}

@test "chm-fetch: success, 401, 429, 5xx, reset, timeout, invalid JSON, with the token and the database password" {
	local common=(--source airflow --client acme --pipeline orders_daily --retry-delay 0.02 --retries 2 --max-lookback 36500d)
	start_fake_api --token "$TOKEN" --fault 503:1 --fault 429s:1
	as_role fetch-ok env CHM_FETCH_TOKEN="$TOKEN" chm-fetch "${common[@]}" --base-url "$FAKE_URL" \
		--db "host=$PGHOST dbname=$PGDATABASE user=$ROLE password=$DBPW" --state-file "$OUT/fetch-state.json"
	[ "$status" -eq 0 ]
	grep -q '"type":"raw"' "$OUT/fetch-ok.out"
	printf '%s\n' "$output" | chm-normalize 2>"$OUT/fetch-norm.err" | tee "$OUT/fetch-norm.out" |
		env PGUSER=$ROLE PGPASSWORD="$DBPW" chm-load --state-file "$OUT/fetch-state.json" >"$OUT/fetch-load.out" 2>"$OUT/fetch-load.err"
	stop_fake_api
	local fault
	for fault in 401:0 500:0 reset:0 invalid:0 truncated:0 hang:0; do
		start_fake_api --token "$TOKEN" --fault "$fault"
		as_role "fetch-${fault%%:*}" env CHM_FETCH_TOKEN="$TOKEN" chm-fetch "${common[@]}" --timeout 1 \
			--base-url "$FAKE_URL" --pipelines "$FIXTURES/fetch/inventory.ndjson"
		[ "$status" -ne 0 ]
		stop_fake_api
	done
	# a wrong token, and a token in a base URL (refused or masked, never printed)
	start_fake_api --token "$TOKEN"
	as_role fetch-wrong-token env CHM_FETCH_TOKEN="not-$TOKEN" chm-fetch "${common[@]}" --base-url "$FAKE_URL" \
		--pipelines "$FIXTURES/fetch/inventory.ndjson"
	[ "$status" -ne 0 ]
	as_role fetch-url-cred chm-fetch "${common[@]}" --base-url "${FAKE_URL/http:\/\//http://u:$TOKEN@}" \
		--pipelines "$FIXTURES/fetch/inventory.ndjson"
	echo "$TOKEN" >"$BATS_TEST_TMPDIR/token"
	as_role fetch-token-file chm-fetch "${common[@]}" --token-file "$BATS_TEST_TMPDIR/token" \
		--base-url "$FAKE_URL" --pipelines "$FIXTURES/fetch/inventory.ndjson"
	[ "$status" -eq 0 ]
	# the fetcher's database down
	as_role fetch-db-down env CHM_FETCH_TOKEN="$TOKEN" chm-fetch "${common[@]}" --base-url "$FAKE_URL" \
		--db "postgresql://$ROLE:$DBPW@/x?host=$BATS_TEST_TMPDIR/nowhere"
	[ "$status" -ne 0 ]
}

@test "chm, chm-report, chm-exec: success and failure, with the database password" {
	as_role chm-migrate chm migrate --status
	[ "$status" -eq 0 ]
	as_role chm-clients chm --db "host=$PGHOST dbname=$PGDATABASE user=$ROLE password=$DBPW" client list
	[ "$status" -eq 0 ]
	as_role chm-down chm --db "host=$BATS_TEST_TMPDIR/nowhere user=$ROLE password=$DBPW" client list
	[ "$status" -ne 0 ]
	as_role chm-bad chm client create --name ""
	[ "$status" -ne 0 ]
	as_role chm-runs chm run list --client acme
	[ "$status" -eq 0 ]
	as_role report chm-report --format table q2 q6
	[ "$status" -eq 0 ]
	as_role report-down chm-report --db "postgresql://$ROLE:$DBPW@/x?host=$BATS_TEST_TMPDIR/nowhere" q2
	[ "$status" -ne 0 ]
	as_role exec chm exec --pipeline globex/nightly_export --load -- \
		sh -c "echo 'upload to https://u:v-se-d1@h.example.com failed, password=v-se-d2' >&2; exit 3"
	[ "$status" -eq 3 ]
	# the job's own stderr passes through untouched (by design): not ours to search
	grep -q 'v-se-d1' "$OUT/exec.err"
	rm "$OUT/exec.err"
	as_role exec-down chm exec --pipeline globex/nightly_export --load \
		--db "host=$BATS_TEST_TMPDIR/nowhere password=$DBPW" -- true
}

@test "no secret anywhere: outputs, messages, rejects, state files, and every text column of the database" {
	[ -n "$(ls "$OUT")" ]
	# there is something to search: runs with payloads, messages with errors
	grep -q 'password authentication failed' "$OUT/wrong-password"
	grep -q '\[redacted\]' "$OUT/norm.out"
	[ -s "$OUT/load.rejects" ] && [ -s "$OUT/norm.rejects" ]
	[ "$(q "SELECT count(*) FROM runs WHERE payload::text LIKE '%redacted%'")" -ge 2 ]
	pg_dump --data-only "$PGDATABASE" >"$OUT/dump.sql"
	grep -q 'se-1' "$OUT/dump.sql"
	for secret in "$TOKEN" "$DBPW" v-se-; do
		if grep -r -l -F -- "$secret" "$OUT"; then
			grep -r -F -- "$secret" "$OUT" | cut -c1-400 >&2
			echo "secret $secret found" >&2
			return 1
		fi
	done
}
