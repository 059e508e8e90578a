#!/usr/bin/env bats
# Four chm-load processes on overlapping streams at once: no deadlock, no
# duplicate, and the same final state as one loader, every time.

load helper

setup_file() {
	fresh_db file
	load_inventory
	# 3000 runs over three pipelines in four overlapping streams
	python3 "$BATS_TEST_DIRNAME/concurrency_streams.py" "$BATS_FILE_TMPDIR"
	# the reference: one loader, the streams one after another
	cat "$BATS_FILE_TMPDIR"/stream* | chm-load --batch-size 500 >/dev/null
	q "SELECT pipeline_id, external_run_id, status, started_at, finished_at, rows_processed FROM runs ORDER BY 1, 2" >"$BATS_FILE_TMPDIR/expected"
}

@test "four loaders on overlapping streams converge on the single-loader state, five trials" {
	for trial in 1 2 3 4 5; do
		q "TRUNCATE runs"
		pids=()
		for k in 0 1 2 3; do
			chm-load --batch-size 300 "$BATS_FILE_TMPDIR/stream$k" >"$BATS_TEST_TMPDIR/out$k" 2>"$BATS_TEST_TMPDIR/err$k" 3>&- &
			pids+=($!)
		done
		for k in 0 1 2 3; do
			wait "${pids[$k]}" || { echo "trial $trial loader $k failed:" >&2; cat "$BATS_TEST_TMPDIR/err$k" >&2; return 1; }
		done
		assert_eq "$(q "SELECT count(*) FROM (SELECT 1 FROM runs GROUP BY pipeline_id, external_run_id HAVING count(*) > 1) d")" 0
		q "SELECT pipeline_id, external_run_id, status, started_at, finished_at, rows_processed FROM runs ORDER BY 1, 2" >"$BATS_TEST_TMPDIR/actual"
		diff -u "$BATS_FILE_TMPDIR/expected" "$BATS_TEST_TMPDIR/actual" >&2
	done
	assert_eq "$(wc -l <"$BATS_FILE_TMPDIR/expected")" 3000
	# newer attempts won wherever they arrived
	assert_eq "$(q "SELECT count(*) FROM runs WHERE started_at::time = '05:00' AND status = 'success'")" 1000
}

@test "each batch is sent sorted by key: rows land in key order within a batch" {
	fresh_db sorted
	load_inventory
	for i in 5 3 9 1 7; do run_line "k$i" success; done | chm-load >/dev/null
	assert_eq "$(q "SELECT string_agg(external_run_id, ' ' ORDER BY id) FROM runs")" "k1 k3 k5 k7 k9"
}
