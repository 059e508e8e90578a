#!/usr/bin/env bats
# `make demo`, the README's first command, on a fresh copy of the checkout
# with no database configured: it must make its own cluster, load, fetch,
# print Q2 and Q6, write a complete html report, and run a second time
# without changing anything. `make demo-stop` ends it, pass or fail.

load helper

setup_file() {
	# a short path: the cluster's Unix socket lives under it (107 bytes max)
	DEMO=$(mktemp -d /tmp/chm-demo.XXXXXX)
	export DEMO
	# the checkout as git knows it (with uncommitted edits) plus the release
	# build with its timestamps, so `make all` in the copy has nothing to do
	(cd "$CHM_ROOT" && git ls-files -z | xargs -0 cp -a --parents -t "$DEMO")
	mkdir -p "$DEMO/build"
	# (without it, make demo builds them: slower, same result)
	(cd "$CHM_ROOT/build" && cp -a bin obj gen libchm.a "$DEMO/build/") 2>/dev/null || true
}

teardown_file() {
	if [ -n "${DEMO:-}" ] && [ -d "$DEMO" ]; then
		demo_env make -C "$DEMO" --no-print-directory demo-stop >/dev/null 2>&1 || true
		rm -rf "$DEMO"
	fi
}

# Runs a command without the test suite's database settings: no PG*, no
# CHM_DATABASE_URL, as on a machine where nothing is configured.
demo_env() {
	local -a unset=()
	local v
	for v in $(env | sed -n 's/^\(PG[A-Za-z0-9_]*\)=.*/\1/p'); do
		unset+=(-u "$v")
	done
	env "${unset[@]}" -u CHM_DATABASE_URL "$@"
}

# psql on the demo's own cluster
demo_q() {
	demo_env PGHOST="$DEMO/.chm/pg" PGUSER=postgres PGDATABASE=chm psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

@test "make demo with no database configured: its own cluster, Q2 and Q6 printed, a complete html report" {
	# a terminal as wide as the tables (they fit the terminal, 80 without one)
	run --separate-stderr demo_env COLUMNS=400 make -C "$DEMO" --no-print-directory demo
	printf '%s\n' "$stderr" >"$DEMO/first.err"
	[ "$status" -eq 0 ] || { printf '%s\n' "$stderr" >&2; false; }
	# Q2 and Q6 as tables, with their rows
	[[ "$output" == *"q2: Latest run per pipeline"* ]]
	[[ "$output" == *"q6: Triage: pipelines failing now"* ]]
	printf '%s\n' "$output" | grep -Eq '^globex +carrier_events +vendor_api +prod +failed'
	printf '%s\n' "$output" | grep -Eq '^globex +carrier_events +vendor_api +1 '
	# the report's path, every section in it
	report=$(printf '%s\n' "$output" | sed -n 's/^The html report: //p')
	assert_eq "$report" "$DEMO/.chm/report.html"
	for n in 1 2 3 4 5 6 7 8 9 10; do
		grep -q "<section id=\"q$n\" " "$report"
	done
	# how to reach it and stop it
	[[ "$output" == *"psql -h '$DEMO/.chm/pg'"* ]]
	[[ "$output" == *"make demo-stop"* ]]
	# progress on stderr, one line a step
	for step in "chm migrate" "chm-synth" "chm-fetch --source airflow" "chm-fetch --source dbt_cloud" \
		"chm-fetch --source vendor" "chm-report --format html"; do
		printf '%s\n' "$stderr" | grep -q "^demo \[.*\]: $step"
	done
	# the database it made: the synthetic history, fetched runs, the inventory
	[ "$(demo_q "SELECT count(*) FROM runs")" -gt 10000 ]
	assert_eq "$(demo_q "SELECT count(DISTINCT platform) FROM pipelines p WHERE EXISTS (SELECT 1 FROM runs r WHERE r.pipeline_id = p.id)")" 5
	# carrier_events: 2 runs from fixtures/runs/history.ndjson, 6 fetched
	assert_eq "$(demo_q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'carrier_events'")" 8
	# its history reaches the present: runs started in the last day
	[ "$(demo_q "SELECT count(*) FROM runs WHERE started_at > now() - interval '1 day'")" -gt 10 ]
	[ -s "$DEMO/.chm/demo/fetch.state.json" ]
	# the alerts of the last day reached the fake Slack and the SMTP server
	slack=$(printf '%s\n' "$output" | sed -n 's/^The fake Slack received \([0-9]*\) message(s):$/\1/p')
	mail=$(printf '%s\n' "$output" | sed -n 's/^The SMTP server received \([0-9]*\) mail(s):$/\1/p')
	[ "$slack" -ge 1 ] && [ "$mail" -ge 1 ]
	[[ "$output" != *"nothing new"* ]]
	printf '%s\n' "$output" | grep -Eq '^  #globex-data  :red_circle: FIRING globex/'
	printf '%s\n' "$output" | grep -Eq '^  To: data-oncall@[a-z]+.example  Subject: \[CHM\] FIRING [a-z]+/'
}

