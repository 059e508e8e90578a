#!/usr/bin/env bats
# The windowed questions read from the daily rollups (issue 19: chm_run_days,
# 040; the questions, 041) answer what the plain questions over runs answer.
# A random history (tests/rollup_history.py: midnight edges, ties, starts
# that move to another day, late events, regressions, running runs that
# end, durations on Q9's bucket edges) is loaded in several chm-load runs,
# some with a tiny --batch-size; then every windowed question over many
# windows is compared with its reference (tests/sql/plain_questions.sql,
# copies of the bodies before 041): counts and rates exactly, Q9's
# percentiles within 5%, its sum within 1e-9 (tests/sql/compare_questions.sql).
# The "rollups:" tests check the rollup table itself (they need 040): what
# chm-load keeps is what a rebuild from runs gives, after every load and
# after loaders at once on the same days; an unchanged replay writes no
# rollup row; chm migrate builds the rollups of a history loaded before them.
# The seed of the history is 19; CHM_ROLLUP_SEED=N tries another.

load helper

NOW=2026-11-22T13:37:12.345678Z

# chm-load that must succeed and reject nothing.
load_ok() {
	local out
	out=$(chm-load "$@") || { echo "chm-load $* failed" >&2; return 1; }
	if [ "$(jq -r .rejected <<<"$out")" != 0 ]; then
		echo "chm-load $* rejected: $out" >&2
		return 1
	fi
}

load_history() {
	local h=$BATS_FILE_TMPDIR/h
	load_ok "$h/inventory.ndjson"
	load_ok "$h/base-a.ndjson"
	# a day cut by many batches, its runs out of order
	load_ok --batch-size 7 "$h/base-b.ndjson"
	# several events of one run in one batch; days recounted
	load_ok --batch-size 3 "$h/updates.ndjson"
	load_ok --regressions accept --batch-size 5 "$h/regressions.ndjson"
	# an unchanged replay
	load_ok --batch-size 4 "$h/updates.ndjson"
}

load_reference() {
	psql -X -q -v ON_ERROR_STOP=1 -f "$BATS_TEST_DIRNAME/sql/plain_questions.sql" \
		-f "$BATS_TEST_DIRNAME/sql/compare_questions.sql" >/dev/null
}

setup_file() {
	fresh_db file
	# another history: CHM_ROLLUP_SEED=N bats tests/t0607-report-rollups.bats
	python3 "$BATS_TEST_DIRNAME/rollup_history.py" --seed "${CHM_ROLLUP_SEED:-19}" "$BATS_FILE_TMPDIR/h"
	load_history
	load_reference
}

sql() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# Fails showing the differences (at most 40 rows) when there are any.
no_diff() {
	if [ -n "$1" ]; then
		printf '%s\n' "$1" | head -n 40
		echo "($(printf '%s\n' "$1" | wc -l) differences)"
		return 1
	fi
}

# Windows, one "start|end" a line; the comments say what each is for.
windows() {
	cat <<'EOF'
2026-10-20T05:17:00Z|2026-11-21T18:03:00.5Z
2026-10-15T00:00:00Z|2026-11-20T00:00:00Z
2026-10-15T00:00:00Z|2026-11-20T11:00:00Z
2026-10-15T09:30:00Z|2026-11-20T00:00:00Z
2026-11-10T03:00:00Z|2026-11-10T21:00:00Z
2026-11-10T00:00:00Z|2026-11-11T00:00:00Z
2026-11-10T12:00:00Z|2026-11-11T12:00:00Z
2026-11-09T23:59:59.999999Z|2026-11-10T00:00:00.000001Z
2026-11-10T00:00:00.000001Z|2026-11-10T23:59:59.999999Z
2026-11-10T00:00:00Z|2026-11-10T00:00:00Z
2026-11-10T09:00:00Z|2026-11-10T09:00:00Z
2026-11-12T00:00:00Z|2026-11-10T00:00:00Z
2026-11-12T08:00:00Z|2026-11-10T16:00:00Z
2000-01-01T00:00:00Z|2100-01-01T00:00:00Z
2026-09-01T00:00:00Z|2026-10-12T07:00:00Z
2026-09-01T00:00:00Z|2026-10-01T00:00:00Z
2026-11-15T13:37:12.345678Z|2026-11-22T13:37:12.345678Z
2026-10-23T13:37:12.345678Z|2026-11-22T13:37:12.345678Z
2026-11-22T00:00:00Z|2026-11-23T00:00:00Z
2026-11-21T23:59:59.999999Z|2026-12-31T00:00:00Z
-infinity|infinity
EOF
}

