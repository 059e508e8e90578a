#!/usr/bin/env bats
# For people, not only pipes (issue 17), at a terminal: run statuses in
# colour in tables (--color, NO_COLOR), a mistyped option as one readable
# line with a suggestion in every program, and progress of the streaming
# programs on stderr. A terminal is script(1)'s pseudo-terminal; the same
# commands into a pipe must stay as they were.

load helper

NOW=2026-11-22T12:00:00Z
ESC=$'\033'

setup_file() {
	fresh_db file
	chm-load "$FIXTURES/report/inventory.ndjson" "$FIXTURES/report/runs.ndjson" >/dev/null
}

# Runs "$@" (one shell command line) under a pseudo-terminal, without
# NO_COLOR or COLUMNS from outside; $output without script's \r.
# script(1) runs the line with $SHELL, which CI (root, no login) may not set
# and then means /bin/sh: the lines here are bash ($'...').
on_tty() {
	command -v script >/dev/null || skip "script(1) not installed"
	run env -u NO_COLOR -u COLUMNS SHELL="$BASH" script -qec "$1" /dev/null
	output=$(tr -d '\r' <<<"$output")
}

commas() {
	sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'
}

strip_sgr() {
	sed 's/\x1b\[[0-9;]*m//g'
}

@test "colour: statuses coloured in chm's and chm-report's tables on a terminal, widths unchanged" {
	on_tty "stty cols 200 rows 20; chm run list --pipeline alpha/orders"
	[ "$status" -eq 0 ]
	[[ "$output" == *"${ESC}[31mfailed${ESC}[0m"* ]]
	[[ "$output" == *"${ESC}[32msuccess${ESC}[0m"* ]]
	# without the escapes, the very table --color never prints
	coloured=$(strip_sgr <<<"$output")
	on_tty "stty cols 200 rows 20; chm run list --pipeline alpha/orders --color never"
	[[ "$output" != *"$ESC"* ]]
	assert_eq "$coloured" "$output"
	on_tty "stty cols 200 rows 20; chm-report --now $NOW q2"
	[ "$status" -eq 0 ]
	[[ "$output" == *"${ESC}[31mfailed${ESC}[0m"* ]]
	coloured=$(strip_sgr <<<"$output")
	on_tty "stty cols 200 rows 20; chm-report --now $NOW --color=never q2"
	[[ "$output" != *"$ESC"* ]]
	assert_eq "$coloured" "$output"
	# the header and other texts stay plain
	[[ "$(grep -m1 '^client' <<<"$coloured")" == "$(grep -m1 '^client' <<<"$output")" ]]
}

@test "colour: NO_COLOR (not empty) turns it off; --color always turns it on over NO_COLOR" {
	command -v script >/dev/null || skip "script(1) not installed"
	run env NO_COLOR=1 script -qec "chm run list --pipeline alpha/orders; chm-report --now $NOW q2" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"failed"* ]]
	[[ "$output" != *"$ESC"* ]]
	# an empty NO_COLOR is as if unset
	run env NO_COLOR= script -qec "chm run list --pipeline alpha/orders" /dev/null
	[[ "$output" == *"${ESC}[31mfailed"* ]]
	run env NO_COLOR=1 script -qec "chm run list --pipeline alpha/orders --color always" /dev/null
	[[ "$output" == *"${ESC}[31mfailed"* ]]
	run env NO_COLOR=1 script -qec "chm-report --now $NOW --color always q2" /dev/null
	[[ "$output" == *"${ESC}[31mfailed"* ]]
}