@test "make demo a second time: everything is there already, nothing is written" {
	[ -f "$DEMO/.chm/report.html" ] || skip "the first run failed"
	before=$(demo_q "SELECT count(*) || ':' || md5(string_agg(ctid::text || '/' || xmin::text, ',' ORDER BY ctid)) FROM runs")
	run --separate-stderr demo_env make -C "$DEMO" --no-print-directory demo
	[ "$status" -eq 0 ] || { printf '%s\n' "$stderr" >&2; false; }
	[[ "$output" == *"q6: Triage: pipelines failing now"* ]]
	# every load reports nothing inserted or updated, and no row version changed
	! printf '%s\n' "$stderr" | grep -E 'inserted [1-9]|updated [1-9]|rejected [1-9]'
	[ "$(printf '%s\n' "$stderr" | grep -c 'inserted 0, updated 0')" -eq 5 ]
	# the alerts were sent the first time: nothing again
	[[ "$stderr" == *"delivered 0, failed 0"* ]]
	[[ "$output" == *"The fake Slack received 0 message(s):"* ]]
	# and says why, and how to see them again
	[[ "$output" == *"(nothing new: an earlier make demo sent these alerts, and .chm/demo/alerts.json"* ]]
	[[ "$output" == *"make demo-reset starts over)"* ]]
	assert_eq "$(demo_q "SELECT count(*) || ':' || md5(string_agg(ctid::text || '/' || xmin::text, ',' ORDER BY ctid)) FROM runs")" "$before"
}

@test "make demo-stop stops the cluster" {
	[ -f "$DEMO/.chm/report.html" ] || skip "the first run failed"
	run demo_env make -C "$DEMO" --no-print-directory demo-stop
	[ "$status" -eq 0 ]
	! demo_q "SELECT 1" 2>/dev/null
	[ ! -e "$DEMO/.chm/pg/.s.PGSQL.5432" ]
}

@test "make demo with PG* set uses that database and starts no cluster" {
	[ -d "$DEMO/.chm" ] || skip "the first run failed"
	fresh_db own
	run --separate-stderr make -C "$DEMO" --no-print-directory demo
	[ "$status" -eq 0 ] || { printf '%s\n' "$stderr" >&2; false; }
	[[ "$stderr" == *"using the database of the PG* variables"* ]]
	[[ "$output" == *"q6: Triage: pipelines failing now"* ]]
	[[ "$output" != *"make demo-stop"* ]]
	[ "$(q "SELECT count(*) FROM runs")" -gt 10000 ]
	# its own bookmarks: every fixture run was fetched into this database too
	assert_eq "$(q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'carrier_events'")" 8
	[ ! -e "$DEMO/.chm/pg/.s.PGSQL.5432" ]
}
