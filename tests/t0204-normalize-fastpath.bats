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
	assert_eq "$(wc -l < "$BATS_TEST_TMPDIR/fast.out")" 14 # r8: no client
	# a 20-digit integer is kept as the partner wrote it, not refused
	grep -q '"dag_run_id":"r14".*"big":12345678901234567890,' "$BATS_TEST_TMPDIR/fast.out"
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
	# (a \u0000 is valid JSON and is kept as U+FFFD: t0199)
	assert_eq "$(grep -c '"type":"reject"' "$BATS_TEST_TMPDIR/fast.err")" 17
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

src_line() { # source record-JSON -> raw envelope line
	printf '{"type":"raw","source":"%s","client":"acme","external_id":"x","record":%s}\n' "$1" "$2"
}

@test "cron: the fixture, a synthetic feed and tricky records give the same bytes on both paths" {
	f=$BATS_TEST_TMPDIR/in
	{
		cat "$FIXTURES/cron/nightly_export.ndjson"
		chm-synth --seed 11 --runs 3000 --format raw | grep '"source":"cron"'
		c() { src_line cron "$1"; }
		c '{"run_id":"a","event":"start","started_at":"2026-11-21T02:00:00Z","pipeline":"globex/nightly"}'
		c '{"run_id":"a","event":"end","started_at":1763690400,"finished_at":1763690460.25,"exit_status":0,"rows_processed":12}'
		c '{"run_id":"a","event":"end","started_at":1763690400000,"finished_at":"2026-11-21T02:10:00+01:00","exit_status":3,"stderr_tail":"line 1\nline \"2\"\ttab\\ \/x"}'
		c '{"run_id":"a","event":"end","exit_status":2,"stderr_tail":""}'
		c '{"run_id":"a","event":"end","signal":"KILL","exit_status":137,"stderr_tail":"Killed"}'
		c '{"run_id":"a","event":"end","signal":9}'
		c '{"run_id":"a","event":"end","signal":null,"exit_status":null}'
		c '{"run_id":"a","event":"end","exit_status":1.0}'
		c '{"run_id":"a","event":"end","exit_status":"0"}'
		c '{"run_id":"a","event":"skip","reason":"lock held by pid 42"}'
		c '{"run_id":"a","event":"reboot"}'
		c '{"run_id":"a"}'
		c '{"run_id":"","event":"start"}'
		c '{"run_id":42,"event":"start","external_id":7}'
		c '{"run_id":-0,"event":"start","rows_processed":-5}'
		c '{"run_id":"a","event":"start","pipeline":"noslash"}'
		c '{"run_id":"a","event":"start","pipeline":"/lead"}'
		c '{"run_id":"a","event":"start","pipeline":"trail/"}'
		c '{"run_id":"a","event":"start","pipeline":["x"],"rows_processed":1.5}'
		c '{"run_id":"a","event":"start","started_at":"2026-11-21T02:00:00"}'
		c '{"run_id":"a","event":"start","started_at":"2026-02-30T02:00:00Z"}'
		c '{"run_id":"a","event":"start","started_at":true}'
		c '{"run_id":"a","event":"start","started_at":1e10}'
		c '{"run_id":"a","event":"start","started_at":-99999999999999}'
		c '{"run_id":"a","event":"end","exit_status":1,"stderr_tail":"psql postgres://etl:hunter2@db/x failed"}'
		c '{"run_id":"a","event":"end","exit_status":1,"stderr_tail":"conn host=db password=x"}'
		c '{"run_id":"a","event":"end","exit_status":1,"stderr_tail":"see https://example.com/docs?a=1"}'
		c '{"run_id":"a","event":"end","exit_status":1,"env":{"PGPASSWORD":"x"}}'
		c '{"run_id":"a","event":"end","exit_status":1,"command":"curl https:\/\/u:p@h\/"}'
		c '{"run_id":"a","event":"end","exit_status":1,"stderr_tail":"\u00e9"}'
		c '{"run_id":"a","event":"start","event":"end"}'
		c '[{"run_id":"a","event":"start"}]'
		printf '%s\n' '{"type":"raw","source":"cron","record":{"run_id":"a","event":"start","pipeline":"initech/backup"}}'
		printf '%s\n' '{"type":"raw","source":"cron","client":7,"record":{"run_id":"a","event":"start"}}'
		printf '%s\n' '{"type":"raw","record":{"run_id":"a","event":"start"},"source":"cron","client":"acme","pipeline":"p"}'
	} > "$f"
	both "$f"
	assert_eq "$fast_status" 65
	[ "$(wc -l < "$BATS_TEST_TMPDIR/fast.out")" -gt 50 ]
	both --client globex --pipeline other "$f"
	both --client globex "$f"
}

