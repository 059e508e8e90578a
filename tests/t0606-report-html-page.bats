#!/usr/bin/env bats
# chm-report --format html leads with answers and stays light: the header's
# counts are the rows of the sections they link to (Q6, Q4, Q5, Q10), and at
# 1000 pipelines the page is under 500 KB, its tables capped at 25 rows with
# "N more" and its charts at a fixed number of series and boxes. The size is
# bounded by those caps, not by the runs (README, chm-report), so 1000
# pipelines over two days exercises every cap; `make bench`'s 1M runs give
# the same order of size (measured in README).

load helper

END=2026-11-22T12:00:00Z

# The header's counts, href and figure a line: "q6 41".
kpis() {
	grep -o '<a class="kpi[^"]*" href="#q[0-9]*"><b>[^<]*</b>' "$1" | sed -E 's/.*href="#(q[0-9]+)"><b>([^<]*)<\/b>/\1 \2/'
}

@test "the header's counts are the rows of the sections they link to" {
	fresh_db
	chm-synth --inventory --format canonical --clients 3 --pipelines 24 --days 20 --end "$END" | chm-load >/dev/null
	chm-report --now "$END" --format html all >"$BATS_TEST_TMPDIR/r.html"
	chm-report --now "$END" --format ndjson q4 q5 q6 q10 >"$BATS_TEST_TMPDIR/r.ndjson"
	python3 - "$BATS_TEST_TMPDIR/r.ndjson" "$END" >"$BATS_TEST_TMPDIR/want" <<'PY'
import json, math, sys
from datetime import datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
now = datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00")).timestamp()
last = math.floor((now - 1e-6) / 86400) * 86400
def day(r):
    return datetime.fromisoformat(r["day"].replace("Z", "+00:00")).timestamp()
def rate(lo, hi):
    sel = [r for r in rows if r["type"] == "q5" and lo < day(r) <= hi]
    return "%.1f%%" % (100 * sum(r["succeeded"] for r in sel) / sum(r["runs"] for r in sel))
print("q6", sum(r["type"] == "q6" for r in rows))
print("q4", sum(r["type"] == "q4" and r["change"] == "new_failure" for r in rows))
print("q5", rate(last - 7 * 86400, last))
print("q10", sum(r["type"] == "q10" and r["finding"] == "silent" for r in rows))
print("before", rate(last - 14 * 86400, last - 7 * 86400))
PY
	kpis "$BATS_TEST_TMPDIR/r.html" >"$BATS_TEST_TMPDIR/got"
	diff <(head -4 "$BATS_TEST_TMPDIR/want") "$BATS_TEST_TMPDIR/got"
	# the 7 days before, with the days stated
	grep -q "UTC days <time datetime=\"2026-11-16\">2026-11-16</time> to <time datetime=\"2026-11-22\">2026-11-22</time> (the last so far); the 7 before: $(sed -n 's/^before //p' "$BATS_TEST_TMPDIR/want")" "$BATS_TEST_TMPDIR/r.html"
	# something to count: the history has failures, silence and two weeks of outcomes
	[ "$(awk '$1 == "q6" { print $2 }' "$BATS_TEST_TMPDIR/got")" -gt 0 ]
	[ "$(awk '$1 == "q10" { print $2 }' "$BATS_TEST_TMPDIR/got")" -gt 0 ]
	# each count links to its section
	for q in q6 q4 q5 q10; do
		grep -q "<section id=\"$q\" " "$BATS_TEST_TMPDIR/r.html"
	done
}

@test "a shorter window: the success rate of its days, and no week before it" {
	fresh_db
	chm-synth --inventory --format canonical --clients 3 --pipelines 24 --days 20 --end "$END" | chm-load >/dev/null
	chm-report --now "$END" --since 2d --format html q5 >"$BATS_TEST_TMPDIR/r.html"
	grep -q 'success, the window<small>UTC days <time datetime="2026-11-20">2026-11-20</time> to <time datetime="2026-11-22">2026-11-22</time> (the last so far); the 7 before: not in the window</small>' "$BATS_TEST_TMPDIR/r.html"
	# a window that ends at midnight: its last day is whole
	chm-report --now "$END" --until 2026-11-22 --format html q5 >"$BATS_TEST_TMPDIR/r.html"
	grep -q 'success, last 7 days<small>UTC days <time datetime="2026-11-15">2026-11-15</time> to <time datetime="2026-11-21">2026-11-21</time>; the 7 before: [0-9.]*%, \(up\|down\) [0-9.]* points</small>' "$BATS_TEST_TMPDIR/r.html"
}

@test "the header has only the counts of the questions asked" {
	fresh_db
	chm-report --now "$END" --format html q6 q1 >"$BATS_TEST_TMPDIR/r.html"
	assert_eq "$(kpis "$BATS_TEST_TMPDIR/r.html")" "q6 0"
	grep -q '<b>0</b> pipelines failing now' "$BATS_TEST_TMPDIR/r.html"
}

@test "1000 pipelines: under 500 KB, tables capped with N more, charts bounded" {
	fresh_db
	chm-synth --inventory --format canonical --clients 40 --pipelines 1000 --days 2 --end "$END" | chm-load >/dev/null
	assert_eq "$(q 'SELECT count(*) FROM pipelines')" 1000
	chm-report --now "$END" --format html --bucket hour all >"$BATS_TEST_TMPDIR/r.html"
	size=$(wc -c <"$BATS_TEST_TMPDIR/r.html")
	echo "page: $size bytes" >&2
	[ "$size" -lt 512000 ]
	python3 - "$BATS_TEST_TMPDIR/r.html" <<'PY'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
sections = dict(re.findall(r'<section id="(q\d+)" (.*?)</section>', page, re.S))
assert len(sections) == 10, sorted(sections)
for q, body in sections.items():
    for tbody in re.findall(r"<tbody>(.*?)</tbody>", body, re.S):
        assert tbody.count("<tr>") <= 25, (q, tbody.count("<tr>"))
    for h in re.findall(r'<svg class="chart"[^>]* viewBox="0 0 760 (\d+)"', body):
        assert int(h) <= 600, (q, h)
# Q2 lists every pipeline: 25 shown, the rest counted
assert "and 975 more rows, not shown" in sections["q2"], "q2 more"
# Q9: 20 boxes; Q1: 5 clients and the 35 others
assert sections["q9"].count('<rect class="box"') == 20
assert "35 other clients" in sections["q1"]
assert len(re.findall(r'<li><span class="sw c\d"></span>', sections["q5"])) == 6
PY
}
