#!/usr/bin/env bats
# The database as configuration and as a temporary fault (issue 14, items 9
# and 17): a connection string libpq cannot read or an unknown service is bad
# configuration (78); a server that accepts and never answers is given up after
# connect_timeout (10 s unless the conninfo or PGCONNECT_TIMEOUT says), and a
# read-only server (a standby after a failover) is temporary (75), as the
# systemd units expect.

load helper

setup() {
	fresh_db
	load_inventory
}

teardown() {
	[ -z "${SILENT_PID:-}" ] || { kill "$SILENT_PID" 2>/dev/null; wait "$SILENT_PID" 2>/dev/null; } || true
}

# A TCP server on 127.0.0.1 that accepts connections and never says a word.
start_silent_server() {
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$BATS_TEST_TMPDIR/silent.port" 3>&- &
	SILENT_PID=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/silent.port" ] && break; sleep 0.05; done
	SILENT_PORT=$(cat "$BATS_TEST_TMPDIR/silent.port")
}

@test "a connection string libpq cannot read, or an unknown service, is configuration: 78" {
	echo '{"type":"client","name":"x"}' >"$BATS_TEST_TMPDIR/in"
	for c in 'postgresql://[::1' 'postgresql://localhost/db%00' 'host=localhost port' 'service=no_such_chm_service'; do
		run --separate-stderr chm-load --db "$c" "$BATS_TEST_TMPDIR/in"
		[ "$status" -eq 78 ] || { echo "chm-load --db '$c': $status $stderr" >&2; false; }
		run --separate-stderr chm-report --db "$c" q2
		[ "$status" -eq 78 ]
		run --separate-stderr chm --db "$c" client list
		[ "$status" -eq 78 ]
	done
}

@test "a server that accepts and never answers: given up after connect_timeout, 75" {
	start_silent_server
	start=$(date +%s)
	PGCONNECT_TIMEOUT=2 run --separate-stderr timeout 60 chm-report --db "host=127.0.0.1 port=$SILENT_PORT dbname=x" q2
	[ "$status" -eq 75 ]
	[ $(( $(date +%s) - start )) -le 20 ]
	# with no timeout configured at all, CHM's own default (10 s) ends the wait
	start=$(date +%s)
	run --separate-stderr timeout 60 chm-load --db "host=127.0.0.1 port=$SILENT_PORT dbname=x" "$FIXTURES/inventory.ndjson"
	[ "$status" -eq 75 ]
	elapsed=$(( $(date +%s) - start ))
	[ "$elapsed" -ge 8 ] && [ "$elapsed" -le 40 ] || { echo "gave up after ${elapsed}s" >&2; false; }
	[[ "$stderr" == *"cannot connect to the database"* ]]
}

@test "a read-only database is a temporary failure: 75, and nothing half-written" {
	psql -X -q -d postgres -c "ALTER DATABASE \"$PGDATABASE\" SET default_transaction_read_only = on"
	run --separate-stderr chm-load "$FIXTURES/runs/history.ndjson"
	psql -X -q -d postgres -c "ALTER DATABASE \"$PGDATABASE\" RESET default_transaction_read_only"
	[ "$status" -eq 75 ]
	[[ "$stderr" == *"read-only"* ]]
	assert_eq "$(q "SELECT count(*) FROM runs")" 0
}

@test "SIGTERM while chm-load waits on a lock: the statement is cancelled after a grace, exit 75, nothing half-written" {
	psql -X -q -c "BEGIN; LOCK TABLE runs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT" >/dev/null 2>&1 &
	locker=$!
	sleep 0.5
	chm-load "$FIXTURES/runs/history.ndjson" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 1
	start=$(date +%s)
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	elapsed=$(( $(date +%s) - start ))
	kill "$locker" 2>/dev/null || true
	psql -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$locker" 2>/dev/null || true
	assert_eq "$rc" 75
	[ "$elapsed" -le 15 ] || { echo "stopped after ${elapsed}s" >&2; false; }
	assert_eq "$(q "SELECT count(*) FROM runs")" 0
}

@test "chm-report and chm bound every statement (CHM_STATEMENT_TIMEOUT, default 300s): a lock wait ends in 75" {
	# pg_sleep and the server's timers do not keep time under libfaketime
	[ -z "${FAKETIME:-}" ] || skip "a lock held by pg_sleep under libfaketime (make test-future)"
	psql -X -q -c "BEGIN; LOCK TABLE runs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT" >/dev/null 2>&1 &
	locker=$!
	sleep 0.5
	start=$(date +%s)
	CHM_STATEMENT_TIMEOUT=1s run --separate-stderr chm-report q2
	st1=$status err1=$stderr
	CHM_STATEMENT_TIMEOUT=1s run --separate-stderr chm run list --client acme
	st2=$status
	elapsed=$(( $(date +%s) - start ))
	psql -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$locker" 2>/dev/null || true
	assert_eq "$st1 $st2" "75 75"
	[[ "$err1" == *"statement timeout"* ]]
	[ "$elapsed" -le 15 ]
	# a value PostgreSQL cannot read is configuration
	CHM_STATEMENT_TIMEOUT=banana run --separate-stderr chm-report q2
	[ "$status" -eq 78 ]
	[[ "$stderr" == *'CHM_STATEMENT_TIMEOUT "banana" is not a PostgreSQL statement_timeout'* ]]
	# chm's error object: the code that goes with 78, naming the variable
	CHM_STATEMENT_TIMEOUT=banana run --separate-stderr chm client list
	[ "$status" -eq 78 ]
	assert_eq "$(printf '%s\n' "$stderr" | jq -r '.error | "\(.code) \(.details[0].field)"')" "db_config CHM_STATEMENT_TIMEOUT"
}
