#!/usr/bin/env bats
# chm-report formats: csv, table, html and prom each show exactly the
# hand-computed rows (tests/report_check.py re-derives each format from
# fixtures/report/expected.ndjson); prom passes promtool check metrics.
# Q9's percentiles come from the daily rollups' histograms, within 2.5% of
# the hand-computed ones (t0601 checks that): here each format must show
# the ones chm-report's ndjson gives.

load helper

NOW=2026-11-22T12:00:00Z
EXPECTED="$FIXTURES/report/expected.ndjson"
CHECK="$BATS_TEST_DIRNAME/report_check.py"

setup_file() {
	fresh_db file
	chm-load "$FIXTURES/report/inventory.ndjson" "$FIXTURES/report/runs.ndjson" >/dev/null
	chm-report --help >"$BATS_FILE_TMPDIR/help"
	chm-report --now "$NOW" --format ndjson q9 >"$BATS_FILE_TMPDIR/q9.ndjson"
	jq -c --slurpfile got "$BATS_FILE_TMPDIR/q9.ndjson" '
		if .type == "q9" then . as $w
			| ($got[] | select(.client == $w.client and .pipeline == $w.pipeline)) as $g
			| .p50_seconds = $g.p50_seconds | .p90_seconds = $g.p90_seconds
			| .p99_seconds = $g.p99_seconds
		else . end' "$EXPECTED" >"$BATS_FILE_TMPDIR/expected.ndjson"
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
		python3 "$CHECK" "$fmt" "$BATS_FILE_TMPDIR/expected.ndjson" "$q" "$(title "$q")" \
			<"$BATS_TEST_TMPDIR/$q.out" ||
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
	# promtool: exit 0 and not a word about a problem (lint included)
	printf '%s\n' "$output" | promtool check metrics >"$BATS_TEST_TMPDIR/promtool" 2>&1
	assert_eq "$(cat "$BATS_TEST_TMPDIR/promtool")" ""
}

@test "prom: run durations are a Prometheus histogram (cumulative, _sum, _count = +Inf)" {
	chm-report --now "$NOW" --format prom q9 >"$BATS_TEST_TMPDIR/q9"
	grep -qx '# TYPE chm_duration_seconds histogram' "$BATS_TEST_TMPDIR/q9"
	# the hist_* gauges are gone; the other Q9 gauges stay
	! grep -q '^chm_duration_hist_' "$BATS_TEST_TMPDIR/q9"
	grep -q '^chm_duration_p90_seconds{' "$BATS_TEST_TMPDIR/q9"
	# beta/export: 7200-ish, 21440-ish and 25000 s: two up to 6h, one above
	grep -F 'chm_duration_seconds_bucket{client="beta",pipeline="export",platform="cron",le="' \
		"$BATS_TEST_TMPDIR/q9" | sed 's/.*le=//' | paste -sd' ' >"$BATS_TEST_TMPDIR/export"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/export")" \
		'"10"} 0 "60"} 0 "300"} 0 "900"} 0 "3600"} 0 "21600"} 2 "+Inf"} 3'
	# every label set: buckets never decrease, end with +Inf = _count, and
	# _sum is the sum of the durations of the window's runs
	awk '
		/^chm_duration_seconds_bucket/ { split($0, a, ",le="); k = a[1] "}"; sub(/_bucket/, "", k)
			if (k in last && $2 < last[k]) { print "decreasing: " $0; bad = 1 }
			last[k] = $2; inf[k] = (a[2] ~ /^"\+Inf"/) ? $2 : "" }
		/^chm_duration_seconds_count/ { k = $1; sub(/_count/, "", k)
			if (inf[k] == "" || inf[k] != $2) { print "count " $2 " vs +Inf " inf[k] " for " k; bad = 1 }
			n++ }
		END { if (n != 5) { print n " label sets"; bad = 1 } exit bad }' "$BATS_TEST_TMPDIR/q9"
	want=$(q "SET chm.now = '$NOW'; SELECT sum(r.duration_seconds) FROM runs r
		JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id
		WHERE c.name = 'alpha' AND p.name = 'orders' AND r.duration_seconds IS NOT NULL
		  AND r.started_at >= timestamptz '$NOW' - interval '30 days' AND r.started_at < '$NOW'")
	grep -qx "chm_duration_seconds_sum{client=\"alpha\",pipeline=\"orders\",platform=\"airflow\"} $want" \
		"$BATS_TEST_TMPDIR/q9"
	# the checker notices a bucket that is not cumulative
	sed 's/^\(chm_duration_seconds_bucket{client="beta",pipeline="export".*le="+Inf"}\) 3$/\1 2/' \
		"$BATS_TEST_TMPDIR/q9" >"$BATS_TEST_TMPDIR/bad"
	run python3 "$CHECK" prom "$EXPECTED" q9 <"$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 1 ]
}

@test "prom: chm_last_ingest_timestamp_seconds per source (the platform), once a report" {
	# cron's runs last stored at a known time (the others: when setup_file loaded them)
	# (an UPDATE of runs by hand passes the daily rollups by, which the metric
	# reads: they are rebuilt, as chm migrate builds them)
	psql -X -q -c "UPDATE runs r SET updated_at = '2026-11-30 08:00:00.5Z' FROM pipelines p
		WHERE p.id = r.pipeline_id AND p.platform = 'cron'" -c "SELECT chm_run_days_rebuild()"
	run --separate-stderr chm-report --now "$NOW" --format prom q3 q8
	[ "$status" -eq 0 ]
	got=$(grep '^chm_last_ingest' <<<"$output")
	want=$(q "SELECT string_agg(format('chm_last_ingest_timestamp_seconds{source=\"%s\"} %s',
			p.platform, to_char(extract(epoch FROM m), 'FM9999999999.000000')), E'\n' ORDER BY p.platform)
		FROM (SELECT p.platform, max(r.updated_at) AS m FROM runs r JOIN pipelines p
		      ON p.id = r.pipeline_id GROUP BY 1) p")
	assert_eq "$got" "$want"
	grep -qx 'chm_last_ingest_timestamp_seconds{source="cron"} 1796025600.500000' <<<"$got"
	assert_eq "$(grep -c '^# TYPE chm_last_ingest_timestamp_seconds gauge$' <<<"$output")" 1
	# the last family of the report
	assert_eq "$(grep '^# TYPE' <<<"$output" | tail -1)" '# TYPE chm_last_ingest_timestamp_seconds gauge'
	run --separate-stderr chm-report --now "$NOW" --format csv q8
	! grep -q last_ingest <<<"$output"
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
