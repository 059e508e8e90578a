#!/usr/bin/env bats
# Bounded memory (issue 14, items 7 and 8): a page is never one jansson tree,
# which costs up to 80 times its text. chm-fetch against a gzip body of 30 KB
# that decodes to 30 MiB of "{}," (under the 32 MiB response cap), and
# chm-normalize on a 10 MB pretty-printed Airflow page, stay within 4 times
# the response cap and the page's size. Peak RSS is measured on the release
# build (ASan's shadow memory would be most of it); the rest runs on $CHM_BIN.

load helper
load fetch_helper

REL="$CHM_ROOT/build/bin"
CAP=$((32 << 20))   # chm-fetch's default --max-response

# Peak RSS in bytes of the command run (its status in $status, stdout in
# $BATS_TEST_TMPDIR/out, stderr in $BATS_TEST_TMPDIR/err): peak_rss CMD...
peak_rss() {
	status=0
	/usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/rss" "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
	rss=$(( $(tail -n 1 "$BATS_TEST_TMPDIR/rss") * 1024 ))
	echo "peak RSS $rss bytes: $*" >&2
}

setup() {
	[ -x /usr/bin/time ] || skip "/usr/bin/time not installed (make deps)"
	[ -x "$REL/chm-fetch" ] || skip "no release build (make all)"
	grep '"external_id":"orders_daily"' "$FIXTURES/fetch/inventory.ndjson" >"$BATS_TEST_TMPDIR/p.ndjson"
}

@test "chm-fetch: 30 MiB of {}, in a 30 KB gzip body stays within 4x the response cap, refused with exit 69" {
	start_fake_api --fault bomb:0
	peak_rss "$REL/chm-fetch" --source airflow --base-url "$FAKE_URL" --pipelines "$BATS_TEST_TMPDIR/p.ndjson" \
		--retry-delay 0.02 --max-pages 1
	[ "$rss" -lt $((4 * CAP)) ]
	[ "$status" -eq 69 ]
	# no raw record for any of the 10M items; the page's state is still printed
	assert_eq "$(grep -c '"type":"raw"' "$BATS_TEST_TMPDIR/out")" 0
	assert_eq "$(grep -c '"type":"state"' "$BATS_TEST_TMPDIR/out")" 1
	# the first few named, then one line with the count
	grep -q 'item 1 of "dag_runs" on GET .* has no run id (field "dag_run_id"); refused' "$BATS_TEST_TMPDIR/err"
	grep -q 'acme/orders_daily: 10485760 items refused; the first: item 1 of "dag_runs"' "$BATS_TEST_TMPDIR/err"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -le 6 ]
}

@test "chm-fetch: items that are not objects, or have no dag_run_id, are refused by index and field; the runs around them pass" {
	start_fake_api --fault not_runs:0
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" --pipelines "$BATS_TEST_TMPDIR/p.ndjson" \
		--retry-delay 0.02 --max-pages 1
	[ "$status" -eq 69 ]
	assert_eq "$(raw_ids dag_run_id | paste -sd' ')" "good_1 good_2"
	printf '%s\n' "$stderr" | grep -q 'item 2 of "dag_runs" on GET .* is an array, not an object (field "dag_runs"); refused'
	printf '%s\n' "$stderr" | grep -q 'item 3 of "dag_runs" on GET .* is a string, not an object (field "dag_runs"); refused'
	printf '%s\n' "$stderr" | grep -q 'item 4 of "dag_runs" on GET .* has no run id (field "dag_run_id"); refused'
	printf '%s\n' "$stderr" | grep -q 'acme/orders_daily: 3 items refused; the first: item 2 of "dag_runs"'
	# the bookmark moved with the good runs
	save_state "$BATS_TEST_TMPDIR/state.json"
	assert_eq "$(jq -r '.bookmarks.airflow.acme.orders_daily.latest' "$BATS_TEST_TMPDIR/state.json")" "2026-11-12T00:00:00.000000Z"
}

