#!/usr/bin/env bats
# chm-report formats: csv, table, html and prom each show exactly the
# hand-computed rows (tests/report_check.py re-derives each format from
# fixtures/report/expected.ndjson); prom passes promtool when installed.

load helper

NOW=2026-11-22T12:00:00Z
EXPECTED="$FIXTURES/report/expected.ndjson"
CHECK="$BATS_TEST_DIRNAME/report_check.py"

setup_file() {
	fresh_db file
	chm-load "$FIXTURES/report/inventory.ndjson" "$FIXTURES/report/runs.ndjson" >/dev/null
	chm-report --help >"$BATS_FILE_TMPDIR/help"
}

# The title chm-report --help gives a question: "Latest run per pipeline".
title() {
	awk -v q="$1" '$1 == q { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' "$BATS_FILE_TMPDIR/help"
}

# table: --wide, so that no column is cut to a terminal's width.
check_format() {
	local fmt=$1 q wide=
	shift
	[ "$fmt" != table ] || wide=--wide
	for q in "$@"; do
		chm-report --now "$NOW" --format "$fmt" $wide "$q" >"$BATS_TEST_TMPDIR/$q.out"
		python3 "$CHECK" "$fmt" "$EXPECTED" "$q" "$(title "$q")" <"$BATS_TEST_TMPDIR/$q.out" ||
			{ echo "$fmt $q differs" >&2; return 1; }
	done
}

@test "csv: RFC 4180 (header, CRLF, quoted fields) with the expected rows" {
	check_format csv q1 q2 q3 q4 q5 q6 q7 q8 q9 q10
	run chm-report --now "$NOW" --format csv q4
	# the error message holds a comma and quotes
	[[ "$output" == *'"connection refused, retry ""later"""'* ]]
}

@test "table: aligned columns, widths from the data, human units, the expected rows" {
	check_format table q1 q2 q3 q4 q5 q6 q7 q8 q9 q10
}

@test "html: a section per question whose table holds the expected rows in human units" {
	check_format html q1 q2 q3 q4 q5 q6 q7 q8 q9 q10
	run chm-report --now "$NOW" --format html all
	[ "$status" -eq 0 ]
	# self-contained: no script, no external resource
	! grep -Eiq '<script|<link|src=|url\(|@import' <<<"$output"
	assert_eq "$(grep -c '<section id="q' <<<"$output")" 10
	# charts where a chart says more: Q1 bars, Q5 lines, Q8 bars, Q9 boxes,
	# their tables folded under them; the charts come first
	for q in q1 q5 q8 q9; do
		sed -n "/<section id=\"$q\" /,/<\/section>/p" <<<"$output" >"$BATS_TEST_TMPDIR/sec"
		grep -q '<svg class="chart"' "$BATS_TEST_TMPDIR/sec"
		grep -q '<details><summary>' "$BATS_TEST_TMPDIR/sec"
	done
	assert_eq "$(grep -o '<section id="q[0-9]*"' <<<"$output" | tr -dc 'q0-9\n' | paste -sd' ')" \
		"q1 q5 q8 q9 q2 q3 q4 q6 q7 q10"
	[[ "$output" == *'As of <time datetime="2026-11-22T12:00:00.000000Z">2026-11-22 12:00:00Z</time>'* ]]
	# each section its own window
	[[ "$output" == *'<p class="window"><time datetime="2026-11-15T12:00:00.000000Z">2026-11-15 12:00:00Z</time> to <time datetime="2026-11-22T12:00:00.000000Z">2026-11-22 12:00:00Z</time> (7 days)'* ]]
	run chm-report --now "$NOW" --since 2026-11-01 --until 2026-11-08T06:00:00Z --format html q8
	[[ "$output" == *'2026-11-01 00:00:00Z</time> to <time datetime="2026-11-08T06:00:00.000000Z">2026-11-08 06:00:00Z</time> (7d 6h)'* ]]
}

@test "prom: the expected samples, and valid for promtool" {
	check_format prom q2 q3 q6 q7 q8 q9 q10
	run --separate-stderr chm-report --now "$NOW" --format prom all
	[ "$status" -eq 0 ]
	[[ "$output" == *'chm_pipeline_latest_seconds_since_success{client="beta",pipeline="export",platform="cron"} 215999.5'* ]]
	[[ "$output" == *'chm_client_failed_24h{client="alpha"} 4'* ]]
	[[ "$output" == *'chm_platform_failure_rate{platform="cron"} 0.5'* ]]
	if command -v promtool >/dev/null; then
		printf '%s\n' "$output" | promtool check metrics
	else
		skip "promtool not installed (Debian package prometheus); samples were checked above"
	fi
}

@test "the checker itself notices a wrong row" {
	chm-report --now "$NOW" --format csv q3 | sed 's/^beta,1,3/beta,1,4/' >"$BATS_TEST_TMPDIR/bad"
	run python3 "$CHECK" csv "$EXPECTED" q3 <"$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 1 ]
	chm-report --now "$NOW" --format table --wide q3 | sed 's/gamma /gamma/' >"$BATS_TEST_TMPDIR/bad"
	run python3 "$CHECK" table "$EXPECTED" q3 "$(title q3)" <"$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 1 ]
}

@test "table: long text is cut to the width with one marker, control characters become spaces" {
	fresh_db
	chm-load "$FIXTURES/report/inventory.ndjson" >/dev/null
	long=$(printf 'x%.0s' $(seq 300))
	printf '{"type":"run","client":"gamma","pipeline":"ledger_dq","external_run_id":"r1","status":"failed","started_at":"2026-11-22T10:00:00Z","error_message":"line1\\nline2 %s"}\n' "$long" | chm-load >/dev/null
	COLUMNS=200 run chm-report --now "$NOW" --format table --client gamma q6
	line=$(grep '^gamma' <<<"$output")
	[[ "$line" == *"line1 line2 xxx"*"…"* ]]
	[[ "$line" != *"$long"* ]]
	assert_eq "$(python3 -c 'import sys; print(max(len(l) for l in sys.stdin.read().splitlines()))' <<<"$output")" 200
	# --wide: all of it
	COLUMNS=200 run chm-report --now "$NOW" --format table --wide --client gamma q6
	[[ "$(grep '^gamma' <<<"$output")" == *"line1 line2 $long"* ]]
}

@test "csv: text from partner data that starts like a formula is neutralised, numbers are not" {
	fresh_db formula
	load_inventory
	run_line f1 failed '"started_at":"2026-11-22T10:00:00Z","finished_at":"2026-11-22T10:01:00Z","error_message":"=HYPERLINK(\"http://evil.example\",\"click\")"' | chm-load >/dev/null
	run chm-report --now "$NOW" --format csv q6
	[ "$status" -eq 0 ]
	row=$(printf '%s\n' "$output" | grep orders_daily)
	[[ "$row" == *"\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\""* ]]
	[[ "$row" != *",=HYPERLINK"* ]]
	# the failure streak, a number, is written as it is
	[[ "$row" == *",1,"* ]]
}
