#!/usr/bin/env bats
# chm exec: a cron job recorded as a run of the cron platform, its own output
# untouched, its exit status ours, and a database that is down never stopping it.

load helper

setup() {
	fresh_db
	chm-load "$FIXTURES/fetch/inventory.ndjson" >/dev/null
	EV="$BATS_TEST_TMPDIR/events.ndjson"
}

ev() { # ev N FILTER: a field (or a jq filter) of the N-th event (from 1)
	case $2 in
	[.\[]*) sed -n "${1}p" "$EV" | jq -r "$2" ;;
	*) sed -n "${1}p" "$EV" | jq -r ".$2" ;;
	esac
}

@test "success: running then success, same run id; stdout and stderr untouched; exit 0" {
	printf 'binary\000out\nno newline at the end' >"$BATS_TEST_TMPDIR/expected.out"
	run --separate-stderr bash -c 'chm exec --pipeline globex/nightly_export --events "$1" -- \
		sh -c "cat \"\$1\"; printf \"warn: a\\n\" >&2" sh "$2" >"$3"' bash "$EV" "$BATS_TEST_TMPDIR/expected.out" "$BATS_TEST_TMPDIR/got.out"
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/expected.out" "$BATS_TEST_TMPDIR/got.out"
	assert_eq "$stderr" "warn: a"
	assert_eq "$(wc -l <"$EV")" 2
	assert_eq "$(ev 1 status) $(ev 2 status)" "running success"
	assert_eq "$(ev 1 external_run_id)" "$(ev 2 external_run_id)"
	assert_eq "$(ev 1 started_at)" "$(ev 2 started_at)"
	assert_eq "$(sed -n 2p "$EV" | jq -r '[.type,.client,.pipeline,.platform] | join(" ")')" "run globex nightly_export cron"
	[[ "$(ev 1 external_run_id)" =~ ^.+-20[0-9-]+T[0-9:.]+Z-[0-9]+$ ]]
	assert_eq "$(ev 2 'duration_seconds >= 0 and .finished_at >= .started_at')" true
	assert_eq "$(ev 2 error_message)" null
	assert_eq "$(ev 2 payload.exit_code)" 0
}

@test "failure: exit status as status_reason, the last lines of stderr as error_message, same exit" {
	run --separate-stderr chm exec --pipeline globex/nightly_export --events "$EV" -- \
		sh -c 'for i in $(seq 1 30); do echo "line $i" >&2; done; exit 3'
	[ "$status" -eq 3 ]
	assert_eq "$(printf '%s\n' "$stderr" | wc -l)" 30
	assert_eq "$(ev 2 status)" failed
	assert_eq "$(ev 2 status_reason)" "exit status 3"
	assert_eq "$(ev 2 error_message | head -n 1)" "line 11"
	assert_eq "$(ev 2 error_message | tail -n 1)" "line 30"
	assert_eq "$(ev 2 payload.exit_code)" 3
}

@test "a huge stderr passes through whole; error_message stays bounded" {
	run --separate-stderr chm exec --pipeline globex/nightly_export --events "$EV" -- \
		sh -c 'i=0; while [ $i -lt 3000 ]; do echo "é-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" >&2; i=$((i+1)); done; exit 1'
	[ "$status" -eq 1 ]
	assert_eq "$(printf '%s\n' "$stderr" | wc -l)" 3000
	[ "$(ev 2 error_message | wc -c)" -le 2000 ]
	[[ "$(ev 2 error_message | tail -n 1)" == é-2999-* ]]
}

@test "killed by a signal: failed, the signal named, exit 128+N" {
	run --separate-stderr chm exec --pipeline globex/nightly_export --events "$EV" -- sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
	assert_eq "$(ev 2 status)" failed
	assert_eq "$(ev 2 status_reason)" "killed by signal 9 (Killed)"
	assert_eq "$(ev 2 payload.signal)" 9
}

@test "SIGTERM to chm exec reaches the job, and the end is still recorded" {
	chm exec --pipeline globex/nightly_export --events "$EV" -- sleep 30 3>&- &
	pid=$!
	# the job itself must be running (a stop before it starts cancels it instead)
	for i in $(seq 200); do pgrep -P "$pid" -x sleep >/dev/null && break; sleep 0.05; done
	pgrep -P "$pid" -x sleep >/dev/null
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 143
	assert_eq "$(ev 2 status_reason)" "killed by signal 15 (Terminated)"
}

@test "a command that cannot be run: failed with exit 127" {
	run -127 --separate-stderr chm exec --pipeline globex/nightly_export --events "$EV" -- /nonexistent/job
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"cannot run /nonexistent/job: No such file or directory"* ]]
	assert_eq "$(ev 2 status) $(ev 2 status_reason)" "failed exit status 127"
}

