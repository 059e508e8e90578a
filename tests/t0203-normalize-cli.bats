#!/usr/bin/env bats
# chm-normalize on its own: bytes on stdout, rejects, exit status. Per source
# and for the rules every source shares.

load helper

norm() { run --separate-stderr chm-normalize "$@"; }

@test "--help, --version, a bad --source and a bad mapping file" {
	norm --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	norm --version
	[[ "$output" == "chm-normalize "* ]]
	norm --source nosuch /dev/null
	[ "$status" -eq 64 ]
	[[ "$stderr" == *'unknown source "nosuch"'* ]]
	echo '{"name":"x","fields":{"run_id":"id"}}' > "$BATS_TEST_TMPDIR/m.json"
	norm --source vendor --mapping "$BATS_TEST_TMPDIR/m.json" /dev/null
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"fields.run_id and fields.status are required"* ]]
}

@test "airflow bare record: the exact canonical line" {
	echo '{"dag_id":"d1","dag_run_id":"r1","state":"failed","start_date":"2026-11-21T00:00:05.123456+00:00","end_date":"2026-11-21T00:07:00Z","conf":{}}' > "$BATS_TEST_TMPDIR/in"
	norm --source airflow --client acme "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$output" '{"type":"run","client":"acme","platform":"airflow","external_id":"d1","external_run_id":"r1","status":"failed","started_at":"2026-11-21T00:00:05.123456Z","finished_at":"2026-11-21T00:07:00.000000Z","duration_seconds":414.876544,"rows_processed":null,"error_message":null,"status_reason":null,"payload":{"dag_id":"d1","dag_run_id":"r1","state":"failed","start_date":"2026-11-21T00:00:05.123456+00:00","end_date":"2026-11-21T00:07:00Z","conf":{}}}'
}

@test "raw envelope: pipeline by name when the envelope names one, else by external_id" {
	printf '%s\n' \
	  '{"type":"raw","source":"airflow","client":"acme","pipeline":"orders_daily","external_id":"orders_daily","fetched_at":"2026-11-22T10:00:00Z","record":{"dag_id":"x","dag_run_id":"r1","state":"success"}}' \
	  '{"type":"raw","source":"airflow","client":"acme","external_id":"orders_daily","record":{"dag_id":"x","dag_run_id":"r2","state":"running"}}' \
	  '{"type":"raw","source":"airflow","client":"acme","record":{"dag_id":"x","dag_run_id":"r3","state":"queued"}}' > "$BATS_TEST_TMPDIR/in"
	norm "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -c '[.pipeline, .external_id, .platform]' | paste -sd' ')" \
		'["orders_daily",null,"airflow"] [null,"orders_daily","airflow"] [null,"x","airflow"]'
}

@test "a page, a single object and NDJSON of bare records give the same runs" {
	f=$FIXTURES/airflow/dag_runs_v1_page.json
	norm --source airflow --client acme "$f"
	page=$output
	jq -c '.dag_runs[]' "$f" > "$BATS_TEST_TMPDIR/bare.ndjson"
	norm --source airflow --client acme "$BATS_TEST_TMPDIR/bare.ndjson"
	assert_eq "$output" "$page"
	jq '.dag_runs[1]' "$f" > "$BATS_TEST_TMPDIR/one.json"
	norm --source airflow --client acme "$BATS_TEST_TMPDIR/one.json"
	assert_eq "$output" "$(printf '%s\n' "$page" | sed -n 2p)"
	jq -c '.dag_runs' "$f" | chm-normalize --source airflow --client acme > "$BATS_TEST_TMPDIR/arr.out"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/arr.out")" "$page"
}

@test "state, unknown types and canonical runs pass through unchanged and in order" {
	printf '%s\n' \
	  '{"type":"state",  "value":{"cursor":"a b"}}' \
	  '{"type":"raw","source":"cron","client":"globex","pipeline":"nightly_export","record":{"run_id":"j1","event":"start","started_at":1795312800}}' \
	  '{"type":"heartbeat","at":1}' \
	  '{"type":"run","client":"acme","pipeline":"orders_daily","external_run_id":"x","status":"success"}' \
	  '{"type":"state","value":{"cursor":"c"}}' > "$BATS_TEST_TMPDIR/in"
	norm "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "${lines[0]}" '{"type":"state",  "value":{"cursor":"a b"}}'
	assert_eq "$(printf '%s' "${lines[1]}" | jq -r '[.type,.status,.started_at] | join(" ")')" "run running 2026-11-22T02:00:00.000000Z"
	assert_eq "${lines[2]}" '{"type":"heartbeat","at":1}'
	assert_eq "${lines[3]}" '{"type":"run","client":"acme","pipeline":"orders_daily","external_run_id":"x","status":"success"}'
	assert_eq "${lines[4]}" '{"type":"state","value":{"cursor":"c"}}'
}

