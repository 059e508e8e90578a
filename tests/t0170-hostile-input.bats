#!/usr/bin/env bats
# Hostile input (issue 8): the corpus of tests/corpus/gen.py through every
# filter that reads NDJSON. Every good line is stored, every bad one is
# rejected exactly once with its line number, code and message, nothing
# crashes (the ASan+UBSan build exits 99/98 on a leak or undefined
# behaviour), and valgrind finds no error in the release build.

load helper

setup_file() {
	fresh_db file
	export CORPUS="$BATS_FILE_TMPDIR/corpus"
	python3 "$CHM_ROOT/tests/corpus/gen.py" "$CORPUS" >"$BATS_FILE_TMPDIR/bad-lines"
}

# The reject records of file $1 are exactly the lines listed in $2, once
# each, each with a code and a message.
assert_rejects() {
	local got="$BATS_TEST_TMPDIR/rj-lines"
	jq -r '.line' "$1" | sort -n >"$got"
	if ! diff <(sort -n "$2") "$got" >&2; then
		echo "reject line numbers differ from the bad lines ($2)" >&2
		return 1
	fi
	assert_eq "$(jq -r 'select((.code // "") == "" or (.message // "") == "" or .type != "reject") | .line' "$1" | wc -l)" 0
}

# The ids stored equal the good ids of target $1 (sorted bytewise).
assert_stored() {
	local sql=$2
	diff <(LC_ALL=C sort "$CORPUS/$1.good") <(q "$sql" | LC_ALL=C sort) >&2
}

RUN_IDS="SELECT external_run_id FROM runs"

# stderr after rejects went to a --rejects file: one line a person reads,
# counting them: only_reject_count PROGRAM N
only_reject_count() {
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == "$1: $2 rejected: "* ]]
}