@test "the history has what the comparisons are about" {
	# so that a change of the generator cannot quietly lose a case
	run -0 q "SELECT concat_ws(' ',
	    count(*) FILTER (WHERE started_at IS NULL) > 0,
	    count(*) FILTER (WHERE started_at = date_trunc('day', started_at, 'UTC')) > 10,
	    count(*) FILTER (WHERE started_at = date_trunc('day', started_at, 'UTC') + interval '1 day' - interval '1 microsecond') > 10,
	    count(DISTINCT status) = 5,
	    count(*) FILTER (WHERE duration_seconds = 0) > 10,
	    count(DISTINCT duration_seconds) FILTER (WHERE duration_seconds IN (10, 60, 300, 900, 3600, 21600)) = 6,
	    count(*) FILTER (WHERE duration_seconds > 1e8) > 0,
	    count(*) FILTER (WHERE duration_seconds IS NULL AND status <> 'running') > 0,
	    count(*) FILTER (WHERE external_run_id LIKE 'late-%') > 100,
	    count(*) FILTER (WHERE started_at < '2000-01-01T00:00:01Z' OR started_at > '2031-01-01T00:00:00Z') = 3,
	    count(*) > 3000)
	  FROM runs"
	assert_eq "$output" "t t t t t t t t t t t"
	# runs of one pipeline at one instant with both outcomes (Q7's order)
	run -0 q "SELECT count(*) > 0 FROM (SELECT 1 FROM runs WHERE status IN ('success', 'failed')
	  GROUP BY pipeline_id, started_at HAVING count(DISTINCT status) = 2) t"
	assert_eq "$output" t
	# pipeline-days of many runs, on every platform and client
	run -0 q "SELECT (SELECT count(*) FROM (SELECT 1 FROM runs GROUP BY pipeline_id, date_trunc('day', started_at, 'UTC') HAVING count(*) >= 8) t) > 50,
	  (SELECT count(DISTINCT platform) FROM pipelines), (SELECT count(*) FROM clients)"
	assert_eq "$output" "t|5|4"
	# runs whose start moved to another UTC day (updates.ndjson), and the
	# regressions stored as accepted
	local h=$BATS_FILE_TMPDIR/h moved
	moved=$(jq -rs 'map(select(.started_at != null)) | group_by(.external_run_id)
	    | map(select(map(.started_at[0:10]) | unique | length > 1)) | length' \
		"$h/base-a.ndjson" "$h/base-b.ndjson" "$h/updates.ndjson")
	[ "$moved" -gt 20 ]
	diff <(jq -r '[.external_run_id, .status] | @tsv' "$h/regressions.ndjson" | sort) \
		<(q "SELECT external_run_id, status FROM runs" | tr '|' '\t' | sort |
			join -t $'\t' - <(jq -r .external_run_id "$h/regressions.ndjson" | sort) | sort)
}

@test "the questions' default windows and Q3 answer as the plain questions, at several clocks" {
	for now in "$NOW" 2026-11-22T00:00:00Z 2026-11-21T23:59:59.999999Z 2026-11-16T06:30:00Z 2026-10-25T00:00:00.000001Z; do
		out=$(sql <<SQL
BEGIN;
SELECT chm_set_clock('$now', NULL, NULL) AS now \gset
SELECT '$now', * FROM plain.diff_defaults();
COMMIT;
SQL
)
		no_diff "$out"
	done
	# the default windows moved by chm.since/chm.until
	out=$(sql <<SQL
BEGIN;
SELECT chm_set_clock('$NOW', '2026-10-20T07:00:00Z', '2026-11-18T00:00:00Z') AS now \gset
SELECT 'since/until', * FROM plain.diff_defaults();
COMMIT;
SQL
)
	no_diff "$out"
}

@test "every windowed question answers as its plain question over windows cut anywhere" {
	local list
	list=$(windows | sed "s/^\(.*\)|\(.*\)$/('\1'::timestamptz, '\2'::timestamptz)/" | paste -sd,)
	# in UTC and in a zone 5:45 ahead: days and hours are UTC whatever the session's zone
	for tz in UTC Asia/Kathmandu; do
		out=$(sql <<SQL
SET TimeZone TO '$tz';
BEGIN;
SELECT chm_set_clock('$NOW', NULL, NULL) AS now \gset
SELECT '$tz', w.ws, w.we, d.* FROM (VALUES $list) AS w(ws, we), LATERAL plain.diff(w.ws, w.we) d;
COMMIT;
SQL
)
		no_diff "$out"
	done
}