@test "rejects: bad JSON, impossible date, unknown source, no client, bad canonical run; the rest goes on" {
	printf '%s\n' \
	  '{"type":"raw","source":"airflow","client":"acme","record":{"dag_id":"d","dag_run_id":"ok1","state":"success"}}' \
	  '{"type":"raw", nope' \
	  '{"type":"raw","source":"airflow","client":"acme","record":{"dag_id":"d","dag_run_id":"bad","state":"success","start_date":"2026-02-30T00:00:00Z"}}' \
	  '{"type":"raw","source":"jenkins","client":"acme","record":{}}' \
	  '{"type":"raw","source":"airflow","record":{"dag_id":"d","dag_run_id":"r","state":"success"}}' \
	  '{"type":"run","client":"acme","pipeline":"p","external_run_id":"x","status":"exploded"}' \
	  '{"type":"raw","source":"airflow","client":"acme","record":{"dag_id":"d","dag_run_id":"ok2","state":"failed"}}' > "$BATS_TEST_TMPDIR/in"
	norm --rejects "$BATS_TEST_TMPDIR/rej" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .external_run_id | paste -sd,)" "ok1,ok2"
	assert_eq "$(jq -r '[.line, .code, .field // "-"] | join(":")' "$BATS_TEST_TMPDIR/rej" | paste -sd' ')" \
		"2:invalid_json:- 3:bad_timestamp:start_date 4:unknown_source:source 5:missing_field:client 6:bad_enum:status"
	assert_eq "$(jq -r 'select(.line==3) | .input' "$BATS_TEST_TMPDIR/rej")" "$(sed -n 3p "$BATS_TEST_TMPDIR/in")"
	[[ "$(jq -r 'select(.line==3) | .message' "$BATS_TEST_TMPDIR/rej")" == *'impossible date'* ]]
}

@test "timestamps: Z, +00:00, other offsets, space separator, fractions, nanoseconds, epoch seconds and millis" {
	printf '%s\n' \
	  '{"run_id":"a","event":"end","exit_status":0,"started_at":"2026-11-22T01:02:03Z","finished_at":"2026-11-22T01:02:03.5+00:00"}' \
	  '{"run_id":"b","event":"end","exit_status":0,"started_at":"2026-11-22 03:02:03.123456789+02:00","finished_at":"2026-11-22T01:02:04.000001-00:00"}' \
	  '{"run_id":"c","event":"end","exit_status":0,"started_at":1795312800,"finished_at":1795312800250}' > "$BATS_TEST_TMPDIR/in"
	norm --source cron --client globex --pipeline nightly_export "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r '[.started_at, .finished_at, .duration_seconds] | join(" ")' | paste -sd'|')" \
		"2026-11-22T01:02:03.000000Z 2026-11-22T01:02:03.500000Z 0.5|2026-11-22T01:02:03.123456Z 2026-11-22T01:02:04.000001Z 0.876545|2026-11-22T02:00:00.000000Z 2026-11-22T02:00:00.250000Z 0.25"
	echo '{"dag_id":"d","dag_run_id":"r","state":"success","start_date":"2026-11-22T24:00:00Z"}' |
		chm-normalize --source airflow --client acme 2>"$BATS_TEST_TMPDIR/err" && false || true
	assert_eq "$(jq -r .code "$BATS_TEST_TMPDIR/err")" bad_timestamp
	echo '{"dag_id":"d","dag_run_id":"r","state":"success","start_date":"2026-11-22T00:00:00"}' |
		chm-normalize --source airflow --client acme 2>"$BATS_TEST_TMPDIR/err" && false || true
	assert_eq "$(jq -r .field "$BATS_TEST_TMPDIR/err")" start_date
}

@test "durations: from the source when given, else end - start, never negative; running has no end" {
	printf '%s\n' \
	  '{"id":1,"job_definition_id":7,"status":10,"started_at":"2026-11-22 01:00:00+00:00","finished_at":"2026-11-22 00:59:00+00:00"}' \
	  '{"id":2,"job_definition_id":7,"status":10,"started_at":"2026-11-22 01:00:00+00:00","finished_at":"2026-11-22 01:00:30+00:00","duration":"01:00:05"}' \
	  '{"id":3,"job_definition_id":7,"status":3,"started_at":"2026-11-22 02:00:00+00:00","finished_at":"2026-11-22 01:00:00+00:00","duration":"00:00:07"}' > "$BATS_TEST_TMPDIR/in"
	norm --source dbt_cloud --client acme "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -c '[.status, .finished_at, .duration_seconds]' | paste -sd' ')" \
		'["success","2026-11-22T00:59:00.000000Z",null] ["success","2026-11-22T01:00:30.000000Z",3605] ["running",null,null]'
}