@test "chm-normalize: a 10 MB pretty-printed Airflow page stays within 4x its size, and gives the runs of its compact form" {
	local pretty=$BATS_TEST_TMPDIR/page.json compact=$BATS_TEST_TMPDIR/page-compact.json
	python3 "$CHM_ROOT/tests/corpus/airflow_page.py" "$pretty" "$compact" 10
	local size
	size=$(stat -c %s "$pretty")
	[ "$size" -ge $((10 << 20)) ]
	[ "$(wc -l <"$pretty")" -gt 10000 ]
	[ "$(wc -l <"$compact")" -eq 1 ]
	local args=(--source airflow --client acme --pipeline orders_daily)
	peak_rss "$REL/chm-normalize" "${args[@]}" "$pretty"
	[ "$status" -eq 0 ]
	[ "$rss" -lt $((4 * size)) ]
	mv "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/runs-pretty"
	# the same page on one line: the same bound, the same runs
	peak_rss "$REL/chm-normalize" "${args[@]}" "$compact"
	[ "$status" -eq 0 ]
	[ "$rss" -lt $((4 * size)) ]
	cmp "$BATS_TEST_TMPDIR/runs-pretty" "$BATS_TEST_TMPDIR/out"
	runs=$(wc -l <"$BATS_TEST_TMPDIR/out")
	assert_eq "$runs" "$(jq '.total_entries' "$compact")"
	# and the sanitized build agrees
	run --separate-stderr chm-normalize "${args[@]}" "$pretty"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | cmp - "$BATS_TEST_TMPDIR/runs-pretty"
}

@test "chm-normalize: an invalid item in a page document rejects the whole document, as before" {
	printf '{\n  "dag_runs": [\n    {"dag_id": "d", "dag_run_id": "a", "state": "success"},\n    {"dag_id": "d", "dag_run_id": "b", "state": tru},\n    {"dag_id": "d", "dag_run_id": "c", "state": "success"}\n  ]\n}\n' >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr chm-normalize --source airflow --client acme --pipeline p --rejects "$BATS_TEST_TMPDIR/rj" "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	assert_eq "$(jq -r '[.line, .code] | @tsv' "$BATS_TEST_TMPDIR/rj")" "$(printf '1\tinvalid_json')"
	jq -r .message "$BATS_TEST_TMPDIR/rj" | grep -q 'invalid JSON at line 4'
}

@test "chm-normalize: items of a page document that are not objects are rejected by line, item and field; the others pass" {
	printf '{\n  "dag_runs": [\n    {"dag_id": "d", "dag_run_id": "a", "state": "success"},\n    "a string",\n    [1, 2],\n    {"dag_id": "d", "dag_run_id": "c", "state": "failed"}\n  ],\n  "total_entries": 4\n}\n' >"$BATS_TEST_TMPDIR/mixed.json"
	run --separate-stderr chm-normalize --source airflow --client acme --pipeline p --rejects "$BATS_TEST_TMPDIR/rj" "$BATS_TEST_TMPDIR/mixed.json"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .external_run_id | paste -sd' ')" "a c"
	assert_eq "$(jq -r '[.line, .code, .field] | @tsv' "$BATS_TEST_TMPDIR/rj" | paste -sd' ')" \
		"$(printf '1\tnot_an_object\trecord 1\tnot_an_object\trecord')"
	jq -r .message "$BATS_TEST_TMPDIR/rj" | grep -q '^item 2 of the page: a airflow record must be a JSON object, not a scalar'
	jq -r .message "$BATS_TEST_TMPDIR/rj" | grep -q '^item 3 of the page: a airflow record must be a JSON object, not an array'
}

@test "chm-fetch: a page with an envelope over 1 MiB, or an item of more than 200,000 values, is refused (69)" {
	FAKE_DATA="$BATS_TEST_TMPDIR/fake/data"
	mkdir -p "$BATS_TEST_TMPDIR/fake"
	cp -R "$FIXTURES/fetch" "$FAKE_DATA"
	local page=$FAKE_DATA/static/rat_runs.json run='{"id":"r-1","pipeline":"carrier-events","status":"success","started_at":1795327200000}'
	python3 -c "import json; print(json.dumps({'data': [$run], 'junk': [{}] * 500000}))" >"$page"
	start_fake_api
	local fetch=(chm-fetch --source vendor --mapping "$FIXTURES/fetch/static/rat_mapping.json" --base-url "$FAKE_URL" "${FETCH_FAST[@]}" --client globex)
	run --separate-stderr "${fetch[@]}"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"the page holds 20000"*" bytes besides its runs (at most 1048576); refused"* ]]
	python3 -c "import json; r = $run; r['x'] = list(range(300000)); print(json.dumps({'data': [r]}))" >"$page"
	run --separate-stderr "${fetch[@]}"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *'item 1 of "data" holds more than 200000 JSON values; the page is refused'* ]]
	assert_eq "$(raw_ids id | wc -l)" 0
}