@test "every windowed question answers as its plain question over random windows" {
	# 40 windows from a fixed seed: starts anywhere in the history, lengths
	# from a microsecond to 50 days
	out=$(sql <<'SQL'
SELECT setseed(0.19) AS s \gset
CREATE TEMP TABLE w AS
SELECT i, ws, ws + (random() * random() * 50 * 86400e6)::bigint * interval '1 microsecond' AS we
FROM (SELECT i, timestamptz '2026-10-05T00:00:00Z'
                + (random() * 50 * 86400e6)::bigint * interval '1 microsecond' AS ws
      FROM generate_series(1, 40) i) s;
SELECT w.ws, w.we, d.* FROM w, LATERAL plain.diff(w.ws, w.we) d;
SQL
)
	no_diff "$out"
}

@test "the comparison sees a wrong answer" {
	# the comparison can fail: a reference that counts one failure too many
	# on the busiest pipeline-day of failures must show up as a difference
	out=$(sql <<'SQL'
BEGIN;
CREATE OR REPLACE FUNCTION plain.q8(window_start timestamptz DEFAULT chm_since('30 days'),
                                    window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (platform platform, runs bigint, failed bigint, failure_rate double precision)
LANGUAGE sql AS $$
    SELECT p.platform, count(*), count(*) FILTER (WHERE r.status = 'failed') + 1,
           chm_ratio(count(*) FILTER (WHERE r.status = 'failed') + 1, count(*))
    FROM runs r JOIN pipelines p ON p.id = r.pipeline_id
    WHERE r.started_at >= window_start AND r.started_at < window_end
    GROUP BY p.platform
$$;
SELECT count(*) FROM plain.diff('2026-10-15T00:00:00Z', '2026-11-20T00:00:00Z') WHERE question = 'q8';
ROLLBACK;
SQL
)
	assert_eq "$out" 10
}

# The rollups themselves (these need chm_run_days, 040).

# What chm-load kept against what chm_run_days_rebuild() computes from runs:
# the rows that differ, none when they agree.
REBUILD_DIFF="BEGIN;
CREATE TEMP TABLE kept AS SELECT * FROM chm_run_days;
SELECT chm_run_days_rebuild() AS n \\gset
SELECT * FROM plain.days_diff('kept', 'chm_run_days');
ROLLBACK;"

@test "rollups: what chm-load kept is what chm_run_days_rebuild() computes from runs" {
	out=$(sql <<<"$REBUILD_DIFF")
	no_diff "$out"
	# and the history's days are there: one row a pipeline and UTC day with runs
	run -0 q "SELECT count(*) FROM chm_run_days"
	assert_eq "$output" "$(q "SELECT count(DISTINCT (pipeline_id, date_trunc('day', started_at, 'UTC'))) FROM runs WHERE started_at IS NOT NULL")"
}

# The rollups against a rebuild, and two windows' answers against the plain
# ones, in the current database.
rollups_exact() {
	local out
	out=$(sql <<SQL
$REBUILD_DIFF
SELECT w.ws, w.we, d.* FROM (VALUES ('2026-10-20T05:17:00Z'::timestamptz, '2026-11-21T18:03:00Z'::timestamptz),
                                    ('-infinity', 'infinity')) AS w(ws, we),
       LATERAL plain.diff(w.ws, w.we) d;
SQL
)
	no_diff "$out"
}

@test "rollups: exact after every load, not only the last" {
	local h=$BATS_FILE_TMPDIR/h
	fresh_db steps
	load_reference
	load_ok "$h/inventory.ndjson"
	load_ok "$h/base-a.ndjson"
	rollups_exact
	load_ok --batch-size 7 "$h/base-b.ndjson"
	rollups_exact
	load_ok --batch-size 3 "$h/updates.ndjson"
	rollups_exact
	load_ok --regressions accept --batch-size 5 "$h/regressions.ndjson"
	rollups_exact
}

@test "rollups: exact after loaders at once on the same days" {
	local h=$BATS_FILE_TMPDIR/h t=$BATS_TEST_TMPDIR f rc again=()
	fresh_db together
	load_reference
	load_ok "$h/inventory.ndjson"
	load_ok "$h/base-a.ndjson"
	# base-b in four parts, the updates and the regressions, all at once: the
	# same pipelines and days, new runs (summed) and changed ones (recounted)
	split -n l/4 -d "$h/base-b.ndjson" "$t/part"
	cp "$h/updates.ndjson" "$h/regressions.ndjson" "$t/"
	for f in part00 part01 part02 part03 updates.ndjson regressions.ndjson; do
		chm-load --batch-size 3 --regressions accept "$t/$f" >"$t/$f.out" 2>"$t/$f.err" 3>&- &
		echo $! >"$t/$f.pid"
	done
	for f in part00 part01 part02 part03 updates.ndjson regressions.ndjson; do
		rc=0
		wait "$(cat "$t/$f.pid")" || rc=$?
		# 75: a temporary failure (deadlock, serialization), safe to run again
		case $rc in
		0) ;;
		75) again+=("$t/$f") ;;
		*) cat "$t/$f.err"; return 1 ;;
		esac
	done
	# only what had to stop is loaded again: a replay of the others could
	# mend a day by recounting it
	if [ "${#again[@]}" -gt 0 ]; then
		load_ok --regressions accept "${again[@]}"
	fi
	rollups_exact
}

