#!/usr/bin/env bats
# The one table printer (lib/core/table.c) as chm and chm-report show it: null
# "-", numbers right-aligned, human units, control characters escaped, and
# the width of the terminal (COLUMNS, or the terminal's) kept, --wide for all.

load helper

NOW=2026-11-22T12:00:00Z

setup_file() {
	fresh_db file
	chm-load "$FIXTURES/report/inventory.ndjson" "$FIXTURES/report/runs.ndjson" >/dev/null
}

# The widest line of $output, in code points.
widest() {
	python3 -c 'import sys; print(max(len(l) for l in sys.stdin.read().splitlines()))' <<<"$output"
}

# Where (code points) the first WORD in LINE ends: a right-aligned column's
# header and values end at the same place.
ends_at() {
	python3 -c 'import sys; l, w = sys.argv[1], sys.argv[2]; print(l.index(w) + len(w))' "$1" "$2"
}

# The line of $output that starts with PREFIX.
line_of() {
	grep -m1 "^$1" <<<"$output"
}

@test "chm-report: null as -, numbers right-aligned, times to the second, human durations, ages, rates" {
	run --separate-stderr chm-report --now "$NOW" --format table --wide q2
	[ "$status" -eq 0 ]
	head=$(line_of client)
	beta=$(line_of 'beta    export')
	[[ "$beta" == *"2026-11-21 23:00:00Z  2026-11-22 05:56:40Z"*"6h 56m"*"exit status 2"*"2d 12h ago" ]]
	[[ "$(line_of 'alpha   orders')" == *"  50s  connection refused"*"  1d 9h ago" ]]
	# numbers end under the end of their header, which the unit now in the
	# values has left
	assert_eq "$(ends_at "$beta" "6h 56m")" "$(ends_at "$head" duration)"
	assert_eq "$(ends_at "$beta" "2d 12h ago")" "$(ends_at "$head" since_success)"
	[[ "$head" != *seconds* ]]
	# a pipeline that never ran: every null a "-"
	[[ "$(line_of gamma)" =~ ^gamma\ +ledger_dq\ +vendor_api\ +prod\ +-\ +-\ +-\ +-\ +-\ +-\ +-\ +-$ ]]
	[[ "$output" != *".000000"* ]]
	run --separate-stderr chm-report --now "$NOW" --format table --wide q7 q9
	[[ "$(line_of '   1  alpha')" == *"42.9%      83.3%" ]]
	# p50 and p90 (within 2.5%: the rollups' histogram), min and max exact
	[[ "$(line_of 'alpha   orders')" =~ \ 10m\ [0-9]{2}s\ +10m\ [0-9]{2}s\ .*\ 30s\ +10m\ 40s ]]
	# the machine formats keep the raw values
	run --separate-stderr chm-report --now "$NOW" --format csv q2
	[[ "$output" == *"2026-11-21T23:00:00.000000Z,2026-11-22T05:56:40.000000Z,25000,exit status 2,2026-11-20T00:00:00.500000Z,215999.5"* ]]
}

@test "chm: the same printer (ids right-aligned, human durations, null -)" {
	run --separate-stderr chm run list --pipeline alpha/orders --format table --wide
	[ "$status" -eq 0 ]
	head=$(line_of ' *id')
	[[ "$head" =~ ^id\ +client\ +pipeline ]]
	[[ "$(line_of ' 8')" == *"failed   2026-11-22 02:00:00Z  2026-11-22 02:00:50Z"*"50s  connection refused"* ]]
	[[ "$(line_of ' 7')" == *"10m 10s  -" ]]
	assert_eq "$(ends_at "$(line_of ' 7')" "10m 10s")" "$(ends_at "$head" duration)"
	run --separate-stderr chm client list --format table
	[[ "$(line_of ' 2')" =~ ^\ 2\ +beta\ +true\ +2\ +-$ ]]
}