@test "colour: never in a pipe (auto), nor in the machine formats even with --color always" {
	run --separate-stderr env -u NO_COLOR chm run list --pipeline alpha/orders --format table
	[ "$status" -eq 0 ]
	[[ "$output" == *failed* && "$output" != *"$ESC"* ]]
	run --separate-stderr env -u NO_COLOR chm-report --now "$NOW" --format table q2
	[[ "$output" == *failed* && "$output" != *"$ESC"* ]]
	# always: a table into a pipe (less -R) is coloured
	run --separate-stderr chm run list --pipeline alpha/orders --format table --color always
	[[ "$output" == *"${ESC}[31mfailed"* ]]
	for fmt in ndjson csv prom html; do
		run --separate-stderr chm-report --now "$NOW" --format $fmt --color always q2
		[ "$status" -eq 0 ]
		[[ "$output" != *"${ESC}["* ]]
	done
	run --separate-stderr chm run list --pipeline alpha/orders --format json --color always
	[[ "$output" != *"$ESC"* ]]
	on_tty "chm run list --pipeline alpha/orders --format json"
	[[ "$output" == *'"status":"failed"'* && "$output" != *"$ESC"* ]]
	# a bad value is a usage error
	run --separate-stderr chm-report --color sometimes q2
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--color: expected never, always or auto"* ]]
	run --separate-stderr chm run list --pipeline alpha/orders --color sometimes
	[ "$status" -eq 64 ]
	[[ "$stderr" == *'"field":"color"'* ]]
}

@test "a mistyped option of chm: one line on a terminal, the JSON error in a pipe or with --format json" {
	on_tty "chm pipeline list --clinet x"
	[ "$status" -eq 64 ]
	assert_eq "$output" "chm: pipeline list: unknown option --clinet (did you mean --client?)"
	run --separate-stderr chm pipeline list --clinet x
	[ "$status" -eq 64 ]
	assert_eq "$(jq -r .error.code <<<"$stderr")" usage
	assert_eq "$(jq -r .error.message <<<"$stderr")" "unknown option --clinet (did you mean --client?)"
	assert_eq "$(jq -r '.error.details[0].field' <<<"$stderr")" "--clinet"
	on_tty "chm pipeline list --clinet x --format json"
	[ "$status" -eq 64 ]
	assert_eq "$(jq -r .error.message <<<"$output")" "unknown option --clinet (did you mean --client?)"
	# other commands, a common option, a name far from every option
	on_tty "chm client create --nmae a"
	assert_eq "$output" "chm: client create: unknown option --nmae (did you mean --name?)"
	on_tty "chm run list --wdie"
	assert_eq "$output" "chm: run list: unknown option --wdie (did you mean --wide?)"
	on_tty "chm summary --zzzzzzzz"
	assert_eq "$output" "chm: summary: unknown option --zzzzzzzz"
	on_tty "chm client lsit"
	[ "$status" -eq 64 ]
	assert_eq "$output" 'chm: client: unknown action "lsit" (did you mean list?)'
	# any failure is the line on a terminal, with no escape from what was typed
	on_tty "chm client get \$'\\e[2Jnobody'"
	[ "$status" -eq 65 ]
	assert_eq "$output" 'chm: client get: no client named "?[2Jnobody"'
	! grep -q "$ESC" <<<"$output"
	run --separate-stderr chm migrate --statsu
	[ "$status" -eq 64 ]
	assert_eq "$stderr" "chm: migrate: unknown option --statsu (did you mean --status?)"
	run --separate-stderr chm --dbb x client list
	[ "$status" -eq 64 ]
	assert_eq "$stderr" "chm: unknown option --dbb (did you mean --db?)"
	run --separate-stderr chm pipline list
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"'pipline' is not a chm command (did you mean pipeline?)"* ]]
	# the programs chm runs are candidates too
	run --separate-stderr chm reprot q2
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"'reprot' is not a chm command (did you mean report?)"* ]]
}