@test "rollups: an unchanged replay writes no rollup row" {
	local h=$BATS_FILE_TMPDIR/h runs_before days_before
	days() { q "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM (SELECT xmin::text, * FROM chm_run_days) t"; }
	runs_before=$(runs_versions)
	days_before=$(days)
	load_ok --batch-size 3 "$h/updates.ndjson"
	load_ok "$h/updates.ndjson"
	load_ok --regressions accept --batch-size 2 "$h/regressions.ndjson"
	# the replay is unchanged (else the test's history is wrong, not the rollups)
	assert_eq "$(runs_versions)" "$runs_before"
	assert_eq "$(days)" "$days_before"
}

@test "rollups: chm migrate builds them for a history loaded before their migration" {
	local src=$PGDATABASE old cols t v
	old=$(_db_name before_rollups)
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$old\"" >/dev/null 2>&1
	psql -X -q -d postgres -c "CREATE DATABASE \"$old\"" >/dev/null
	export PGDATABASE=$old
	# a database that stopped before the rollups: migrations 040 and later
	# marked as applied, so migrate stops at 030
	q "$SCHEMA_MIGRATIONS_DDL"
	for v in $(cd "$CHM_ROOT/sql/migrations" && ls *.sql); do
		if [[ "$v" > "040" ]]; then
			q "INSERT INTO schema_migrations (version) VALUES ('$v')"
		fi
	done
	chm migrate >/dev/null
	# the loaded history, as such a database holds it
	for t in clients pipelines runs; do
		cols=$(q "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
		          WHERE attrelid = '$t'::regclass AND attnum > 0 AND NOT attisdropped")
		psql -X -q -v ON_ERROR_STOP=1 -d "$src" -c "COPY (SELECT $cols FROM $t) TO STDOUT" |
			psql -X -q -v ON_ERROR_STOP=1 -c "COPY $t ($cols) FROM STDIN"
	done
	assert_eq "$(q "SELECT count(*) FROM runs")" "$(psql -X -A -t -d "$src" -c "SELECT count(*) FROM runs")"
	q "DELETE FROM schema_migrations WHERE version > '040'"
	run -0 chm migrate
	run -0 q "SELECT to_regclass('chm_run_days') IS NOT NULL"
	assert_eq "$output" t
	# what migrate built is what a rebuild of the loaded database gives
	q "CREATE TABLE rebuilt (LIKE chm_run_days)"
	psql -X -q -v ON_ERROR_STOP=1 -d "$src" <<'SQL' | psql -X -q -v ON_ERROR_STOP=1 -c "COPY rebuilt FROM STDIN"
BEGIN;
SELECT chm_run_days_rebuild() AS n \gset
COPY (SELECT * FROM chm_run_days) TO STDOUT;
ROLLBACK;
SQL
	load_reference
	out=$(sql -c "SELECT * FROM plain.days_diff('chm_run_days', 'rebuilt')")
	no_diff "$out"
	[ "$(q "SELECT count(*) FROM chm_run_days")" -gt 100 ]
	# and the questions answer from them as the plain ones
	out=$(sql <<SQL
SELECT w.ws, w.we, d.* FROM (VALUES ('2026-10-20T05:17:00Z'::timestamptz, '2026-11-21T18:03:00Z'::timestamptz),
                                    ('2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z')) AS w(ws, we),
       LATERAL plain.diff(w.ws, w.we) d;
SQL
)
	no_diff "$out"
}
