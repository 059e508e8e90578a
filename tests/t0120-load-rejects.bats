#!/usr/bin/env bats
# Bad input: each kind is a reject record with its line number, code, field
# and the original line, exactly once; every good line around it still loads.

load helper

setup() {
	fresh_db
	load_inventory
}

# good lines on odd line numbers, bad ones on even: line 2k is bad kind k
write_mixed() {
	local n=0
	while IFS= read -r bad; do
		n=$((n + 1))
		run_line "good-$n" success
		printf '%s\n' "$bad"
	done <<'BAD'
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"x1","status":"success"
{"type":"run","client":"acme","platform":"airflow","external_id":"no_such_dag","external_run_id":"x2","status":"success"}
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"x3","status":"queued"}
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"x4","status":"success","duration_seconds":-3}
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"x5","status":"success","rows_processed":-1}
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"x6","status":"success","started_at":"2026-02-30T00:00:00Z"}
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","status":"success"}
{"type":"run","client":"acme","platform":"jenkins","external_id":"orders_daily","external_run_id":"x8","status":"success"}
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"x9","status":"success","started_at":"yesterday"}
{"client":"acme"}
[1,2,3]
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"x12","external_run_id":"x12b","status":"success"}
{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"x13","status":"success","rows_processed":"many"}
{"type":"pipeline","client":"nobody","name":"p","platform":"airflow","pipeline_type":"ingestion"}
{"type":"alert_rule","client":"acme","rule_type":"failures_in_window","channel":"slack","destination":"#x"}
BAD
	run_line "good-last" failed
}

expected_rejects() {
	cat <<'EOF2'
2 invalid_json null
4 unknown_pipeline external_id
6 bad_enum status
8 out_of_range duration_seconds
10 out_of_range rows_processed
12 bad_timestamp started_at
14 missing_field external_run_id
16 bad_enum platform
18 bad_timestamp started_at
20 missing_field type
22 not_an_object null
24 duplicate_key null
26 wrong_type rows_processed
28 unknown_client client
30 missing_field threshold
EOF2
}

@test "each bad-input kind is rejected once with its line, code and field; all good lines load" {
	write_mixed >"$BATS_TEST_TMPDIR/in.ndjson"
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rejects.ndjson" "$BATS_TEST_TMPDIR/in.ndjson"
	[ "$status" -eq 65 ]
	assert_eq "$(summary_field rejected)" 15
	assert_eq "$(summary_field read)" 31
	assert_eq "$(jq -r '"\(.line) \(.code) \(.field)"' "$BATS_TEST_TMPDIR/rejects.ndjson")" "$(expected_rejects)"
	# the original line, byte for byte
	assert_eq "$(jq -r 'select(.line == 6) | .input' "$BATS_TEST_TMPDIR/rejects.ndjson")" "$(sed -n 6p "$BATS_TEST_TMPDIR/in.ndjson")"
	assert_eq "$(jq -r '.program' "$BATS_TEST_TMPDIR/rejects.ndjson" | sort -u)" chm-load
	assert_eq "$(q "SELECT count(*) FROM runs WHERE external_run_id LIKE 'good-%'")" 16
	assert_eq "$(q "SELECT count(*) FROM runs WHERE external_run_id NOT LIKE 'good-%'")" 0
	# stderr is one line a person reads: the rejects counted by code, the most first
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == "chm-load: 15 rejected: "* ]]
	codes=$(jq -r .code "$BATS_TEST_TMPDIR/rejects.ndjson" | sort | uniq -c | sort -k1,1nr -k2 | awk '{print $2 " " $1}' | paste -sd, | sed 's/,/, /g')
	for part in $(jq -r .code "$BATS_TEST_TMPDIR/rejects.ndjson" | sort | uniq -c | awk '{print $2 "_" $1}'); do
		[[ "$stderr" == *"${part%_*} ${part##*_}"* ]]
	done
	[ -n "$codes" ]
}

