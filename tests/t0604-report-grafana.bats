#!/usr/bin/env bats
# Grafana: every query of both dashboards, macros and variables expanded as
# Grafana would (tests/grafana_sql.py), runs against the views and answers
# for the dashboard's time range; every panel's options (datasource, units,
# status colours, bar gauge rows, time range) are what a user should see
# (tests/grafana_panels.py); the provisioned copies name the provisioned
# datasource (tools/grafana-provision.sh).

load helper

NOW=2026-11-22T12:00:00Z
GRAFANA="$CHM_ROOT/pipelines/grafana"

setup_file() {
	fresh_db file
	chm-load "$FIXTURES/report/inventory.ndjson" "$FIXTURES/report/runs.ndjson" >/dev/null
}

# Runs every query of dashboard $1 (extra VAR=VALUE args after it); each must
# succeed, and with --rows each panel must return at least one row.
run_dashboard() {
	local dash=$1 need_rows=$2
	shift 2
	python3 "$BATS_TEST_DIRNAME/grafana_sql.py" "$dash" "$NOW" "$@" >"$BATS_TEST_TMPDIR/queries" || return 1
	[ -s "$BATS_TEST_TMPDIR/queries" ] || return 1
	while IFS= read -r line; do
		panel=$(jq -r .panel <<<"$line")
		sql=$(jq -r .sql <<<"$line")
		rows=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SET chm.now = '$NOW'" -c "$sql" 2>"$BATS_TEST_TMPDIR/err") ||
			{ echo "panel \"$panel\" fails: $(cat "$BATS_TEST_TMPDIR/err")" >&2; return 1; }
		if [ "$need_rows" = rows ] && [ -z "$rows" ]; then
			echo "panel \"$panel\" returns no rows" >&2
			return 1
		fi
	done <"$BATS_TEST_TMPDIR/queries"
}

@test "both dashboards exist with the agreed titles, every panel on the CHM datasource" {
	assert_eq "$(jq -r .title "$GRAFANA"/dashboards/*.json | sort | paste -sd'|')" \
		"CHM Q1-Q5 Business Monitoring|CHM Q6-Q10 Operations & Governance"
	assert_eq "$(jq -r '.panels[].targets[].datasource.uid' "$GRAFANA"/dashboards/*.json | sort -u)" '${DS_CHM}'
	grep -q 'uid: chm-postgres' "$GRAFANA/provisioning/datasources/chm.yaml"
	# the plugin id Grafana 10.0 to 11 all know (grafana-postgresql-datasource: 10.2.3 on)
	grep -qx '    type: postgres' "$GRAFANA/provisioning/datasources/chm.yaml"
	grep -q 'path: /var/lib/grafana/dashboards/chm' "$GRAFANA/provisioning/dashboards/chm.yaml"
}