@test "the width: COLUMNS=60 leaves details out and names them, then cuts the widest text with one marker; --wide shows all" {
	COLUMNS=60 run --separate-stderr chm pipeline list --all --format table
	[ "$status" -eq 0 ]
	[ "$(widest)" -le 60 ]
	# the partner's ids and the environment give way, and the table says so
	[[ "$(line_of id)" =~ ^id\ +client\ +name\ +platform\ +pipeline_type\ +is_active$ ]]
	assert_eq "$(grep -A1 '^(left out' <<<"$output")" "(left out to fit 60 columns: environment, external_id;
--wide shows them)"
	# the rest is whole
	[[ "$output" != *"…"* ]]
	grep -q '^ 5  gamma   ledger_dq  vendor_api  quality  ' <<<"$output"
	COLUMNS=60 run --separate-stderr chm pipeline list --all --format table --wide
	[ "$(widest)" -gt 60 ]
	[[ "$output" != *"…"* && "$output" != *"left out"* ]]
	[[ "$output" == *"pipeline_type"*"environment"*"external_id"* ]]
	# Q7 at 70 leaves its platform out and keeps every name whole; Q8's
	# platform is its first column, the rows' key, and stays
	COLUMNS=70 run --separate-stderr chm-report --now "$NOW" --format table q7 q8
	[ "$(widest)" -le 70 ]
	[[ "$(line_of '   1  alpha')" =~ ^\ +1\ +alpha\ +orders\ +7\ +3\ +5\ +42\.9%\ +83\.3%$ ]]
	[[ "$output" == *"(left out to fit 70 columns: platform; --wide shows them)"* ]]
	[[ "$(line_of 'platform')" =~ ^platform\ +runs\ +failed\ +failure_rate$ ]]
	[ "$(grep -c '^(left out' <<<"$output")" -eq 1 ]
	COLUMNS=70 run --separate-stderr chm-report --now "$NOW" --format table --wide q7 q8
	[ "$(widest)" -gt 70 ]
	[[ "$output" != *"left out"* ]]
	# Q2 at 80: the latest run's status, duration, error and age beside whole
	# names; its times and ids left out, and named
	COLUMNS=80 run --separate-stderr chm-report --now "$NOW" --format table q2
	[ "$(widest)" -le 80 ]
	[[ "$(line_of client)" =~ ^client\ +pipeline\ +status\ +duration\ +error_message\ + ]]
	[[ "$(line_of 'beta    export')" =~ ^beta\ +export\ +failed\ +6h\ 56m\ +exit\ status\ 2\ +2d\ 12h\ ago$ ]]
	[[ "$output" == *"(left out to fit 80 columns: platform, environment, run_id, started_at,"* ]]
	# when everything left may be cut no further, the text gives, with one marker
	COLUMNS=52 run --separate-stderr chm-report --now "$NOW" --format table q2
	[ "$(widest)" -le 52 ]
	[[ "$(line_of 'alpha   orders')" == *"…"* ]]
	[[ "$output" != *"……"* && "$output" != *"..."* ]]
	# narrower than the table can be cut: one record at a time, a column a line (psql's \x)
	COLUMNS=40 run --separate-stderr chm-report --now "$NOW" --format table q2
	[ "$(widest)" -le 40 ]
	[[ "$output" == *"-[ RECORD 2 ]---"* ]]
	[[ "$(line_of 'error_message    connection')" == "error_message    connection refused, re…" ]]
	[[ "$output" == *$'\nsince_success    5h 58m ago\n'* ]]
	[[ "$output" != *"left out"* ]]
	# no COLUMNS and no terminal: 80
	run --separate-stderr env -u COLUMNS chm pipeline list --all --format table
	[ "$(widest)" -le 80 ]
	[[ "$output" == *"(left out to fit 80 columns: external_id; --wide shows them)"* ]]
	run --separate-stderr env -u COLUMNS chm pipeline list --all --format table --wide
	[ "$(widest)" -gt 80 ]
}

@test "on a terminal the table fits the terminal's width (TIOCGWINSZ)" {
	command -v script >/dev/null || skip "script(1) not installed"
	run env -u COLUMNS script -qec "stty cols 60 rows 20; chm pipeline list --all --format table" /dev/null
	[ "$status" -eq 0 ]
	output=$(tr -d '\r' <<<"$output")
	[ "$(widest)" -le 60 ]
	[[ "$output" == *"left out to fit 60 columns"* ]]
	run env -u COLUMNS script -qec "stty cols 200 rows 20; chm pipeline list --all --format table" /dev/null
	output=$(tr -d '\r' <<<"$output")
	[ "$(widest)" -gt 60 ]
	[[ "$output" != *"…"* && "$output" != *"left out"* ]]
}

