#!/usr/bin/env bats
# chm-load's fast path: once a batch inserted all of its keys, the next batch
# is inserted without the upsert (sql/queries/load_runs_new.sql). A batch that
# meets a stored key after all must still follow the transition rules.

load helper

setup() {
	fresh_db "$BATS_TEST_NAME"
	load_inventory
}

@test "new runs after new runs are inserted, and the counts say so" {
	for i in $(seq 1 30); do run_line "r$i" success '"started_at":"2026-11-01T00:00:00Z"'; done >"$BATS_TEST_TMPDIR/s"
	run --separate-stderr chm-load --batch-size 5 "$BATS_TEST_TMPDIR/s"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 30
	assert_eq "$(q "SELECT count(*) FROM runs")" 30
}

@test "a batch on the fast path that meets a stored run goes through the transition rules" {
	# r1..r10 stored as running; then a stream of new runs whose third batch
	# finishes r5 and carries a stale regression for r7 (stored: failed)
	{
		for i in $(seq 1 10); do run_line "r$i" running '"started_at":"2026-11-01T00:00:00Z"'; done
		run_line r7 failed '"started_at":"2026-11-01T00:00:00Z"'
	} | chm-load >/dev/null
	{
		for i in $(seq 11 20); do run_line "r$i" success '"started_at":"2026-11-02T00:00:00Z"'; done
		run_line r5 success '"started_at":"2026-11-01T00:00:00Z","finished_at":"2026-11-01T00:10:00Z"'
		run_line r7 success '"started_at":"2026-11-01T00:00:00Z"'
		run_line r21 failed '"started_at":"2026-11-02T00:00:00Z"'
		run_line r22 failed '"started_at":"2026-11-02T00:00:00Z"'
		run_line r23 failed '"started_at":"2026-11-02T00:00:00Z"'
	} >"$BATS_TEST_TMPDIR/s"
	run --separate-stderr chm-load --batch-size 5 "$BATS_TEST_TMPDIR/s"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 13
	assert_eq "$(summary_field updated)" 1
	assert_eq "$(summary_field ignored)" 1
	assert_eq "$(q "SELECT status || ' ' || duration_seconds FROM runs WHERE external_run_id = 'r5'")" "success 600"
	assert_eq "$(q "SELECT status FROM runs WHERE external_run_id = 'r7'")" failed
	assert_eq "$(q "SELECT count(*) FROM runs")" 23
	# and a replay of it changes nothing
	before=$(runs_versions)
	run --separate-stderr chm-load --batch-size 5 "$BATS_TEST_TMPDIR/s"
	[ "$status" -eq 0 ]
	assert_eq "$(runs_versions)" "$before"
}