@test "a mistyped option in every program: one line, the nearest option, exit 64" {
	check() {
		local want=$1
		shift
		run --separate-stderr "$@"
		[ "$status" -eq 64 ] || { echo "$*: exit $status" >&2; return 1; }
		assert_eq "$stderr" "$want"
		assert_eq "$output" ""
	}
	check "chm-report: unknown option --clinet (did you mean --client?)" chm-report --clinet acme q1
	check "chm-load: unknown option --batch-sise (did you mean --batch-size?)" chm-load --batch-sise 5
	check "chm-normalize: unknown option --rejets (did you mean --rejects?)" chm-normalize --rejets x
	check "chm-fetch: unknown option --base-ulr (did you mean --base-url?)" chm-fetch --base-ulr x
	check "chm-synth: unknown option --pipelnes (did you mean --pipelines?)" chm-synth --pipelnes 3
	check "chm-alert: unknown option --repaet-after (did you mean --repeat-after?)" chm-alert --repaet-after 1h
	check "chm-notify: unknown option --smtp-form (did you mean --smtp-from?)" chm-notify --smtp-form a@b
	check "chm-exec: unknown option --pipleine (did you mean --pipeline?)" chm-exec --pipleine a/b -- true
	check "chm-load: unknown option --zzzzzzzz" chm-load --zzzzzzzz
	check "chm-synth: unknown option -x" chm-synth -x
	# a value missing, or given to a switch
	check "chm-load: option --db needs a value" chm-load --db
	check "chm-synth: option --inventory takes no value" chm-synth --inventory=yes
	# through chm, the same line
	check "chm-synth: unknown option --pipelnes (did you mean --pipelines?)" chm synth --pipelnes 3
}

@test "progress: nothing on stderr in a pipe; --progress ends with one human line" {
	run --separate-stderr chm-synth --end "$NOW" --runs 1500 --format canonical
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	run --separate-stderr chm-synth --end "$NOW" --runs 1500 --format canonical --progress
	[ "$status" -eq 0 ]
	[[ "$stderr" =~ ^chm-synth:\ wrote\ 1,[0-9]{3}\ runs\ \(1,[0-9]{3}\ records\)\ in\ [0-9]+\.[0-9]\ s$ ]]
	# the same bytes on stdout either way
	assert_eq "$(chm-synth --end "$NOW" --runs 1500 --format canonical --progress 2>/dev/null | md5sum)" \
		"$(chm-synth --end "$NOW" --runs 1500 --format canonical | md5sum)"

	chm-synth --end "$NOW" --runs 1500 --format canonical --inventory >"$BATS_TEST_TMPDIR/h"
	fresh_db
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/h"
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	summary=$output
	fresh_db
	run --separate-stderr chm-load --progress "$BATS_TEST_TMPDIR/h"
	[ "$status" -eq 0 ]
	# the machine summary on stdout is what it was
	assert_eq "$output" "$summary"
	[[ "$stderr" =~ ^chm-load:\ loaded\ 1,[0-9]{3}\ records:\ 1,[0-9]{3}\ new,\ [0-9,]+\ updated,\ 0\ rejected\ in\ [0-9.]+\ s$ ]]
	# the counts are the summary's, with thousands separators
	[[ "$stderr" == *"loaded $(jq -r .read <<<"$summary" | commas) records: $(jq -r .inserted <<<"$summary" | commas) new,"* ]]
	# loaded again: the same records, now unchanged
	run --separate-stderr chm-load --progress "$BATS_TEST_TMPDIR/h"
	[[ "$stderr" =~ ^chm-load:\ loaded\ 1,[0-9]{3}\ records:\ 0\ new,\ 0\ updated,\ 1,[0-9]{3}\ unchanged,\ [0-9]+\ ignored,\ 0\ rejected\ in\ [0-9.]+\ s$ ]]

	run --separate-stderr chm-normalize --progress "$BATS_TEST_TMPDIR/h"
	[[ "$stderr" == *"chm-normalize: normalized "*" records: "*" runs, "*" passed through, "*" rejected in "*" s"* ]]
	run --separate-stderr chm-fetch --progress --source airflow --base-url http://127.0.0.1:1 --retries 0 \
		--pipelines "$FIXTURES/fetch/inventory.ndjson" --client acme --pipeline orders_daily
	[[ "$(printf '%s\n' "$stderr" | grep -c '^chm-fetch: fetched 0 runs for 1 pipeline in 0 pages in ')" -eq 1 ]]
}