@test "with a batch in flight (--batch-size 1 and 2) every bad line is still one reject and every good one loads" {
	# a pipeline the resolver's cache lacks is asked of the database while
	# the batch before is pipelined: that query ended the whole load once
	write_mixed >"$BATS_TEST_TMPDIR/in.ndjson"
	for size in 1 2; do
		fresh_db
		load_inventory
		run --separate-stderr chm-load --batch-size "$size" --rejects "$BATS_TEST_TMPDIR/rejects.$size" "$BATS_TEST_TMPDIR/in.ndjson"
		[ "$status" -eq 65 ]
		assert_eq "$(summary_field rejected)" 15
		assert_eq "$(jq -r '"\(.line) \(.code) \(.field)"' "$BATS_TEST_TMPDIR/rejects.$size")" "$(expected_rejects)"
		assert_eq "$(q "SELECT count(*) FROM runs WHERE external_run_id LIKE 'good-%'")" 16
	done
}

@test "a pipeline another session creates while chm-load reads a stream is found, with a batch in flight" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	chm-load --batch-size 1 "$BATS_TEST_TMPDIR/fifo" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	loader=$!
	exec 5>"$BATS_TEST_TMPDIR/fifo"
	run_line r1 success >&5
	for _ in $(seq 1 100); do [ "$(q "SELECT count(*) FROM runs")" = 1 ] && break; sleep 0.1; done
	chm pipeline create --client acme --name late_dag --platform airflow --type ingestion --external-id late_dag >/dev/null
	# in one write: r2 goes out as a batch, then the new pipeline's run is read
	{ run_line r2 success
	  printf '%s\n' '{"type":"run","client":"acme","platform":"airflow","external_id":"late_dag","external_run_id":"l1","status":"failed"}'
	  run_line r3 success; } >"$BATS_TEST_TMPDIR/rest"
	cat "$BATS_TEST_TMPDIR/rest" >&5
	exec 5>&-
	wait "$loader"
	assert_eq "$(jq -c '[.inserted, .rejected]' "$BATS_TEST_TMPDIR/out")" "[4,0]"
	assert_eq "$(q "SELECT p.name || ' ' || r.status FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.external_run_id = 'l1'")" "late_dag failed"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "without --rejects, rejects go to stderr as reject records and stdout holds only the summary" {
	write_mixed >"$BATS_TEST_TMPDIR/in.ndjson"
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/in.ndjson"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$stderr" | jq -r .type | sort | uniq -c | awk '{print $1, $2}')" "15 reject"
	assert_eq "$(printf '%s\n' "$output" | jq -r .type)" summary
}

@test "a line with a NUL byte, invalid UTF-8, no final newline, or too deep nesting is rejected, not fatal" {
	{
		run_line a success
		printf '{"type":"run","client":"acme\0x","status":"success"}\n'
		run_line b success
		printf '{"type":"run","client":"\xff\xfe","status":"success"}\n'
		run_line c success
		python3 -c 'print("[" * 5000 + "]" * 5000)'
		printf '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"d","status":"success"}'
	} >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rj" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(jq -r '"\(.line) \(.code)"' "$BATS_TEST_TMPDIR/rj" | paste -sd,)" "2 invalid_json,4 invalid_json,6 invalid_json"
	assert_eq "$(q "SELECT string_agg(external_run_id, '' ORDER BY 1) FROM runs")" abcd
}

@test "the rejects file cannot be opened: exit 74 before anything is loaded" {
	run_line a success >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load --rejects /nonexistent/dir/rj "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 74 ]
	[[ "$stderr" == "chm-load: cannot open rejects file /nonexistent/dir/rj"* ]]
	assert_eq "$(q "SELECT count(*) FROM runs")" 0
}

@test "an input file that cannot be opened is an I/O error" {
	run --separate-stderr chm-load /nonexistent/file
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"cannot open /nonexistent/file"* ]]
}

