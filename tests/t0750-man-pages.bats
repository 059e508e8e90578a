#!/usr/bin/env bats
# man/*.1: one page per program, rendered by man and groff without a
# warning, and true to the program: every option its --help shows is in
# the page, and every option the page's synopsis and options offer is one
# the program's source knows.

load helper

programs() {
	local f
	for f in "$CHM_ROOT"/bin/*.c; do
		basename "$f" .c
	done
}

# The page as text, wide enough that no option is broken across lines.
render() {
	MANWIDTH=250 man -E UTF-8 -l "$CHM_ROOT/man/$1.1" 2>/dev/null | col -b
}

# Long options a program's source accepts (getopt tables; chm's actions' tables).
source_options() {
	if [ "$1" = chm ]; then
		cat "$CHM_ROOT/bin/chm.c" "$CHM_ROOT"/lib/cmd/cmd*.c
	else
		cat "$CHM_ROOT/bin/$1.c"
	fi | sed -n 's/^[[:space:]]*{ *"\([a-z][a-z-]*\)", *\(required_argument\|no_argument\|optional_argument\|"\).*/--\1/p' | sort -u
	# every chm action takes these (lib/cmd/cmd.c)
	[ "$1" != chm ] || printf '%s\n' --db --format --help --version --status --citus
}

# Long options the program's --help shows (for chm, each action's too).
help_options() {
	{
		"$1" --help
		if [ "$1" = chm ]; then
			local a
			for a in "client create" "client list" "client update" "pipeline create" "pipeline list" \
				"pipeline update" "rule create" "rule list" "rule update" "rule test" "run record" "run list" \
				"run latest" "summary" "migrate"; do
				# shellcheck disable=SC2086
				chm $a --help 2>&1
			done
		fi
	} | grep -o -- '--[a-z][a-z-]*' | sort -u
}

@test "every program has a page in section 1, and every page a program" {
	for p in $(programs); do
		[ -f "$CHM_ROOT/man/$p.1" ] || { echo "no man/$p.1" >&2; false; }
		head -n 1 "$CHM_ROOT/man/$p.1" | grep -q "^\.TH $(echo "$p" | tr '[:lower:]' '[:upper:]') 1 "
	done
	for f in "$CHM_ROOT"/man/*.1; do
		[ -f "$CHM_ROOT/bin/$(basename "$f" .1).c" ]
	done
}

@test "man -l and groff render every page without a warning" {
	for f in "$CHM_ROOT"/man/*.1; do
		run --separate-stderr groff -man -ww -z "$f"
		[ "$status" -eq 0 ]
		[ -z "$output$stderr" ] || { echo "$f: $output$stderr" >&2; false; }
		run --separate-stderr env MANWIDTH=80 man --warnings -E UTF-8 -l "$f"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ] || { echo "$f: $stderr" >&2; false; }
		# it says what it is
		[[ "$output" == *NAME*SYNOPSIS*DESCRIPTION*"EXIT STATUS"* ]]
	done
}

@test "chm-records(5): every record type and exit status, rendered without a warning" {
	f=$CHM_ROOT/man/chm-records.5
	head -n 1 "$f" | grep -q '^\.TH CHM-RECORDS 5 '
	run --separate-stderr groff -man -ww -z "$f"
	[ "$status" -eq 0 ]
	[ -z "$output$stderr" ]
	run --separate-stderr env MANWIDTH=80 man --warnings -E UTF-8 -l "$f"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ] || { echo "$stderr" >&2; false; }
	for t in raw run client pipeline alert_rule alert state summary reject; do
		grep -qE "^   $t(,|\$)|^   [a-z_, ]*\b$t\b" <<<"$output" || { echo "no section for $t" >&2; false; }
	done
	for code in 64 65 69 70 74 75 78; do
		grep -q "\b$code\b" <<<"$output" || { echo "exit status $code missing" >&2; false; }
	done
	# the enum values it documents are the ones chm-load accepts
	for v in airflow dbt cron vendor_api custom ingestion transform quality export healthcheck; do
		grep -qw -- "$v" <<<"$output" || { echo "$v missing" >&2; false; }
	done
}

@test "every option a program's --help shows is in its page" {
	for p in $(programs); do
		text=$(render "$p")
		for o in $(help_options "$p"); do
			grep -q -- "$o\b" <<<"$text" || { echo "$p: $o is not in man/$p.1" >&2; false; }
		done
	done
}

@test "every option a page's synopsis and options offer is one the program knows" {
	for p in $(programs); do
		known=$(source_options "$p"; help_options "$p")
		# from SYNOPSIS to DESCRIPTION, and COMMANDS/OPTIONS to the next section
		offered=$(render "$p" | awk '/^[A-Z][A-Z ]*$/ { on = ($0 == "SYNOPSIS" || $0 == "OPTIONS" || $0 == "COMMANDS") } on' |
			grep -o -- '--[a-z][a-z-]*' | sort -u)
		[ -n "$offered" ]
		for o in $offered; do
			grep -qx -- "$o" <<<"$known" || { echo "$p: man/$p.1 offers $o, which $p does not know" >&2; false; }
		done
	done
}

@test "the version in every page is the program's" {
	for p in $(programs); do
		v=$("$p" --version | awk '{print $2}')
		head -n 1 "$CHM_ROOT/man/$p.1" | grep -q "\"CHM $v\""
	done
}