@test "progress: a line about once a second with --progress into a file, and one rewritten line on a terminal" {
	chm-synth --end "$NOW" --runs 20000 --format canonical >"$BATS_TEST_TMPDIR/raw"
	# a slow producer: the first records, a pause, the rest
	runsh "{ head -n 5 '$BATS_TEST_TMPDIR/raw'; sleep 1.3; tail -n +6 '$BATS_TEST_TMPDIR/raw'; } |
		chm-normalize --progress 2>'$BATS_TEST_TMPDIR/err' >/dev/null"
	[ "$status" -eq 0 ]
	grep -Eq '^chm-normalize: [0-9,]+ records, [0-9,]+/s, [0-9]+ s$' "$BATS_TEST_TMPDIR/err"
	tail -n 1 "$BATS_TEST_TMPDIR/err" | grep -Eq '^chm-normalize: normalized [0-9,]+ records: '
	# no \r into a file
	! grep -q $'\r' "$BATS_TEST_TMPDIR/err"
	# on a terminal: the line is rewritten (\r ... ESC[K), then cleared for the last one
	on_tty "{ head -n 5 '$BATS_TEST_TMPDIR/raw'; sleep 1.3; tail -n +6 '$BATS_TEST_TMPDIR/raw'; } | chm-normalize >/dev/null"
	[ "$status" -eq 0 ]
	run env -u NO_COLOR script -qec "{ head -n 5 '$BATS_TEST_TMPDIR/raw'; sleep 1.3; tail -n +6 '$BATS_TEST_TMPDIR/raw'; } | chm-normalize >/dev/null" /dev/null
	[[ "$output" == $'\r'"chm-normalize: "*" records, "*"/s, "*" s${ESC}[K"$'\r'"${ESC}[Kchm-normalize: normalized "* ]]
	# a reject (NDJSON on a terminal's stderr) or a warning clears the line first: a line of its own
	run env -u NO_COLOR script -qec "{ head -n 5 '$BATS_TEST_TMPDIR/raw'; sleep 1.3; tail -n +6 '$BATS_TEST_TMPDIR/raw'; echo 'not json'; } | chm-normalize >/dev/null" /dev/null
	[ "$status" -eq 65 ]
	[[ "$output" == *" s${ESC}[K"$'\r'"${ESC}[K{\"type\":\"reject\""* ]]
	[[ "$output" == *"chm-normalize: 1 rejected: invalid_json 1"* ]]
}

@test "progress: no meter among records that scroll on the same terminal, plain lines with --progress" {
	chm-synth --end "$NOW" --runs 20000 --format canonical >"$BATS_TEST_TMPDIR/raw"
	# chm-normalize's records on the terminal: a \r line would tear them
	run env -u NO_COLOR script -qec "{ head -n 5 '$BATS_TEST_TMPDIR/raw'; sleep 1.3; tail -n +6 '$BATS_TEST_TMPDIR/raw'; } | chm-normalize" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *'"type":"run"'* ]]
	[[ "$output" != *" records, "*"/s, "* ]]
	# --progress asks for it: plain lines then
	run env -u NO_COLOR script -qec "{ head -n 5 '$BATS_TEST_TMPDIR/raw'; sleep 1.3; tail -n +6 '$BATS_TEST_TMPDIR/raw'; } | chm-normalize --progress" /dev/null
	[[ "$output" == *"chm-normalize: "*" records, "*"/s, "*" s"$'\r\n'* ]]
	[[ "$output" != *"s${ESC}[K"* ]]
}

@test "chm --help lists every program it runs, synth included" {
	run --separate-stderr chm --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"fetch|normalize|load|report|synth"* ]]
	[[ "$output" == *"chm-synth"* ]]
}