@test "every panel's options: datasource, units, status colours, bar gauge rows, time range" {
	for d in "$GRAFANA"/dashboards/*.json; do
		python3 "$BATS_TEST_DIRNAME/grafana_panels.py" "$d" "$NOW"
	done
}

@test "the panel check notices a unit on a count, a missing unit, one bar, a fixed window" {
	local b="$GRAFANA/dashboards/chm-q1-q5-business.json" o="$GRAFANA/dashboards/chm-q6-q10-operations.json"
	# Q8 with percentunit on every field (477 runs shown as 47,700%)
	jq '(.panels[] | select(.title | startswith("Q8")) | .fieldConfig) = {"defaults": {"unit": "percentunit"}, "overrides": []}' \
		"$o" >"$BATS_TEST_TMPDIR/d.json"
	run python3 "$BATS_TEST_DIRNAME/grafana_panels.py" "$BATS_TEST_TMPDIR/d.json" "$NOW"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Q8 Failure rate per platform: field runs has unit 'percentunit', want None"* ]]
	# Q9's seconds without a unit
	jq '(.panels[] | select(.title | startswith("Q9")) | .fieldConfig.overrides) = []' "$o" >"$BATS_TEST_TMPDIR/d.json"
	run python3 "$BATS_TEST_DIRNAME/grafana_panels.py" "$BATS_TEST_TMPDIR/d.json" "$NOW"
	[[ "$output" == *"field p90_seconds has unit None, want 's'"* ]]
	# Q3's bar gauge reduced to one value; Q2 without status colours
	jq '(.panels[] | select(.type == "bargauge") | .options.reduceOptions.values) = false
	    | (.panels[] | select(.title | startswith("Q2")) | .fieldConfig.overrides) |= map(select(.matcher.options != "status"))' \
		"$b" >"$BATS_TEST_TMPDIR/d.json"
	run python3 "$BATS_TEST_DIRNAME/grafana_panels.py" "$BATS_TEST_TMPDIR/d.json" "$NOW"
	[[ "$output" == *"Q3 Failed runs per client (24 h / 7 d): a bar gauge without reduceOptions.values true"* ]]
	[[ "$output" == *"field status has no colour for running, success, failed, canceled, skipped"* ]]
	# Q5 on the view's fixed window; a panel on the 10.2.3-only plugin id
	jq '(.panels[] | select(.title | startswith("Q5")) | .targets[0].rawSql) = "SELECT day AS \"time\", client AS metric, success_rate FROM chm_q5_daily_success_rate"
	    | .panels[0].datasource.type = "grafana-postgresql-datasource"' "$b" >"$BATS_TEST_TMPDIR/d.json"
	run python3 "$BATS_TEST_DIRNAME/grafana_panels.py" "$BATS_TEST_TMPDIR/d.json" "$NOW"
	[[ "$output" == *"Q5 Daily success rate per client: the query ignores the dashboard's time range"* ]]
	[[ "$output" == *"Q1 Failed runs over time: datasource {'type': 'grafana-postgresql-datasource'"* ]]
}

@test "the windowed panels answer for the dashboard's time range, as chm-report --since/--until" {
	local o="$GRAFANA/dashboards/chm-q6-q10-operations.json" from=2026-11-20T00:00:00Z
	panel_rows() { # $1 dashboard, $2 title prefix, $3 from (empty: the dashboard's)
		python3 "$BATS_TEST_DIRNAME/grafana_sql.py" ${3:+--from "$3"} "$1" "$NOW" |
			jq -r --arg t "$2" 'select(.panel | startswith($t)) | .sql' |
			psql -X -q -A -t -F, -v ON_ERROR_STOP=1
	}
	# Q7's panel shows the view's columns: the rows of chm-report for that range
	want=$(chm-report --now "$NOW" --since "$from" --until "$NOW" --format csv q7 | tail -n +2 | tr -d '\r')
	[ -n "$want" ]
	assert_eq "$(panel_rows "$o" Q7 "$from")" "$want"
	# and another range, another answer (the dashboard's own: 30 days)
	[ "$(panel_rows "$o" Q7)" != "$want" ]
	assert_eq "$(panel_rows "$o" Q7)" "$(chm-report --now "$NOW" --format csv q7 | tail -n +2 | tr -d '\r')"
	# Q8: platform, failure_rate, failed, runs
	want=$(chm-report --now "$NOW" --since "$from" --until "$NOW" --format csv q8 | tail -n +2 | tr -d '\r' |
		awk -F, '{ print $1 "," $4 "," $3 "," $2 }')
	assert_eq "$(panel_rows "$o" Q8 "$from")" "$want"
	# Q5, a day at a time: the range's days only
	days=$(panel_rows "$GRAFANA/dashboards/chm-q1-q5-business.json" Q5 "$from" | cut -c1-10 | sort -u | paste -sd' ')
	want=$(chm-report --now "$NOW" --since "$from" --until "$NOW" --format csv q5 | tail -n +2 | cut -c1-10 | sort -u | paste -sd' ')
	assert_eq "$days" "$want"
	assert_eq "$days" "2026-11-20 2026-11-21 2026-11-22"
}

@test "the provisioned copies name the provisioned datasource, nothing left to import" {
	for d in "$GRAFANA"/dashboards/*.json; do
		sh "$CHM_ROOT/tools/grafana-provision.sh" "$d" >"$BATS_TEST_TMPDIR/p.json"
		assert_eq "$(jq '[.. | objects | select(has("datasource")) | .datasource] | map(.uid) | unique' -c "$BATS_TEST_TMPDIR/p.json")" '["chm-postgres"]'
		assert_eq "$(jq 'has("__inputs")' "$BATS_TEST_TMPDIR/p.json")" false
		! grep -q 'DS_CHM' "$BATS_TEST_TMPDIR/p.json"
		# the same dashboard otherwise
		assert_eq "$(jq -S 'del(.__inputs, .__requires) | walk(if type == "object" and has("datasource") then del(.datasource) else . end)' "$d")" \
			"$(jq -S 'walk(if type == "object" and has("datasource") then del(.datasource) else . end)' "$BATS_TEST_TMPDIR/p.json")"
	done
}

@test "every panel reads a chm_q view" {
	bad=$(jq -r '.panels[] | select(any(.targets[].rawSql; test("FROM chm_q") | not)) | .title' \
		"$GRAFANA"/dashboards/*.json)
	assert_eq "$bad" ""
	assert_eq "$(jq '[.panels[].targets[]] | length' "$GRAFANA"/dashboards/*.json | paste -sd' ')" "5 6"
}

@test "every query of both dashboards runs and answers on the fixture history (All)" {
	for d in "$GRAFANA"/dashboards/*.json; do
		run_dashboard "$d" rows
	done
}

@test "with one client and one platform selected, every query still runs" {
	run_dashboard "$GRAFANA/dashboards/chm-q1-q5-business.json" any client=alpha
	run_dashboard "$GRAFANA/dashboards/chm-q6-q10-operations.json" any "client=alpha,beta" platform=cron
}

@test "on an empty database every query runs (no rows, no error)" {
	fresh_db
	for d in "$GRAFANA"/dashboards/*.json; do
		run_dashboard "$d" any
	done
}

@test "the dashboards' role of README (views and functions, no table but clients) runs every panel" {
	local role=chm_dash_t0604
	# README's statements, as written there, for a role of this test
	sed -n '/^    CREATE ROLE chm_dashboards/,/SET jit = off;$/p' "$CHM_ROOT/README.md" |
		sed -e 's/^    //' -e "s/chm_dashboards/$role/g" -e "s/PASSWORD '...'//" >"$BATS_TEST_TMPDIR/role.sql"
	grep -q 'GRANT EXECUTE' "$BATS_TEST_TMPDIR/role.sql"
	psql -X -q -v ON_ERROR_STOP=1 -c "DROP OWNED BY $role" -c "DROP ROLE $role" >/dev/null 2>&1 || true
	psql -X -q -v ON_ERROR_STOP=1 -f "$BATS_TEST_TMPDIR/role.sql"
	PGUSER=$role run_dashboard "$GRAFANA/dashboards/chm-q1-q5-business.json" rows
	PGUSER=$role run_dashboard "$GRAFANA/dashboards/chm-q6-q10-operations.json" rows
	# and nothing else: the runs themselves (payloads, errors) stay closed
	run env PGUSER=$role psql -X -q -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM runs"
	[ "$status" -ne 0 ]
	[[ "$output" == *"permission denied"* ]]
	psql -X -q -c "DROP OWNED BY $role" -c "DROP ROLE $role"
}

@test "a broken panel query is caught" {
	jq '.panels[0].targets[0].rawSql = "SELECT nope FROM chm_q1_failed_runs_hourly WHERE $__timeFilter(bucket)"' \
		"$GRAFANA/dashboards/chm-q1-q5-business.json" >"$BATS_TEST_TMPDIR/broken.json"
	run run_dashboard "$BATS_TEST_TMPDIR/broken.json" any
	[ "$status" -ne 0 ]
	jq '.panels[0].targets[0].rawSql = "SELECT 1 WHERE $__unknownMacro(x)"' \
		"$GRAFANA/dashboards/chm-q1-q5-business.json" >"$BATS_TEST_TMPDIR/broken.json"
	run run_dashboard "$BATS_TEST_TMPDIR/broken.json" any
	[ "$status" -ne 0 ]
}
