#!/usr/bin/env bats
# man/*.1 and README: one page per program, rendered by man and groff without a
# warning, and --help, page and README true to the program: every option it
# accepts is in its --help, every option its --help shows is in its page and
# its README section, and every option a page offers or a README command line
# gives it is one the program knows.

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

# Long options a program's source accepts: getopt tables, and for chm its
# actions' option tables ({ "name", "key", flags }), whose flags are CHM_OPT_*
# or 0. A positional argument (CHM_OPT_POSITIONAL, `chm rule get 3`) is
# documented as one, not as the flag cmd.c also takes.
source_options() {
	if [ "$1" = chm ]; then
		cat "$CHM_ROOT/bin/chm.c" "$CHM_ROOT"/lib/cmd/cmd*.c | grep -v CHM_OPT_POSITIONAL |
			sed -n 's/^[[:space:]]*{ *"\([a-z][a-z-]*\)", *"[a-z_]*", *\(CHM_OPT_\|0 *}\).*/--\1/p'
		# every chm action takes these (lib/cmd/cmd.c)
		printf '%s\n' --db --format --help --version --wide
	else
		sed -n 's/^[[:space:]]*{ *"\([a-z][a-z-]*\)", *\(required_argument\|no_argument\|optional_argument\).*/--\1/p' "$CHM_ROOT/bin/$1.c"
	fi | sort -u
}

# chm's actions as `chm --help` lists them ("client create|list|get" is three).
chm_actions() {
	chm --help | awk '/^  [a-z]/ && $1 != "fetch|normalize|load|report|synth" && $1 != "exec" {
		if ($2 ~ /^[a-z]+(\|[a-z]+)+$/) { n = split($2, v, "|"); for (i = 1; i <= n; i++) print $1, v[i] }
		else print $1
	}'
}

# Long options the program's --help shows (for chm, each action's too).
help_options() {
	{
		"$1" --help
		if [ "$1" = chm ]; then
			local a
			while read -r a; do
				# shellcheck disable=SC2086
				chm $a --help 2>&1
			done < <(chm_actions)
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

# README's section for a program: from its "### " heading to the next one
# (its "#### " subsections included). chm-alert and chm-notify share one.
readme_section() {
	local heading
	case $1 in
	chm-alert | chm-notify) heading='### Alerts: chm-alert | chm-notify' ;;
	chm-exec) heading='### chm exec' ;;
	*) heading="### $1" ;;
	esac
	awk -v h="$heading" '$0 == h { on = 1; next } /^###? / { on = 0 } on' "$CHM_ROOT/README.md"
}

@test "every option a program accepts is in its --help" {
	local bad=0
	for p in $(programs); do
		shown=$(help_options "$p")
		for o in $(source_options "$p"); do
			[ "$o" != --help ] && [ "$o" != --version ] || continue
			grep -qx -- "$o" <<<"$shown" || { echo "$p: $o is accepted but not in --help" >&2; bad=1; }
		done
	done
	[ "$bad" -eq 0 ]
}

@test "every option a program's --help shows is in its README section" {
	for p in $(programs); do
		text=$(readme_section "$p")
		[ -n "$text" ] || { echo "README has no section for $p" >&2; false; }
		for o in $(help_options "$p"); do
			[ "$o" != --help ] && [ "$o" != --version ] || continue
			grep -q -- "$o\b" <<<"$text" || { echo "$p: $o is in --help but not in README's section" >&2; false; }
		done
	done
}

@test "every option a README command line gives a program is one it knows" {
	run python3 "$BATS_TEST_DIRNAME/readme_commands.py" "$CHM_ROOT/README.md" "$(programs | tr '\n' ' ')"
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -gt 20 ]
	while read -r p o; do
		known=$(source_options "$p"; help_options "$p")
		grep -qx -- "$o" <<<"$known" || { echo "README runs $p $o, which $p does not know" >&2; false; }
	done <<<"$output"
}
