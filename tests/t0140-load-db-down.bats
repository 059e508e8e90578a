#!/usr/bin/env bats
# The database stopped before and during a load: exit 75, no partial batch,
# the committed batches intact, and a rerun completes the data.
# These tests stop a server, so they use a cluster of their own.

load helper

setup_file() {
	export DOWN_PG="$BATS_FILE_TMPDIR/pg"
	eval "$(sh "$CHM_ROOT/tools/pg.sh" start "$DOWN_PG" fast)"
	psql -X -q -d postgres -c "CREATE DATABASE chm" >/dev/null
	export PGDATABASE=chm
	chm migrate >/dev/null
	chm-load "$FIXTURES/inventory.ndjson" >/dev/null
}

teardown_file() {
	sh "$CHM_ROOT/tools/pg.sh" stop "$DOWN_PG"
}

setup() {
	sh "$CHM_ROOT/tools/pg.sh" start "$DOWN_PG" >/dev/null
	q "TRUNCATE runs"
}

@test "database down before the load: exit 75, nothing written, a message saying so" {
	sh "$CHM_ROOT/tools/pg.sh" stop "$DOWN_PG"
	run --separate-stderr chm-load "$FIXTURES/runs/history.ndjson"
	[ "$status" -eq 75 ]
	[[ "$stderr" == "chm-load: cannot connect to the database:"* ]]
	sh "$CHM_ROOT/tools/pg.sh" start "$DOWN_PG" >/dev/null
	assert_eq "$(q "SELECT count(*) FROM runs")" 0
}

@test "database stopped during the load: exit 75, committed batches intact, a rerun completes" {
	for i in $(seq 1 40); do run_line "r$i" success; done >"$BATS_TEST_TMPDIR/all"
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	chm-load --batch-size 10 --state-file "$BATS_TEST_TMPDIR/state" "$BATS_TEST_TMPDIR/fifo" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	exec 5>"$BATS_TEST_TMPDIR/fifo"
	# two whole batches and a state record after them
	head -n 20 "$BATS_TEST_TMPDIR/all" >&5
	echo '{"type":"state","value":{"at":20}}' >&5
	for _ in $(seq 1 100); do [ "$(q "SELECT count(*) FROM runs")" = 20 ] && break; sleep 0.1; done
	assert_eq "$(q "SELECT count(*) FROM runs")" 20
	sh "$CHM_ROOT/tools/pg.sh" stop "$DOWN_PG"
	# the third batch meets a server that is gone
	# (chm-load may be gone before all of it is written: that is the point)
	(sed -n '21,35p' "$BATS_TEST_TMPDIR/all"; echo '{"type":"state","value":{"at":35}}') >&5 2>/dev/null || true
	exec 5>&-
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 75 ]
	grep -q 'chm-load: ' "$BATS_TEST_TMPDIR/err"
	sh "$CHM_ROOT/tools/pg.sh" start "$DOWN_PG" >/dev/null
	assert_eq "$(q "SELECT count(*) FROM runs")" 20
	# the state file never runs ahead of the data
	assert_eq "$(jq -c . "$BATS_TEST_TMPDIR/state" 2>/dev/null || echo none)" '{"at":20}'
	run --separate-stderr chm-load --batch-size 10 "$BATS_TEST_TMPDIR/all"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 20
	assert_eq "$(q "SELECT count(*) FROM runs")" 40
}
