#!/usr/bin/env bats
# The views read only what their question needs: on a generated 90-day
# history no view scans the whole runs table, and the latest-run questions
# probe runs_pipeline_latest_idx once per pipeline (PERF-NOTES). Those probes
# run inside chm_pipeline_runs() and friends (022_pipeline_probes.sql), so
# the plans shown include the nested statements' (auto_explain).

load helper

setup_file() {
	fresh_db file
	psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO clients (name) SELECT 'c' || i FROM generate_series(1, 10) i;
INSERT INTO pipelines (client_id, name, platform, pipeline_type, external_id)
SELECT 1 + (i % 10), 'p' || i, (enum_range(NULL::platform))[1 + i % 5], 'ingestion', 'x' || i
FROM generate_series(1, 200) i;
INSERT INTO runs (pipeline_id, external_run_id, status, started_at, finished_at, duration_seconds)
SELECT 1 + (i % 200), 'r' || i,
       (ARRAY['success','success','success','success','success','success','failed','failed','canceled','success']::run_status[])[1 + (hashint4(i) & 1023) % 10],
       timestamptz '2026-11-22 12:00Z' - i * interval '130 seconds',
       timestamptz '2026-11-22 12:00Z' - i * interval '130 seconds' + interval '5 minutes',
       (i % 1000)::float8
FROM generate_series(1, 60000) i;
VACUUM ANALYZE;
SQL
}

# The plan of a view and, after it, the plan of every statement a function
# of it ran (auto_explain's notices, one per call).
plan() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SET chm.now = '2026-11-22 12:00Z'" \
		-c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 0" \
		-c "SET auto_explain.log_analyze = on" -c "SET auto_explain.log_timing = off" \
		-c "SET auto_explain.log_nested_statements = on" -c "SET auto_explain.log_level = notice" \
		-c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM $1" 2>&1
}

@test "no view scans the whole runs table" {
	for v in $(q "SELECT viewname FROM pg_views WHERE viewname LIKE 'chm_q%' ORDER BY 1"); do
		p=$(plan "$v")
		if grep -q 'Seq Scan on runs' <<<"$p"; then
			printf '%s scans runs:\n%s\n' "$v" "$p" >&2
			return 1
		fi
	done
	assert_eq "$(q "SELECT count(*) FROM pg_views WHERE viewname LIKE 'chm_q%'")" 10
}

@test "windowed views read their window through an index on started_at" {
	for v in chm_q1_failed_runs_hourly chm_q3_failures_per_client chm_q5_daily_success_rate \
		chm_q7_flaky_pipelines chm_q8_failure_rate_per_platform chm_q9_duration_distribution; do
		plan "$v" | grep -Eq 'Index (Only )?Scan using runs_(started|status_started)_idx' ||
			{ echo "$v does not use a started_at index" >&2; plan "$v" >&2; return 1; }
	done
}

@test "latest-run views probe runs_pipeline_latest_idx, one row a pipeline" {
	p=$(plan chm_q2_latest_run_per_pipeline)
	grep -q 'Function Scan on chm_pipeline_latest l (actual rows=200 loops=1)' <<<"$p" ||
		{ echo "$p" >&2; return 1; }
	# a probe a pipeline for its latest run, and one for its latest success
	# only where the latest run is not one (042), each at most one row of the
	# index, and nothing else read from runs
	others=$(q "SET chm.now = '2026-11-22 12:00Z'; SELECT count(*) FROM chm_q2_latest_run_per_pipeline
	            WHERE status IS DISTINCT FROM 'success'" | tail -n 1)
	[ "$others" -gt 0 ] && [ "$others" -lt 200 ]
	assert_eq "$(grep -cE 'Index Scan using runs_pipeline_latest_idx on runs r .*\(actual rows=[01] loops=1\)' <<<"$p")" $((200 + others))
	assert_eq "$(grep -cE ' on runs ' <<<"$p")" $((200 + others))
	for v in chm_q4_changes_since_yesterday chm_q6_failing_now chm_q10_governance; do
		p=$(plan "$v")
		grep -qE 'Index (Only )?Scan using runs_pipeline_latest_idx' <<<"$p" || { echo "$v: $p" >&2; return 1; }
	done
}

@test "Q6's failure streak reads only the streak (a range on the pipeline index)" {
	plan chm_q6_failing_now | grep -qE 'Index Cond: .*started_at > (\$[0-9]|'"'"')'
}
