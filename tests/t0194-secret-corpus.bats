#!/usr/bin/env bats
# The secret corpus (issue 14, items 4 and 5): every shape a secret takes in
# partner data and job output (tests/secret_corpus.py: headers, curl -v,
# name/value pairs, JSON inside a string, YAML, PEM keys, key/pw keys, JDBC
# and sqlplus user/pw@host, .pgpass lines, -pSECRET, cookies, AWS keys,
# conninfos, URLs with secret query parameters) placed in every field and
# entered through every program: canonical runs through chm-normalize and
# straight into chm-load, raw airflow/cron/openlineage records, records both
# programs reject, `chm run record`, `chm exec` stderr and chm-fetch's
# messages. Then stdout, stderr, rejects, event files and every column of
# the database (pg_dump) are searched: no token may be anywhere, and every
# run must still be stored.

load helper
load fetch_helper

setup_file() {
	fresh_db file
	export C="$BATS_FILE_TMPDIR/corpus" OUT="$BATS_FILE_TMPDIR/out"
	mkdir -p "$C" "$OUT"
	python3 "$CHM_ROOT/tests/secret_corpus.py" "$C"
	chm-load "$FIXTURES/inventory.ndjson" >/dev/null
}

leaks() {
	grep -rhao 'ZQX[A-Za-z0-9]*Z' "$@" | sort -u || true
}

@test "the corpus places at least 60 secrets, each its own token" {
	n=$(wc -l <"$C/tokens.txt")
	[ "$n" -ge 60 ]
	assert_eq "$(sort -u "$C/tokens.txt" | wc -l)" "$n"
	# and the corpus really holds them, in the clear
	assert_eq "$(leaks "$C"/*.ndjson "$C/texts.tsv" | wc -l)" "$n"
}

@test "canonical runs, raw records and rejects: nothing on stdout, stderr, rejects or in a column" {
	chm-normalize --rejects "$OUT/n1.rejects" "$C/canon.ndjson" "$C/raw.ndjson" >"$OUT/n1.out" 2>"$OUT/n1.err"
	run --separate-stderr chm-load --rejects "$OUT/l1.rejects" "$OUT/n1.out"
	printf '%s\n%s\n' "$output" "$stderr" >"$OUT/l1.log"
	[ "$status" -eq 0 ]
	run --separate-stderr chm-load --rejects "$OUT/l2.rejects" "$C/direct.ndjson"
	printf '%s\n%s\n' "$output" "$stderr" >"$OUT/l2.log"
	[ "$status" -eq 0 ]
	# the fast path of chm-normalize, off: the general path redacts the same
	CHM_NORMALIZE_NO_FASTPATH=1 chm-normalize "$C/raw.ndjson" >"$OUT/n1-slow.out" 2>&1
	cmp <(jq -cS . "$OUT/n1-slow.out") <(jq -cS . <(chm-normalize "$C/raw.ndjson"))
	# rejects: chm-normalize's, chm-load's, and both on stderr
	run chm-normalize --rejects "$OUT/n2.rejects" "$C/bad.ndjson"
	[ "$status" -eq 65 ]
	assert_eq "$(wc -l <"$OUT/n2.rejects")" "$(wc -l <"$C/bad.ndjson")"
	run chm-load --rejects "$OUT/l3.rejects" "$C/bad.ndjson"
	[ "$status" -eq 65 ]
	assert_eq "$(wc -l <"$OUT/l3.rejects")" "$(wc -l <"$C/bad.ndjson")"
	chm-normalize "$C/bad.ndjson" >"$OUT/n3.out" 2>"$OUT/n3.err" || true
	chm-load "$C/bad.ndjson" >"$OUT/l4.out" 2>"$OUT/l4.err" || true
	grep -q '\[redacted\]' "$OUT/n3.err"
	grep -q '\[redacted\]' "$OUT/l4.err"
	# every run is stored, none of the secrets is
	stored=$(q "SELECT count(*) FROM runs WHERE external_run_id IN ($(sed "s/.*/'&'/" "$C/runs.txt" | paste -sd,))")
	assert_eq "$stored" "$(wc -l <"$C/runs.txt")"
	pg_dump --data-only "$PGDATABASE" >"$OUT/dump.sql"
	grep -q '\[redacted\]' "$OUT/dump.sql"
	assert_eq "$(leaks "$OUT")" ""
}

@test "chm run record and chm exec: flags and a job's stderr" {
	exec_runs="SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'nightly_export' AND r.status = 'failed' AND r.error_message LIKE '%[redacted]%' AND r.external_run_id NOT LIKE 'se-%'"
	before=$(q "$exec_runs")
	i=0
	while IFS=$'\t' read -r place text; do
		text=$(jq -r . <<<"$text")
		i=$((i + 1))
		if [ "$place" = record ]; then
			chm run record --pipeline acme/orders_daily --status failed --external-run-id "se-cm-$i" \
				--error-message "$text" --status-reason "$text" >>"$OUT/record.out" 2>>"$OUT/record.err"
		else
			chm exec --pipeline globex/nightly_export --load --events "$OUT/exec-$i.ndjson" -- \
				sh -c 'printf "%s\n" "$1" >&2; exit 3' sh "$text" >>"$OUT/exec.out" 2>/dev/null || true
		fi
	done <"$C/texts.tsv"
	n=$(grep -c '^record' "$C/texts.tsv")
	assert_eq "$(q "SELECT count(*) FROM runs WHERE external_run_id LIKE 'se-cm-%' AND error_message LIKE '%[redacted]%' AND status_reason LIKE '%[redacted]%'")" "$n"
	assert_eq "$(($(q "$exec_runs") - before))" "$(grep -c '^exec' "$C/texts.tsv")"
	pg_dump --data-only "$PGDATABASE" >"$OUT/dump2.sql"
	assert_eq "$(leaks "$OUT")" ""
}

@test "chm-fetch: secret query parameters of any name are masked in its messages" {
	start_fake_api --fault 503:0
	jq '.request.params += {"key":"ZQXfqkeyZ","sig":"ZQXfqsigZ","jwt":"ZQXfqjwtZ","code":"ZQXfqcodeZ","bearer":"ZQXfqbearerZ","pw":"ZQXfqpwZ","sessionid":"ZQXfqsessZ","hmac":"ZQXfqhmacZ"}' \
		"$FIXTURES/fetch/vendor/mapping.json" >"$BATS_TEST_TMPDIR/m.json"
	run --separate-stderr chm-fetch --source vendor --mapping "$BATS_TEST_TMPDIR/m.json" --base-url "$FAKE_URL" \
		"${FETCH_FAST[@]}" --client globex --pipeline carrier_events --retries 1
	[ "$status" -eq 69 ]
	grep -q 'ZQXfqsigZ' "$FAKE_LOG" # it was sent
	[[ "$stderr" == *"sig=[redacted]"* && "$stderr" == *"sessionid=[redacted]"* && "$stderr" == *"hmac=[redacted]"* ]]
	printf '%s\n%s\n' "$output" "$stderr" >"$OUT/fetch.log"
	assert_eq "$(leaks "$OUT/fetch.log")" ""
}