ol_wrap() { # OpenLineage JSON documents (events, arrays or pages) -> raw envelope lines
	jq -c 'if type == "array" then .[] elif (type == "object" and has("events")) then .events[] else . end
	       | {type: "raw", source: "openlineage", client: "acme", record: .}' "$@"
}

@test "openlineage: the reference events, the fixtures, a synthetic feed and tricky events give the same bytes on both paths" {
	f=$BATS_TEST_TMPDIR/in
	{
		ol_wrap "$REFERENCE"/marquez_ol_*.json "$REFERENCE"/openlineage_*.json
		ol_wrap "$FIXTURES/openlineage/events.ndjson"
		chm-synth --seed 12 --runs 3000 --format raw | grep '"source":"openlineage"'
		o() { src_line openlineage "$1"; }
		job='"job":{"namespace":"ns","name":"j"}'
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r1\"},$job}"
		o "{\"eventType\":\"COMPLETE\",\"eventTime\":\"2026-11-22T10:05:00.5+02:00\",\"run\":{\"runId\":\"r1\",\"facets\":{}},$job,\"outputs\":[{\"outputFacets\":{\"outputStatistics\":{\"rowCount\":10}}},{\"outputFacets\":{\"outputStatistics\":{\"rowCount\":-1}}},{\"outputFacets\":{\"outputStatistics\":{\"rowCount\":2.5}}},{\"outputFacets\":{}},7,{\"outputFacets\":{\"outputStatistics\":{\"rowCount\":5}}}]}"
		o "{\"eventType\":\"FAIL\",\"eventTime\":\"2026-11-22 10:05:00\",\"run\":{\"runId\":\"r1\",\"facets\":{\"errorMessage\":{\"message\":\"boom \\\"quoted\\\"\\nline 2\",\"programmingLanguage\":\"python\"}}},$job}"
		o "{\"eventType\":\"FAIL\",\"eventTime\":\"2026-11-22T10:05:00Z\",\"run\":{\"runId\":\"r1\",\"facets\":{\"errorMessage\":{\"message\":\"\"}}},$job}"
		o "{\"eventType\":\"ABORT\",\"eventTime\":\"2026-11-22T10:05:00Z\",\"run\":{\"runId\":\"r1\",\"facets\":{\"errorMessage\":\"flat\"}},$job,\"outputs\":{}}"
		o "{\"eventType\":\"RUNNING\",\"eventTime\":\"2026-11-22T10:05:00Z\",\"run\":{\"runId\":\"r1\"},$job}"
		o "{\"eventType\":\"OTHER\",\"eventTime\":\"2026-11-22T10:05:00Z\",\"run\":{\"runId\":\"r1\"},$job}"
		o "{\"eventType\":\"START_RUN\",\"eventTime\":\"2026-11-22T10:05:00Z\",\"run\":{\"runId\":\"r1\"},$job}"
		o "{\"eventTime\":\"2026-11-22T10:05:00Z\",\"run\":{\"runId\":\"r1\"},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"c1\",\"facets\":{\"parent\":{\"run\":{\"runId\":\"p\"},\"job\":{\"namespace\":\"ns\",\"name\":\"dag\"}}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"c2\",\"facets\":{\"parent\":{\"job\":{\"namespace\":\"ns\",\"name\":\"j\"}}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"c3\",\"facets\":{\"parent\":{\"job\":{\"namespace\":\"ns\"}}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"c4\",\"facets\":{\"parent\":{\"job\":\"ns/dag\"}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":42},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"\"},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\"},\"job\":{\"namespace\":\"ns\"}}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\"},\"job\":[]}"
		o "{\"eventType\":\"START\",\"eventTime\":\"\",\"run\":{\"runId\":\"r\"},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":1763805600,\"run\":{\"runId\":\"r\"},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-31T10:00:00Z\",\"run\":{\"runId\":\"r\"},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\",\"facets\":{\"conn\":{\"uri\":\"postgres://etl:hunter2@db:5432/x\"}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\",\"facets\":{\"conn\":{\"apiToken\":\"t0k\"}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\",\"facets\":{\"conn\":{\"uri\":\"https:\\/\\/u:p@h\\/\",\"dsn\":\"host=db password=x\"}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\",\"facets\":{\"conn\":{\"uri\":\"https:\\/\\/h\\/x?a=b\"}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\",\"facets\":{\"s3\":{\"url\":\"https://b.s3/x?X-Amz-Signature=abc\"}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\"},$job,\"events\":[]}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\"},$job,\"events\":3}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\\u00e9\"},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\",\"facets\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":[1,2,{\"g\":null}]}}}}}}},$job}"
		o "{\"eventType\":\"START\",\"eventTime\":\"2026-11-22T10:00:00Z\",\"run\":{\"runId\":\"r\"},\"job\":{\"namespace\":\"n\\\\s\",\"name\":\"j\\/k\"}}"
	} > "$f"
	both "$f"
	assert_eq "$fast_status" 65
	[ "$(wc -l < "$BATS_TEST_TMPDIR/fast.out")" -gt 50 ]
	both --include-children "$f"
	both --client globex --pipeline other "$f"
}

dbt_wrap() { # run_results.json documents -> raw envelope lines
	jq -c '{type: "raw", source: "dbt_artifact", client: "acme", pipeline: "jaffle", record: .}' "$@"
}

@test "dbt_artifact: the reference and fixture run_results, a synthetic feed and tricky ones give the same bytes on both paths" {
	f=$BATS_TEST_TMPDIR/in
	{
		for r in "$REFERENCE"/dbt_core_run_results_*.json; do
			case $r in *schema*) continue ;; esac
			dbt_wrap "$r"
		done
		dbt_wrap "$FIXTURES"/dbt_artifact/*.json
		chm-synth --seed 13 --runs 3000 --format raw | grep '"source":"dbt_artifact"'
		d() { src_line dbt_artifact "$1"; }
		meta='"metadata":{"invocation_id":"inv1","generated_at":"2026-11-22T10:05:00Z","invocation_started_at":"2026-11-22T10:00:00Z"}'
		meta2='"metadata":{"invocation_id":"inv2","generated_at":"2026-11-22T10:05:00Z"}'
		t='"timing":[{"name":"compile","started_at":"2026-11-22T10:00:01Z","completed_at":"2026-11-22T10:00:02Z"},{"name":"execute","started_at":"2026-11-22 10:00:00.5+00:00"}]'
		d "{$meta,\"results\":[{\"status\":\"success\",$t,\"adapter_response\":{\"rows_affected\":5}},{\"status\":\"error\",\"message\":\"boom \\\"x\\\"\\nline\",\"unique_id\":\"model.a\"}],\"elapsed_time\":300.5}"
		d "{$meta2,\"results\":[{\"status\":\"fail\",\"message\":null,\"unique_id\":\"test.b\",$t},{\"status\":\"error\",\"message\":\"second\"}],\"elapsed_time\":12}"
		d "{$meta2,\"results\":[{\"status\":\"runtime error\",\"message\":\"\"}],\"elapsed_time\":-1}"
		d "{$meta2,\"results\":[{\"status\":\"skipped\"},{\"status\":\"no-op\"}],\"elapsed_time\":1e2}"
		d "{$meta2,\"results\":[{\"status\":\"skipped\"},{\"message\":\"no status\"},7],\"elapsed_time\":0}"
		d "{$meta2,\"results\":[],\"elapsed_time\":0.0}"
		d "{$meta2,\"results\":[{\"status\":\"warn\",\"adapter_response\":{\"rows_affected\":-1}},{\"status\":\"pass\",\"adapter_response\":{\"rows_affected\":2.0}},{\"status\":\"reused\",\"adapter_response\":{\"rows_affected\":3}}]}"
		d "{$meta2,\"results\":[{\"status\":\"success\",\"timing\":{}},{\"status\":\"success\",\"timing\":[{\"started_at\":null},{\"started_at\":\"\"},{},3]}],\"elapsed_time\":\"12\"}"
		d "{$meta2,\"results\":[{\"status\":\"success\",\"timing\":[{\"started_at\":\"2026-11-22T10:00:00\"}]}]}"
		d "{$meta2,\"results\":[{\"status\":\"success\",\"timing\":[{\"started_at\":1763805600}]}]}"
		d "{\"metadata\":{\"invocation_id\":\"inv3\",\"generated_at\":\"2026-13-22T10:05:00Z\"},\"results\":[]}"
		d "{\"metadata\":{\"invocation_id\":\"inv3\",\"invocation_started_at\":\"\"},\"results\":[],\"elapsed_time\":5}"
		d "{\"metadata\":{\"generated_at\":\"2026-11-22T10:05:00Z\"},\"results\":[]}"
		d "{\"metadata\":[],\"results\":[]}"
		d "{$meta2,\"results\":{}}"
		d "{$meta2,\"results\":[{\"status\":\"error\",\"message\":\"could not connect to postgres://dbt:s3cret@db/x\"}]}"
		d "{$meta2,\"results\":[{\"status\":\"success\",\"adapter_response\":{\"token\":\"x\"}}]}"
		d "{$meta2,\"results\":[{\"status\":\"success\",\"compiled_code\":\"select 'a=b', 'https://h/x'\"}],\"args\":{\"vars\":\"password=x\"}}"
		d "{$meta2,\"results\":[{\"status\":\"success\",\"message\":\"\\u00e9\"}]}"
	} > "$f"
	both "$f"
	assert_eq "$fast_status" 65
	[ "$(wc -l < "$BATS_TEST_TMPDIR/fast.out")" -gt 50 ]
	both --client globex --pipeline other "$f"
}

@test "dbt_cloud: the reference and fixture runs, a synthetic feed and tricky runs give the same bytes on both paths" {
	f=$BATS_TEST_TMPDIR/in
	{
		jq -c '(if type == "object" and has("data") then .data else . end)
		       | (if type == "array" then .[] else . end)
		       | {type: "raw", source: "dbt_cloud", client: "acme", record: .}' \
			"$REFERENCE"/dbt_cloud_*.json "$FIXTURES"/dbt_cloud/*.json
		chm-synth --seed 14 --runs 3000 --format raw | grep '"source":"dbt_cloud"'
		c() { src_line dbt_cloud "$1"; }
		c '{"id":1,"job_definition_id":43167,"status":10,"started_at":"2026-11-22 10:00:00.5+00:00","finished_at":"2026-11-22 10:03:00+00:00","duration":"00:03:00"}'
		c '{"id":"2","job_id":"37119","status":"Succeeded","started_at":1763805600,"finished_at":1763805780.5,"duration":180}'
		c '{"id":3,"job_definition_id":null,"job_id":5,"status":20,"status_message":"Database Error\n  relation \"x\" does not exist","duration":"25:00:00"}'
		c '{"id":4,"status":30,"duration":"1:61:00"}'
		c '{"id":5,"status":1,"duration":"12.5"}'
		c '{"id":6,"status":2,"duration":""}'
		c '{"id":7,"status":3,"duration":true}'
		c '{"id":8,"status":99,"duration":null}'
		c '{"id":9,"status":"weird"}'
		c '{"id":10,"status":10.0}'
		c '{"id":11}'
		c '{"id":"","status":10}'
		c '{"id":12,"status":10,"started_at":"2026-11-22T10:00:00"}'
		c '{"id":13,"status":10,"started_at":99999999999999999}'
		c '{"id":14,"status":10,"started_at":true}'
		c '{"id":15,"status":20,"status_message":"could not connect: postgres://dbt:s3cret@db/x"}'
		c '{"id":16,"status":10,"trigger":{"cause":"API","git_token":"x"}}'
		c '{"id":17,"status":10,"href":"https://cloud.getdbt.com/#/accounts/1/runs/17/?a=b"}'
		c '{"id":18,"status":"\u0053uccess"}'
		c '{"id":19,"status":10,"data":[]}'
		c '{"id":20,"status":10,"duration":-5}'
	} > "$f"
	both "$f"
	assert_eq "$fast_status" 65
	[ "$(wc -l < "$BATS_TEST_TMPDIR/fast.out")" -gt 20 ]
	both --client globex --pipeline other "$f"
}

@test "vendor: fixture pages, a synthetic feed and tricky records under several mappings give the same bytes on both paths" {
	f=$BATS_TEST_TMPDIR/in
	deep=$BATS_TEST_TMPDIR/deep.json
	cat > "$deep" <<'MAP'
{"name": "deep", "items": "page.items",
 "fields": {"run_id": "meta.ids.0", "status": "s.code", "started_at": "t.0.at", "finished_at": "a.b.c.d.e.f.g",
            "duration": "d", "rows": "steps.1.rows", "error": "err.0.msg", "external_id": "job.0"},
 "statuses": {"1": "running", "2": "success", "3": "failed"}, "time_unit": "s"}
MAP
	{
		for m in rat dq; do
			for p in "$FIXTURES"/vendor/${m}_*.json; do
				jq -c --arg m "$m" '(.data // .jobs)[] | {type: "raw", source: "vendor", mapping: $m, client: "acme", record: .}' "$p"
			done
		done
		chm-synth --seed 15 --runs 3000 --format raw | grep '"source":"vendor"'
		v() { printf '{"type":"raw","source":"vendor","mapping":"%s","client":"acme","record":%s}\n' "$1" "$2"; }
		v rat '{"id":"r1","pipeline":"p","status":"success","started_at":1785718502741,"ended_at":1785719844499,"duration_ms":1341758,"rows_written":2720,"error":null}'
		v rat '{"id":7,"pipeline":8,"status":"failed","started_at":"2026-11-22T10:00:00Z","ended_at":"2026-11-22 10:00:01.5+01:00","duration_ms":"12.5","rows_written":"30","error":{"message":"boom \"x\"\nline"}}'
		v rat '{"id":"r3","status":"cancelled","duration_ms":-1,"rows_written":2.0,"error":{"message":""}}'
		v rat '{"id":"r4","status":"weird","rows_written":2.5}'
		v rat '{"id":"r5","status":3,"duration_ms":true}'
		v rat '{"id":"r6","status":1.5}'
		v rat '{"id":"","status":"success"}'
		v rat '{"status":"success"}'
		v rat '{"id":"r7","status":"success","started_at":"2026-11-22T10:00:00"}'
		v rat '{"id":"r8","status":"success","started_at":[1]}'
		v rat '{"id":"r9","status":"success","rows_written":"x"}'
		v rat '{"id":"r10","status":"success","data":[{"id":"in-page","status":"success"}]}'
		v rat '{"id":"r11","status":"success","data":{"id":"x"}}'
		v rat '{"id":"r12","status":"failed","error":{"message":"GET https://svc:pa55@api/x failed"}}'
		v rat '{"id":"r13","status":"success","apiKey":"k"}'
		v rat '{"id":"r14","status":"success","note":"\u00e9"}'
		v nosuch '{"id":"r15","status":"success"}'
		v dq '{"job_id":5003,"suite":"s","state":"failed","started":"2026-11-22T01:00:00Z","failure":{"reason":"expected 0 nulls, got 3"}}'
		v dq '{"job_id":5004,"suite":"s","state":"completed","failure":"flat","records_checked":null}'
		v deep '{"meta":{"ids":["d1","d2"]},"s":{"code":2},"t":[{"at":1763805600}],"a":{"b":{"c":{"d":{"e":{"f":{"g":1763805700}}}}}},"d":5,"steps":[{"rows":1},{"rows":9}],"err":[{"msg":"m"}],"job":["j"]}'
		v deep '{"meta":{"ids":[]},"s":{"code":2}}'
		v deep '{"meta":{"ids":[7]},"s":{"code":"3"},"steps":[{"rows":1}],"err":{"0":{"msg":"obj"}},"job":{"0":"j"}}'
		v deep '{"meta":{"ids":["d3"]},"s":{"code":1},"page":{"items":[]}}'
		printf '%s\n' '{"type":"raw","source":"vendor","client":"acme","record":{"id":"r16","status":"success"}}'
	} > "$f"
	both --mapping "$CHM_ROOT/pipelines/vendors/rat.json" --mapping "$CHM_ROOT/pipelines/vendors/dq.json" --mapping "$deep" "$f"
	assert_eq "$fast_status" 65
	both --mapping "$CHM_ROOT/pipelines/vendors/rat.json" "$f" # the synthetic records name no mapping
	[ "$(wc -l < "$BATS_TEST_TMPDIR/fast.out")" -gt 20 ]
	both --client globex --pipeline other --mapping "$CHM_ROOT/pipelines/vendors/rat.json" --mapping "$deep" "$f"
}