@test "--events-fd: events on a descriptor of the user's choice" {
	run --separate-stderr bash -c "chm exec --pipeline globex/nightly_export --events-fd 7 -- echo hi 7>'$EV'"
	[ "$status" -eq 0 ]
	assert_eq "$output" "hi"
	assert_eq "$(ev 2 status)" success
	# descriptor 1: the events and the job's own output share it; the job
	# keeps its stdout (it lost it to close-on-exec, and failed)
	run --separate-stderr chm exec --pipeline globex/nightly_export --events-fd 1 -- echo hi
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | grep -c '^hi$')" 1
	assert_eq "$(printf '%s\n' "$output" | grep '"type":"run"' | jq -r .status | paste -sd' ')" "running success"
}

@test "the job's environment is its own, and a lock on runs holds its start at most 5 s" {
	run --separate-stderr env -u PGCONNECT_TIMEOUT chm exec --pipeline globex/nightly_export --load -- \
		sh -c 'echo "[${PGCONNECT_TIMEOUT-unset}]"'
	[ "$status" -eq 0 ]
	assert_eq "$output" "[unset]"
	# a session holds runs locked until it is ended: the running event gives
	# up, and the job runs while the lock is still held (it sees the lock)
	psql -X -q -c "BEGIN; LOCK TABLE runs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3600); COMMIT" >/dev/null 2>&1 &
	locker=$!
	held="SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'runs' AND l.mode = 'AccessExclusiveLock' AND l.granted"
	for _ in $(seq 300); do [ "$(q "$held")" = 1 ] && break; sleep 0.1; done
	assert_eq "$(q "$held")" 1
	# (timeout: a start that waits for the lock would wait for ever)
	run --separate-stderr timeout 120 chm exec --pipeline globex/nightly_export --load --events "$EV" -- psql -X -A -t -c "$held"
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%LOCK TABLE runs%' AND pid <> pg_backend_pid()" >/dev/null
	kill "$locker" 2>/dev/null || true
	wait "$locker" 2>/dev/null || true
	[ "$status" -eq 0 ]
	assert_eq "$output" 1
	[[ "$stderr" == *"the run is not recorded in the database"*"statement timeout"* ]]
}

@test "--load: the running row is there while the job runs, the final one after" {
	run --separate-stderr chm exec --pipeline globex/nightly_export --load -- \
		psql -X -A -t -c "SELECT status FROM runs JOIN pipelines p ON p.id = pipeline_id WHERE p.name = 'nightly_export'"
	[ "$status" -eq 0 ]
	assert_eq "$output" "running"
	assert_eq "$(q "SELECT status || ' ' || (finished_at >= started_at) || ' ' || (duration_seconds >= 0) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'nightly_export'")" \
		"success true true"
	run --separate-stderr chm exec --pipeline globex/nightly_export --load --events "$EV" -- sh -c 'echo boom >&2; exit 2'
	[ "$status" -eq 2 ]
	assert_eq "$(q "SELECT count(*), count(*) FILTER (WHERE status = 'failed' AND error_message = 'boom' AND status_reason = 'exit status 2') FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'nightly_export'")" "2|1"
	# the events file is the same record: loading it changes nothing
	run --separate-stderr chm-load "$EV"
	assert_eq "$(summary_field inserted) $(summary_field updated)" "0 0"
}

@test "--load with the database down: a warning, the job still runs, its status is ours" {
	run --separate-stderr chm exec --pipeline globex/nightly_export --load --db "host=/nonexistent dbname=x" \
		--events "$EV" -- sh -c 'echo ran; exit 4'
	[ "$status" -eq 4 ]
	assert_eq "$output" "ran"
	[[ "$stderr" == *"chm-exec: the run is not recorded in the database: cannot connect"* ]]
	assert_eq "$(ev 2 status)" failed
}

@test "an unknown pipeline with --load: a warning, the job still runs" {
	run --separate-stderr chm exec --pipeline globex/nope --load -- true
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"not recorded in the database"*"nope"* ]]
}

@test "usage errors: exit 64 and nothing is run" {
	run --separate-stderr chm exec --events "$EV" -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 64 ]
	run --separate-stderr chm exec --pipeline globex/nightly_export -- touch "$BATS_TEST_TMPDIR/ran"
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--events FILE, --events-fd N or --load"* ]]
	run --separate-stderr chm exec --pipeline globex/nightly_export --events "$EV"
	[ "$status" -eq 64 ]
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	run chm exec --help
	[ "$status" -eq 0 ]
}

@test "--format raw: the cron records chm-normalize reads, start and end with one run_id" {
	run --separate-stderr chm exec --pipeline globex/nightly_export --format raw --events "$EV" -- sh -c 'echo bad >&2; exit 5'
	[ "$status" -eq 5 ]
	assert_eq "$(ev 1 '[.type,.source,.client,.pipeline,.record.event] | join(" ")')" "raw cron globex nightly_export start"
	assert_eq "$(ev 2 '[.record.event, (.record.exit_status|tostring), (.record.signal|tostring), .record.stderr_tail, .record.command] | join(" ")')" \
		"end 5 null bad sh"
	assert_eq "$(ev 1 record.run_id)" "$(ev 2 record.run_id)"
	assert_eq "$(ev 2 '.record.finished_at >= .record.started_at')" true
}