@test "a terminal gets a table and a pipe gets JSON, without --format (as ls and git decide)" {
	command -v script >/dev/null || skip "script(1) not installed"
	run env -u COLUMNS script -qec "stty cols 120 rows 20; chm-report --now $NOW q6; chm pipeline list --all" /dev/null
	[ "$status" -eq 0 ]
	output=$(tr -d '\r' <<<"$output")
	[[ "$output" == *"q6: Triage: pipelines failing now"* ]]
	[[ "$output" == *"client"*"failing_since"*"last_success_at"* ]]
	[[ "$output" != *'{"type"'* ]]
	[[ "$output" != *'{"id"'* ]]
	# the same commands into a pipe: machine formats, unchanged
	assert_eq "$(chm-report --now $NOW q6 | head -n 1 | jq -r .type)" "q6"
	chm pipeline list --all | head -n 1 | jq -e . >/dev/null
}

@test "control characters from partner data never reach the terminal: ESC, BEL and C1 as ?" {
	printf '%s\n' '{"type":"run","client":"gamma","pipeline":"ledger_dq","external_run_id":"esc1","status":"failed","started_at":"2026-11-22T10:00:00Z","error_message":"a\u001b[2Jb\u0007c\u009b31md\ttab"}' | chm-load >/dev/null
	run --separate-stderr chm run list --pipeline gamma/ledger_dq --format table --wide
	[ "$status" -eq 0 ]
	[[ "$output" == *'a?[2Jb?c?31md tab'* ]]
	! printf '%s' "$output" | grep -q $'\033'
	! printf '%s' "$output" | grep -q $'\007'
	! printf '%s' "$output" | grep -q $'\xc2\x9b'
	run --separate-stderr chm-report --now "$NOW" --format table --wide --client gamma q2
	[[ "$output" == *'a?[2Jb?c?31md tab'* ]]
	! printf '%s' "$output" | grep -q $'\033'
}

@test "durations: milliseconds, seconds, minutes, hours, days" {
	for d in "r850:10:00:00.850" "r252:10:04:12" "r3900:11:05:00"; do
		id=${d%%:*} fin=${d#*:}
		printf '{"type":"run","client":"gamma","pipeline":"legacy","external_run_id":"%s","status":"success","started_at":"2026-11-20T10:00:00Z","finished_at":"2026-11-20T%sZ"}\n' "$id" "$fin"
	done | chm-load >/dev/null
	run --separate-stderr chm run list --pipeline gamma/legacy --format table --wide
	[ "$status" -eq 0 ]
	[[ "$(grep r850 <<<"$output")" == *"2026-11-20 10:00:00Z"*" 850 ms"* ]]
	[[ "$(grep r252 <<<"$output")" == *" 4m 12s"* ]]
	[[ "$(grep r3900 <<<"$output")" == *" 1h 05m"* ]]
}

@test "wide and combining characters: columns line up in terminal cells, and a cut name still fits" {
	chm client create --name '東京データ基盤' >/dev/null
	chm client create --name 'e'$'\xcc\x81''té' >/dev/null
	chm client create --name '서울_파이프라인_일일_적재_작업_모니터링_대상_고객' >/dev/null
	# the cells a terminal gives each line (East Asian wide: 2, combining: 0)
	cells() {
		python3 -c '
import sys, unicodedata
for l in sys.stdin.read().splitlines():
    print(sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l))'
	}
	COLUMNS=200 run --separate-stderr chm client list --format table
	[ "$status" -eq 0 ]
	# every row is padded to the same cells as the header up to the last column
	local head_at row_at
	head_at=$(printf '%s\n' "$output" | head -n 1 | sed 's/is_active.*//' | cells)
	while IFS= read -r line; do
		row_at=$(printf '%s\n' "$line" | sed -E 's/(true|false).*//' | cells)
		assert_eq "$row_at" "$head_at"
	done < <(printf '%s\n' "$output" | grep -E '東京|té|서울')
	# narrow: the long Korean name is cut, and no line is wider than the screen
	COLUMNS=40 run --separate-stderr chm client list --format table
	[ "$status" -eq 0 ]
	[[ "$output" == *"서울_"*"…"* ]]
	assert_eq "$(printf '%s\n' "$output" | cells | sort -n | tail -n 1 | awk '{print ($1 <= 40)}')" 1
}