# Runs whose naming fields disagree: each names another pipeline than the
# one its first naming field finds (pipeline_id, then client + platform +
# external_id, then client + pipeline). $1: acme/orders_daily's id.
write_contradicting() {
	local id=$1
	run_line c-good-1 success
	printf '%s\n' \
		'{"type":"run","client":"globex","pipeline":"nightly_export","pipeline_id":'"$id"',"external_run_id":"y1","status":"failed"}' \
		'{"type":"run","pipeline":"globex/nightly_export","pipeline_id":'"$id"',"external_run_id":"y2","status":"failed"}' \
		'{"type":"run","client":"acme","pipeline":"orders_daily","platform":"cron","external_run_id":"y3","status":"failed"}' \
		'{"type":"run","client":"acme","pipeline":"orders_daily","external_id":"nightly_export","external_run_id":"y4","status":"failed"}' \
		'{"type":"run","client":"globex","platform":"cron","external_id":"nightly_export","pipeline":"orders_daily","external_run_id":"y5","status":"failed"}' \
		'{"type":"run","client":"initech","pipeline":"legacy_ftp_pull","external_id":"legacy","external_run_id":"y6","status":"failed"}' \
		'{"type":"run","client":"globex","pipeline":"nightly_export","pipeline_id":'"$id"',"external_run_id":"y\u0037","status":"failed","error_message":"the general path: \"escapes\""}' \
		'{"type":"run","pipeline_id":'"$id"',"platform":"dbt","external_run_id":"y8","status":"failed"}' \
		'{"type":"run","client":"acme","pipeline":"orders_daily","platform":"airflow","external_id":"orders_daily","pipeline_id":'"$id"',"external_run_id":"c-good-2","status":"success"}' \
		'{"type":"run","client":"globex","pipeline":"nightly_export","platform":"cron","external_run_id":"c-good-3","status":"success"}'
	run_line c-good-4 failed
}

@test "a run whose naming fields name different pipelines is a conflict reject naming the field; the rest loads" {
	id=$(q "SELECT p.id FROM pipelines p JOIN clients c ON c.id = p.client_id WHERE c.name = 'acme' AND p.name = 'orders_daily'")
	write_contradicting "$id" >"$BATS_TEST_TMPDIR/in"
	# the fast read and the general one, staged and COPYed straight into runs
	for size in 5000 1 2; do
		fresh_db
		load_inventory
		run --separate-stderr chm-load --batch-size "$size" --rejects "$BATS_TEST_TMPDIR/rj.$size" "$BATS_TEST_TMPDIR/in"
		[ "$status" -eq 65 ]
		assert_eq "$(summary_field rejected)" 8
		assert_eq "$(summary_field inserted)" 4
		assert_eq "$(jq -r '"\(.line) \(.code) \(.field)"' "$BATS_TEST_TMPDIR/rj.$size" | paste -sd,)" \
			"2 conflict client,3 conflict pipeline,4 conflict platform,5 conflict external_id,6 conflict pipeline,7 conflict external_id,8 conflict client,9 conflict platform"
		assert_eq "$(jq -r 'select(.line == 2) | .message' "$BATS_TEST_TMPDIR/rj.$size")" \
			"client \"globex\" contradicts the run's pipeline_id, which names acme/orders_daily (id $id, platform airflow, external_id orders_daily): name the pipeline one way, or with fields that agree"
		assert_eq "$(jq -r 'select(.line == 3) | .message' "$BATS_TEST_TMPDIR/rj.$size" | cut -d' ' -f1-2)" 'pipeline "globex/nightly_export"'
		assert_eq "$(q "SELECT string_agg(c.name || '/' || p.name || ':' || r.external_run_id, ',' ORDER BY r.external_run_id) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id")" \
			"acme/orders_daily:c-good-1,acme/orders_daily:c-good-2,globex/nightly_export:c-good-3,acme/orders_daily:c-good-4"
	done
}

@test "inventory values the schema refuses (blank names and destinations, an empty external_id, too long) are rejected by field before PostgreSQL" {
	long=$(printf 'a%.0s' $(seq 1 201))
	longer=$(printf 'e%.0s' $(seq 1 501))
	padded=" $(printf 'b%.0s' $(seq 1 200)) "
	{
		echo '{"type":"client","name":"   "}'
		echo '{"type":"client","name":"fresh"}'
		echo '{"type":"pipeline","client":"acme","name":" ","platform":"cron","pipeline_type":"export"}'
		echo '{"type":"pipeline","client":"acme","name":"p_empty_ext","platform":"cron","pipeline_type":"export","external_id":""}'
		echo '{"type":"alert_rule","client":"acme","rule_type":"on_failure","channel":"slack","destination":"  "}'
		echo '{"type":"pipeline","client":"  ","name":"p","platform":"cron","pipeline_type":"export"}'
		echo '{"type":"client","name":"'"$long"'"}'
		echo '{"type":"pipeline","client":"acme","name":"p_long_ext","platform":"cron","pipeline_type":"export","external_id":"'"$longer"'"}'
		echo '{"type":"alert_rule","client":"acme","rule_type":"on_failure","channel":"webhook","destination":"'"$longer"'"}'
		echo '{"type":"alert_rule","client":"acme","rule_type":"on_failure","channel":"email","destination":"\t"}'
		# 200 characters between spaces: what length(btrim(name)) lets in
		echo '{"type":"client","name":"'"$padded"'"}'
		echo '{"type":"pipeline","client":"fresh","name":"p","platform":"cron","pipeline_type":"export","external_id":"e"}'
		run_line after-inventory success
	} >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rj" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(jq -r '"\(.line) \(.code) \(.field)"' "$BATS_TEST_TMPDIR/rj" | paste -sd,)" \
		"1 missing_field name,3 missing_field name,4 bad_value external_id,5 missing_field destination,6 missing_field client,7 too_long name,8 too_long external_id,9 too_long destination,10 missing_field destination"
	assert_eq "$(summary_field rejected)" 9
	assert_eq "$(summary_field inserted)" 4
	assert_eq "$(q "SELECT count(*) FROM clients WHERE name IN ('fresh', '$padded')")" 2
	assert_eq "$(q "SELECT count(*) FROM pipelines WHERE name LIKE 'p%'")" 1
	assert_eq "$(q "SELECT count(*) FROM runs WHERE external_run_id = 'after-inventory'")" 1
}