@test "credentials in the job's stderr do not reach the run's error_message" {
	run --separate-stderr chm exec --pipeline globex/nightly_export --load --events "$EV" -- \
		sh -c 'echo "cannot reach postgresql://etl:hunter2@db.internal/x?sslmode=require&password=pw2" >&2; exit 1'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *hunter2* ]] # its own stderr is untouched
	[[ "$(ev 2 error_message)" == *"[redacted]"* ]]
	! grep -q -e hunter2 -e pw2 "$EV"
	assert_eq "$(q "SELECT count(*) FROM runs WHERE error_message LIKE '%hunter2%' OR error_message LIKE '%pw2%'")" 0
	assert_eq "$(q "SELECT count(*) FROM runs WHERE error_message LIKE '%[redacted]%'")" 1
}

@test "a background child that keeps stderr open does not hold chm exec after the command ends" {
	SECONDS=0
	run --separate-stderr chm exec --pipeline globex/nightly_export --events "$EV" -- sh -c '(sleep 5 >/dev/null &); echo started >&2; exit 0'
	[ "$status" -eq 0 ]
	[ "$SECONDS" -lt 4 ]
	assert_eq "$stderr" "started"
	assert_eq "$(ev 2 status)" success
	# the events file is the user's alone
	assert_eq "$(stat -c %a "$EV")" 600
}

@test "a stop request before the job starts: the job is not run, the run is canceled" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	chm exec --pipeline globex/nightly_export --events "$BATS_TEST_TMPDIR/fifo" -- touch "$BATS_TEST_TMPDIR/ran" \
		2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	sleep 0.3 # it waits in open() for a reader of the FIFO
	kill -TERM "$pid"
	cat "$BATS_TEST_TMPDIR/fifo" >"$EV"
	rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 143
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	assert_eq "$(ev 1 status) $(ev 2 status)" "running canceled"
	assert_eq "$(ev 2 status_reason)" "not started: chm exec got signal 15 (Terminated) first"
	grep -q "before the command started" "$BATS_TEST_TMPDIR/err"
	# --format raw says the same through chm-normalize: one rule for both
	rm -f "$BATS_TEST_TMPDIR/fifo"
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	chm exec --pipeline globex/nightly_export --format raw --events "$BATS_TEST_TMPDIR/fifo" -- touch "$BATS_TEST_TMPDIR/ran" \
		2>/dev/null 3>&- &
	pid=$!
	sleep 0.3
	kill -TERM "$pid"
	chm-normalize <"$BATS_TEST_TMPDIR/fifo" >"$BATS_TEST_TMPDIR/norm"
	wait "$pid" || true
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	assert_eq "$(jq -r .status "$BATS_TEST_TMPDIR/norm" | paste -sd' ')" "running canceled"
	assert_eq "$(sed -n 2p "$BATS_TEST_TMPDIR/norm" | jq -r .status_reason)" "not started: chm exec got signal 15 (Terminated) first"
}

@test "a client whose name holds a \"/\": --pipeline Acme/EU/orders lands under Acme/EU, loaded or through chm-normalize" {
	printf '%s\n' '{"type":"client","name":"Acme/EU"}' \
		'{"type":"pipeline","client":"Acme/EU","name":"orders","platform":"cron","pipeline_type":"ingestion"}' | chm-load >/dev/null
	run --separate-stderr chm exec --pipeline Acme/EU/orders --load --events "$EV" -- true
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	assert_eq "$(ev 1 '.client // "none"') $(ev 1 pipeline)" "none Acme/EU/orders"
	run --separate-stderr chm exec --pipeline Acme/EU/orders --format raw --events "$BATS_TEST_TMPDIR/raw.ndjson" -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	chm-normalize "$BATS_TEST_TMPDIR/raw.ndjson" | chm-load >/dev/null
	assert_eq "$(q "SELECT string_agg(r.status || ' ' || coalesce(r.status_reason, '-'), ', ' ORDER BY r.started_at) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id WHERE c.name = 'Acme/EU'")" \
		"success -, failed exit status 3"
}

@test "--load on a pipeline that is not cron: the job runs, nothing is recorded, and the warning says why" {
	run --separate-stderr chm exec --pipeline acme/orders_daily --load -- sh -c 'echo ran'
	[ "$status" -eq 0 ]
	assert_eq "$output" "ran"
	[[ "$stderr" == *"acme/orders_daily is not a cron pipeline, and chm exec records cron jobs"* ]]
	assert_eq "$(q "SELECT count(*) FROM runs")" 0
}
