#!/usr/bin/env bats
# SIGTERM (what systemd sends) while chm-load waits for input: what was read
# is committed, the state file says so, and it exits promptly with a message.

load helper

setup() {
	fresh_db
	load_inventory
}

@test "SIGTERM: the current batch is committed, the process exits 75 at once with a clear message" {
	{
		for i in $(seq 1 25); do run_line "r$i" success; done
		echo '{"type":"state","value":{"at":25}}'
		sleep 60
	} | { chm-load --batch-size 10 --state-file "$BATS_TEST_TMPDIR/state" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" && st=0 || st=$?; echo "$st" >"$BATS_TEST_TMPDIR/status"; } 3>&- &
	for _ in $(seq 1 100); do [ "$(q "SELECT count(*) FROM runs")" -ge 20 ] && break; sleep 0.1; done
	sleep 0.5
	pid=$(pgrep -f "chm-load --batch-size 10 --state-file $BATS_TEST_TMPDIR/state")
	start=$(date +%s%N)
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	[ "$elapsed_ms" -lt 5000 ]
	for _ in $(seq 1 50); do [ -s "$BATS_TEST_TMPDIR/status" ] && break; sleep 0.1; done
	assert_eq "$(cat "$BATS_TEST_TMPDIR/status")" 75
	grep -q 'chm-load: stopped by signal 15 after committing every record read so far' "$BATS_TEST_TMPDIR/err"
	assert_eq "$(q "SELECT count(*) FROM runs")" 25
	assert_eq "$(jq -c . "$BATS_TEST_TMPDIR/state")" '{"at":25}'
	assert_eq "$(jq -r .inserted "$BATS_TEST_TMPDIR/out")" 25
	pkill -f "sleep 60" || true
}
