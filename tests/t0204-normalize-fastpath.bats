#!/usr/bin/env bats
# The fast path (raw Airflow envelopes checked by jscan, no jansson tree)
# must give exactly the bytes of the general path, accept nothing jansson
# refuses, and leave every unusual line to the general path.

load helper

both() {
	fast_status=0 slow_status=0
	chm-normalize "$@" >"$BATS_TEST_TMPDIR/fast.out" 2>"$BATS_TEST_TMPDIR/fast.err" || fast_status=$?
	CHM_NORMALIZE_NO_FASTPATH=1 chm-normalize "$@" >"$BATS_TEST_TMPDIR/slow.out" 2>"$BATS_TEST_TMPDIR/slow.err" || slow_status=$?
	cmp "$BATS_TEST_TMPDIR/fast.out" "$BATS_TEST_TMPDIR/slow.out"
	cmp "$BATS_TEST_TMPDIR/fast.err" "$BATS_TEST_TMPDIR/slow.err"
	[ "$fast_status" -eq "$slow_status" ]
}

env_line() { # record JSON text -> raw envelope line
	printf '{"type":"raw","source":"airflow","client":"acme","external_id":"orders_daily","fetched_at":"2026-11-22T10:00:00Z","record":%s}\n' "$1"
}

@test "valid envelopes of every shape: the same bytes on both paths" {
	f=$BATS_TEST_TMPDIR/in
	{
		env_line '{"dag_id":"d","dag_run_id":"r1","state":"success","start_date":"2026-11-21T00:00:05.123456789+00:00","end_date":"2026-11-21T00:07:00Z"}'
		env_line ' { "dag_id" : "d" , "dag_run_id":"r2", "state":"queued", "start_date":null, "end_date":"" , "n":[1,-0.5,0,1.25,true,false,null,{}], "o":{"a":{"b":[[],[{}]]}} } '
		env_line '{"dag_id":"d","dag_run_id":"r3 \"quoted\" tab\t","state":"success"}'
		env_line '{"dag_id":"d","dag_run_id":"r4","state":"up_for_reschedule","note":"ünïcödé ✓ 😀","conf":{"path":"a\/b\\c\n"}}'
		env_line '{"dag_id":"d","dag_run_id":"r5","state":"failed","start_date":"2026-11-21 00:00:05+02:00","end_date":"2026-11-20T23:00:00Z"}'
		env_line '{"dag_id":"d","dag_run_id":"r6","state":"running","start_date":"2026-11-21T00:00:05Z","end_date":"2026-11-21T00:00:01Z"}'
		env_line '{"dag_run_id":"r7","state":"success"}'
		printf '%s\n' '{"type":"raw","source":"airflow","record":{"dag_id":"d","dag_run_id":"r8","state":"success"}}'
		printf '%s\n' '{"type":"raw","source":"airflow","client":"acme","pipeline":"orders_daily","record":{"dag_id":"d","dag_run_id":"r9","state":"success"}}'
		env_line '{"dag_id":"d","dag_run_id":"r10","state":"success","conf":{"url":"https://u:p@h/x"}}'
		env_line '{"dag_id":"d","dag_run_id":"r11","state":"success","conf":{"Token":"x"}}'
		env_line '{"dag_id":"d","dag_run_id":"r12","state":"success","conf":{"k":"\u00e9"}}'
		env_line '{"dag_id":"d","dag_run_id":12,"state":"success"}'
		env_line '{"dag_id":"d","dag_run_id":"r14","state":"success","big":12345678901234567890,"e":1e5}'
		printf '%s\n' '{"type":"state","value":{}}'
	} > "$f"
	both "$f"
	assert_eq "$fast_status" 65
	assert_eq "$(wc -l < "$BATS_TEST_TMPDIR/fast.out")" 13 # r8: no client; r14: jansson refuses a 20-digit integer
	both --client globex --pipeline other "$f"
}

@test "invalid JSON the fast path must refuse as jansson does" {
	f=$BATS_TEST_TMPDIR/in
	{
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":{"a":1,"a":2}}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","dag_id":"e"}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":[1,]}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":01}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":1.}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":-}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":NaN}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":"\x"}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":"\ud800"}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":"\u0000"}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","x":tru}'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success"} x'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success",}'
		printf '{"type":"raw","source":"airflow","client":"acme","record":{"dag_id":"d","dag_run_id":"r","state":"\001"}}\n'
		printf '{"type":"raw","source":"airflow","client":"acme","record":{"dag_id":"d","dag_run_id":"r","state":"\300\200"}}\n'
		printf '{"type":"raw","source":"airflow","client":"acme","record":{"dag_id":"d","dag_run_id":"r","state":"\355\240\200"}}\n'
		printf '{"type":"raw","source":"airflow","client":"acme","record":{"dag_id":"d","dag_run_id":"r","state":"\xe2\x9c"}}\n'
		env_line '{"dag_id":"d","dag_run_id":"r","state":"success","start_date":"2026-13-01T00:00:00Z"}'
	} > "$f"
	both "$f"
	assert_eq "$fast_status" 65
	assert_eq "$(wc -c < "$BATS_TEST_TMPDIR/fast.out")" 0
	assert_eq "$(grep -c '"type":"reject"' "$BATS_TEST_TMPDIR/fast.err")" 18
}

@test "a generated feed: the same bytes on both paths" {
	f=$BATS_TEST_TMPDIR/feed
	for i in $(seq 1 300); do
		st=$(( i % 4 )); case $st in 0) s=success;; 1) s=failed;; 2) s=running;; 3) s=queued;; esac
		env_line "{\"conf\":{\"i\":$i,\"m\":\"run $i\"},\"dag_id\":\"orders_daily\",\"dag_run_id\":\"scheduled__2026-11-$(( i % 28 + 10 ))T00:00:00+00:00_$i\",\"state\":\"$s\",\"start_date\":\"2026-11-21T00:00:$(( i % 60 / 10 ))$(( i % 10 )).$i+00:00\",\"end_date\":\"2026-11-21T01:00:00Z\"}"
	done > "$f"
	both "$f"
	assert_eq "$fast_status" 0
	assert_eq "$(wc -l < "$BATS_TEST_TMPDIR/fast.out")" 300
}
