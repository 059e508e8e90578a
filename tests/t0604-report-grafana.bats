#!/usr/bin/env bats
# Grafana provisioning: every query of both dashboards, macros and variables
# expanded as Grafana would (tests/grafana_sql.py), runs against the views.

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
	assert_eq "$(jq -r '.panels[].targets[].datasource.uid' "$GRAFANA"/dashboards/*.json | sort -u)" chm-postgres
	grep -q 'uid: chm-postgres' "$GRAFANA/provisioning/datasources/chm.yaml"
	grep -q 'path: /var/lib/grafana/dashboards/chm' "$GRAFANA/provisioning/dashboards/chm.yaml"
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