@test "the corpus has at least 200 bad lines, a good line between every two" {
	total=$(cat "$BATS_FILE_TMPDIR/bad-lines")
	[ "$total" -ge 200 ]
	for f in "$CORPUS"/*.bad; do
		# bad lines are exactly the even ones: never two bad lines in a row
		awk '$1 != NR * 2 { exit 1 }' "$f"
	done
	# a 10 MB line, a line nested 10,000 deep, a last line without newline
	[ "$(wc -L <"$CORPUS/load-runs.ndjson")" -ge $((10 << 20)) ]
	grep -c '{"a":{"a":{"a":' "$CORPUS/load-runs.ndjson"
	[ "$(tail -c 1 "$CORPUS/load-runs.ndjson" | od -An -c | tr -d ' ')" = "}" ]
}

@test "chm-load, canonical runs: every good line stored, every bad one rejected once" {
	fresh_db
	load_inventory
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rj" "$CORPUS/load-runs.ndjson"
	[ "$status" -eq 65 ]
	only_reject_count chm-load "$(wc -l <"$CORPUS/load-runs.bad")"
	assert_eq "$(summary_field rejected)" "$(wc -l <"$CORPUS/load-runs.bad")"
	assert_rejects "$BATS_TEST_TMPDIR/rj" "$CORPUS/load-runs.bad"
	assert_stored load-runs "$RUN_IDS"
	# SQL in the string fields is data, stored verbatim; the tables are all there
	assert_eq "$(q "SELECT count(*) FROM runs WHERE error_message = \$\$'; DROP TABLE runs; --\$\$ AND payload->>'q' = error_message")" 1
	assert_eq "$(q "SELECT count(*) FROM clients")" 3
}

@test "chm-load, inventory records: every good line stored, every bad one rejected once" {
	fresh_db
	load_inventory
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rj" "$CORPUS/load-inventory.ndjson"
	[ "$status" -eq 65 ]
	only_reject_count chm-load "$(wc -l <"$CORPUS/load-inventory.bad")"
	assert_rejects "$BATS_TEST_TMPDIR/rj" "$CORPUS/load-inventory.bad"
	assert_stored load-inventory "SELECT 'client:' || name FROM clients WHERE name LIKE 'good%'
		UNION ALL SELECT 'pipeline:' || name FROM pipelines WHERE name LIKE 'good%'
		UNION ALL SELECT 'alert_rule:' || destination FROM alert_rules WHERE destination LIKE 'good%'"
	assert_eq "$(q "SELECT count(*) FROM clients WHERE name LIKE 'bad%' OR name LIKE 'nnn%'")" 0
	assert_eq "$(q "SELECT count(*) FROM pipelines WHERE name LIKE 'bad%'")" 0
	assert_eq "$(q "SELECT count(*) FROM alert_rules WHERE destination LIKE 'bad%'")" 0
}

# chm-normalize over target $1: its rejects are the bad lines, its runs the
# good ones, once each, and chm-load stores every one of them.
normalize_target() {
	local t=$1 out="$BATS_TEST_TMPDIR/out.ndjson"
	fresh_db
	load_inventory
	run --separate-stderr chm-normalize --mapping "$CHM_ROOT/pipelines/vendors/rat.json" \
		--rejects "$BATS_TEST_TMPDIR/rj" "$CORPUS/$t.ndjson"
	[ "$status" -eq 65 ]
	only_reject_count chm-normalize "$(wc -l <"$CORPUS/$t.bad")"
	printf '%s\n' "$output" >"$out"
	assert_rejects "$BATS_TEST_TMPDIR/rj" "$CORPUS/$t.bad"
	diff <(LC_ALL=C sort "$CORPUS/$t.good") \
		<(jq -r 'select(.type == "run") | .external_run_id' "$out" | LC_ALL=C sort) >&2
	run --separate-stderr chm-load "$out"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	assert_stored "$t" "$RUN_IDS"
}

@test "chm-normalize, canonical runs" { normalize_target norm-runs; }
@test "chm-normalize, raw airflow envelopes" { normalize_target norm-airflow; }
@test "chm-normalize, raw dbt_cloud envelopes" { normalize_target norm-dbt_cloud; }
@test "chm-normalize, raw dbt_artifact envelopes" { normalize_target norm-dbt_artifact; }
@test "chm-normalize, raw openlineage envelopes" { normalize_target norm-openlineage; }
@test "chm-normalize, raw cron envelopes" { normalize_target norm-cron; }
@test "chm-normalize, raw vendor envelopes" { normalize_target norm-vendor; }

@test "chm-normalize: a cut first line does not swallow the NDJSON after it" {
	good='{"type":"raw","source":"airflow","client":"acme","external_id":"orders_daily","record":{"dag_run_id":"ID","state":"success"}}'
	printf '%s\n%s\n%s' '{"type":"raw","source":"airflow",' "${good/ID/a}" "${good/ID/b}" >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-normalize "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .external_run_id | tr '\n' ' ')" "a b "
	assert_eq "$(printf '%s\n' "$stderr" | jq -r '"\(.line) \(.code)"')" "1 invalid_json"
	# a second line longer than the reader's first buffer (4 KiB) moves it
	long=$(printf '%*s' 6000 '' | tr ' ' x)
	padded=$(printf '%s' "${good/ID/c}" | jq -c --arg n "$long" '.record.conf = {note: $n}')
	printf '%s\n%s\n%s\n' '{"type":"raw","source":"airflow",' "$padded" "${good/ID/d}" >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-normalize "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .external_run_id | tr '\n' ' ')" "c d "
	assert_eq "$(printf '%s\n' "$stderr" | jq -r '"\(.line) \(.code)"')" "1 invalid_json"
	# a pretty-printed document is still read as one
	printf '{\n "type":"raw","source":"airflow","client":"acme","external_id":"x",\n "record":{"dag_run_id":"p","state":"failed"}\n}\n' >"$BATS_TEST_TMPDIR/doc"
	run --separate-stderr chm-normalize "$BATS_TEST_TMPDIR/doc"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .external_run_id)" p
}

@test "valgrind memcheck: chm-normalize and chm-load (release build) over the corpus, zero errors" {
	command -v valgrind >/dev/null || skip "valgrind not installed (make deps)"
	local rel="$CHM_ROOT/build/bin" small="$BATS_TEST_TMPDIR/small"
	[ -x "$rel/chm-load" ] || skip "no release build (make all)"
	python3 "$CHM_ROOT/tests/corpus/gen.py" "$small" --small >/dev/null
	fresh_db
	load_inventory
	local vg=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite)
	run --separate-stderr "${vg[@]}" "$rel/chm-normalize" --mapping "$CHM_ROOT/pipelines/vendors/rat.json" \
		--rejects "$BATS_TEST_TMPDIR/rj1" "$small"/norm-*.ndjson
	[ "$status" -eq 65 ] # rejects, and no valgrind error (that would be 1)
	only_reject_count chm-normalize "$(cat "$small"/norm-*.bad | wc -l)"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/runs.ndjson"
	run --separate-stderr "${vg[@]}" "$rel/chm-load" --rejects "$BATS_TEST_TMPDIR/rj2" \
		"$small/load-runs.ndjson" "$small/load-inventory.ndjson" "$BATS_TEST_TMPDIR/runs.ndjson"
	[ "$status" -eq 65 ]
	only_reject_count chm-load "$(cat "$small/load-runs.bad" "$small/load-inventory.bad" | wc -l)"
	assert_eq "$(wc -l <"$BATS_TEST_TMPDIR/rj2")" "$(cat "$small/load-runs.bad" "$small/load-inventory.bad" | wc -l)"
}