@test "a value PostgreSQL refuses that chm-load let through is a constraint_violation naming the field its constraint guards" {
	# a stricter bound than chm-load knows, under the constraint's own name
	q "ALTER TABLE pipelines DROP CONSTRAINT pipelines_external_id_check,
	   ADD CONSTRAINT pipelines_external_id_check CHECK (external_id IS NULL OR length(external_id) BETWEEN 1 AND 5) NOT VALID"
	printf '%s\n' '{"type":"pipeline","client":"acme","name":"p_ext","platform":"cron","pipeline_type":"export","external_id":"too-long-here"}' \
		'{"type":"client","name":"acme","description":"still applied"}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rj" "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 65 ]
	assert_eq "$(jq -r '"\(.line) \(.code) \(.field)"' "$BATS_TEST_TMPDIR/rj")" "1 constraint_violation external_id"
	assert_eq "$(q "SELECT description FROM clients WHERE name = 'acme'")" "still applied"
}

@test "\"pipeline\": \"client/name\" is split where a pipeline is: a client named Acme/EU; two such splits are ambiguous" {
	run --separate-stderr chm-load <<'EOF2'
{"type":"client","name":"Acme/EU"}
{"type":"pipeline","client":"Acme/EU","name":"orders","platform":"cron","pipeline_type":"ingestion"}
{"type":"client","name":"Acme"}
{"type":"pipeline","client":"Acme","name":"EU/invoices","platform":"cron","pipeline_type":"ingestion"}
{"type":"run","pipeline":"Acme/EU/orders","external_run_id":"eu-1","status":"failed"}
{"type":"run","pipeline":"Acme/EU/invoices","external_run_id":"inv-1","status":"success"}
{"type":"pipeline","client":"Acme","name":"EU/orders","platform":"cron","pipeline_type":"ingestion"}
{"type":"run","pipeline":"Acme/EU/orders","external_run_id":"eu-2","status":"failed"}
{"type":"run","client":"Acme/EU","pipeline":"orders","external_run_id":"eu-3","status":"success"}
{"type":"alert_rule","pipeline":"Acme/EU/invoices","rule_type":"on_failure","channel":"slack","destination":"#eu"}
{"type":"alert_rule","pipeline":"Acme/EU/orders","rule_type":"on_failure","channel":"slack","destination":"#eu"}
EOF2
	[ "$status" -eq 65 ]
	assert_eq "$(q "SELECT string_agg(c.name || ' ' || p.name, ', ') FROM alert_rules a JOIN pipelines p ON p.id = a.pipeline_id JOIN clients c ON c.id = p.client_id WHERE c.name LIKE 'Acme%'")" "Acme EU/invoices"
	assert_eq "$(q "SELECT string_agg(c.name || ' ' || p.name || ' ' || r.external_run_id, ', ' ORDER BY r.external_run_id) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id WHERE c.name LIKE 'Acme%'")" \
		"Acme/EU orders eu-1, Acme/EU orders eu-3, Acme EU/invoices inv-1"
	assert_eq "$(printf '%s\n' "$stderr" | jq -r 'select(.type=="reject") | [.line, .code, .field] | join(" ")' | paste -sd,)" \
		"8 ambiguous_pipeline pipeline,11 ambiguous_pipeline pipeline"
}