@test "error_message and status_reason bounded to 2000 bytes on a UTF-8 boundary" {
	long=$(printf 'a%.0s' $(seq 1999); printf 'é%.0s' $(seq 10))
	jq -cn --arg m "$long" '{id:1,job_definition_id:7,status:20,status_message:$m}' > "$BATS_TEST_TMPDIR/in"
	jq -cn --arg m "$long" '{dag_id:"d",dag_run_id:"r",state:$m}' > "$BATS_TEST_TMPDIR/in2"
	norm --source dbt_cloud --client acme "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	msg=$(printf '%s' "$output" | jq -r .error_message)
	assert_eq "$(printf '%s' "$msg" | wc -c)" 1999
	printf '%s' "$msg" | iconv -f UTF-8 -t UTF-8 >/dev/null
	assert_eq "$(printf '%s' "$output" | jq -r '.payload.status_message | length')" 2009
	norm --source airflow --client acme "$BATS_TEST_TMPDIR/in2"
	[ "$status" -eq 0 ]
	reason=$(printf '%s' "$output" | jq -r .status_reason)
	[ "$(printf '%s' "$reason" | wc -c)" -le 2000 ]
	printf '%s' "$reason" | iconv -f UTF-8 -t UTF-8 >/dev/null
	[[ "$reason" == 'source status "aaa'* ]]
}

@test "secrets: keys in any case at any depth, credentials in URLs, also in rejects" {
	echo '{"dag_id":"d","dag_run_id":"r","state":"success","conf":{"PASSWORD":"p1","a":[{"b":{"Client_Secret":"p2","x-api-key":"p3","accessToken":"p4","private_key":"p5","credentials":{"u":"p6"}}}],"dsn":"mysql://root:p7@h/db","hook":"https://h/x?api_key=p8&ok=1","max_tokens":null,"note":"see https://example.com/a@b"}}' > "$BATS_TEST_TMPDIR/in"
	norm --source airflow --client acme "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	[[ "$output" != *p1* && "$output" != *p2* && "$output" != *p3* && "$output" != *p4* && "$output" != *p5* && "$output" != *p6* && "$output" != *p7* && "$output" != *p8* ]]
	assert_eq "$(printf '%s' "$output" | jq -c .payload.conf)" \
		'{"PASSWORD":"[redacted]","a":[{"b":{"Client_Secret":"[redacted]","x-api-key":"[redacted]","accessToken":"[redacted]","private_key":"[redacted]","credentials":"[redacted]"}}],"dsn":"mysql://[redacted]@h/db","hook":"https://h/x?api_key=[redacted]&ok=1","max_tokens":null,"note":"see https://example.com/a@b"}'
	echo '{"dag_id":"d","dag_run_id":"r","state":"success","start_date":"bad","conf":{"token":"p9"}}' > "$BATS_TEST_TMPDIR/bad"
	norm --source airflow --client acme "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 65 ]
	[[ "$stderr" != *p9* ]]
	[[ "$stderr" == *'[redacted]'* ]]
}

@test "dbt artifact: status from the results, pipeline required from flags or envelope" {
	mk() { jq -cn --argjson s "$1" '{metadata:{invocation_id:"i1",generated_at:"2026-11-22T00:00:10Z"},results:[$s[] | {status:., timing:[], adapter_response:{rows_affected:2}, message:("m-" + .)}],elapsed_time:10}'; }
	for c in '["success","pass","warn"]:success:-' '["success","runtime error","fail"]:failed:m-runtime error' \
	         '["skipped","no-op"]:skipped:-' '["success","partial success"]:failed:m-partial success' '["success","weird"]:success:-'; do
		mk "${c%%:*}" > "$BATS_TEST_TMPDIR/rr.json"
		norm --source dbt_artifact --client acme --pipeline jaffle_shop "$BATS_TEST_TMPDIR/rr.json"
		[ "$status" -eq 0 ]
		rest=${c#*:}
		assert_eq "$(printf '%s' "$output" | jq -r '[.status, (.error_message // "-")] | join(":")')" "$rest"
	done
	assert_eq "$(printf '%s' "$output" | jq -r '[.status_reason, .started_at, .rows_processed] | join(" ")')" 'source status "weird" 2026-11-22T00:00:00.000000Z 4'
	norm --source dbt_artifact --client acme "$BATS_TEST_TMPDIR/rr.json"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s' "$stderr" | jq -r .field)" pipeline
}

@test "openlineage: event types, child runs, no zone said in status_reason" {
	ev() { jq -cn --arg t "$1" --arg time "$2" '{eventType:$t,eventTime:$time,run:{runId:"r1"},job:{namespace:"ns",name:"j"}}'; }
	{ ev START 2026-11-22T00:00:00Z; ev RUNNING 2026-11-22T00:01:00Z; ev COMPLETE 2026-11-22T00:02:00Z; ev FAIL 2026-11-22T00:03:00Z; ev ABORT 2026-11-22T00:04:00; ev OTHER 2026-11-22T00:05:00Z; ev RESUME 2026-11-22T00:06:00Z; } > "$BATS_TEST_TMPDIR/in"
	norm --summary --source openlineage --client globex "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="run") | [.external_id, .status, .started_at // "-", .finished_at // "-", .status_reason // "-"] | join(" ")' | paste -sd'|')" \
		"ns/j running 2026-11-22T00:00:00.000000Z - -|ns/j running - - -|ns/j success - 2026-11-22T00:02:00.000000Z -|ns/j failed - 2026-11-22T00:03:00.000000Z -|ns/j canceled - 2026-11-22T00:04:00.000000Z timestamp without time zone read as UTC"
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="summary") | .no_run')" 2
}

@test "vendor: an envelope names its mapping; CHM_VENDOR_DIR finds mapping files" {
	printf '%s\n' \
	  '{"type":"raw","source":"vendor","mapping":"dq","client":"initech","record":{"job_id":9,"suite":"dq-ledger","state":"completed","started":"2026-11-22T00:00:00Z","completed":"2026-11-22T00:00:01Z","records_checked":5}}' \
	  '{"type":"raw","source":"vendor","mapping":"nosuch","client":"initech","record":{}}' > "$BATS_TEST_TMPDIR/in"
	CHM_VENDOR_DIR=$CHM_ROOT/pipelines/vendors run --separate-stderr chm-normalize "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s' "$output" | jq -r '[.external_id, .external_run_id, .status, .rows_processed] | join(" ")')" "dq-ledger 9 success 5"
	assert_eq "$(printf '%s' "$stderr" | jq -r .code)" unknown_mapping
}

@test "cron: records that fail to say how they ended are rejected" {
	echo '{"type":"raw","source":"cron","client":"globex","pipeline":"nightly_export","record":{"run_id":"j","event":"end"}}' > "$BATS_TEST_TMPDIR/in"
	norm "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s' "$stderr" | jq -r .field)" exit_status
}

@test "pretty-printed documents one after another; a bad item names its document's line" {
	printf '{\n "dag_id": "d",\n "dag_run_id": "x1", "state": "success"\n}\n{\n "dag_id": "d",\n "dag_run_id": "x2", "state": "failed"\n}\n  [ {"dag_id":"d","dag_run_id":"x3","state":"running"},\n 5 ]\n' > "$BATS_TEST_TMPDIR/docs.json"
	norm --source airflow --client acme "$BATS_TEST_TMPDIR/docs.json"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .external_run_id | paste -sd,)" "x1,x2,x3"
	assert_eq "$(printf '%s' "$stderr" | jq -r '[.line, .input, .message] | join("|")')" \
		"9|5|item 2 of the page: a airflow record must be a JSON object, not a scalar"
	printf '{\n "dag_id": "d",\n "dag_run_id": "x1",\n "state": "success",\n' > "$BATS_TEST_TMPDIR/cut.json"
	norm --source airflow --client acme "$BATS_TEST_TMPDIR/cut.json"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s' "$stderr" | jq -r '[.line, .code] | join(" ")')" "1 invalid_json"
}

@test "a reader that goes away stops the stream quietly" {
	for i in $(seq 1 3000); do echo "{\"dag_id\":\"d\",\"dag_run_id\":\"r$i\",\"state\":\"success\",\"pad\":\"$(printf '%0200d' 0)\"}"; done > "$BATS_TEST_TMPDIR/many"
	runsh "chm-normalize --source airflow --client acme '$BATS_TEST_TMPDIR/many' | head -n 1 | jq -r .external_run_id"
	[ "$status" -eq 0 ]
	assert_eq "$output" r1
}
