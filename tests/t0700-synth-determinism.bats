#!/usr/bin/env bats
# chm-synth: the same options give the same bytes, another seed another
# history; the raw records are in the partners' own formats; memory stays
# flat however many runs it writes.

load helper

END=2026-11-22T00:00:00Z

synth() {
	chm-synth --end "$END" "$@"
}

@test "same seed, same bytes; another seed, another history (both formats)" {
	for fmt in raw canonical; do
		synth --seed 42 --pipelines 30 --days 5 --format $fmt --inventory >"$BATS_TEST_TMPDIR/a"
		synth --seed 42 --pipelines 30 --days 5 --format $fmt --inventory >"$BATS_TEST_TMPDIR/b"
		synth --seed 43 --pipelines 30 --days 5 --format $fmt --inventory >"$BATS_TEST_TMPDIR/c"
		[ -s "$BATS_TEST_TMPDIR/a" ]
		cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
		! cmp -s "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/c"
	done
}

@test "every line is a JSON object with a type; --runs N makes about N runs, on every pipeline" {
	run --separate-stderr chm-synth --end "$END" --pipelines 12 --days 3 --format canonical --runs 250
	[ "$status" -eq 0 ]
	# about N (within 10%), no longer a cap that leaves the last pipelines without runs
	[ "${#lines[@]}" -ge 225 ] && [ "${#lines[@]}" -le 275 ]
	printf '%s\n' "$output" | jq -e -s 'all(.[]; .type == "run")'
	assert_eq "$(printf '%s\n' "$output" | jq -r .external_id | sort -u | wc -l)" 12
	# more runs than the schedules make: the defaults (12 pipelines, 30 days) made 6.8k whatever was asked
	for n in 1000 20000 200000; do
		got=$(synth --runs $n --format canonical | wc -l)
		echo "# --runs $n: $got" >&3
		[ $((got * 10)) -ge $((n * 9)) ] && [ $((got * 10)) -le $((n * 11)) ]
	done
	# the same bytes for the same options, --runs too
	assert_eq "$(synth --seed 4 --runs 5000 | md5sum)" "$(synth --seed 4 --runs 5000 | md5sum)"
	# more than one run a minute per pipeline is a usage error saying what to change
	run --separate-stderr chm-synth --end "$END" --pipelines 2 --days 1 --runs 100000
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--runs: 2 pipelines over 1 days make at most about"*"give more --pipelines or --days"* ]]
}

@test "--inventory: clients, pipelines on every platform and type, alert rules, names unique" {
	synth --pipelines 42 --clients 5 --days 1 --inventory --format canonical |
		jq -c 'select(.type != "run")' >"$BATS_TEST_TMPDIR/inv"
	assert_eq "$(jq -r 'select(.type == "client") | .name' "$BATS_TEST_TMPDIR/inv" | sort -u | wc -l)" 5
	assert_eq "$(jq -r 'select(.type == "pipeline") | .client + "/" + .name' "$BATS_TEST_TMPDIR/inv" | sort -u | wc -l)" 42
	assert_eq "$(jq -r 'select(.type == "pipeline") | .platform' "$BATS_TEST_TMPDIR/inv" | sort -u | tr '\n' ' ')" \
		"airflow cron custom dbt vendor_api "
	assert_eq "$(jq -r 'select(.type == "pipeline") | .pipeline_type' "$BATS_TEST_TMPDIR/inv" | sort -u | tr '\n' ' ')" \
		"export healthcheck ingestion quality transform "
	assert_eq "$(jq -r 'select(.type == "pipeline") | .platform + " " + .pipeline_type' "$BATS_TEST_TMPDIR/inv" | sort -u | wc -l)" 25
	[ "$(jq -r 'select(.type == "alert_rule") | .rule_type' "$BATS_TEST_TMPDIR/inv" | sort -u | wc -l)" -eq 2 ]
}

@test "raw mode: each source in its partner's format" {
	synth --seed 3 --pipelines 12 --days 4 >"$BATS_TEST_TMPDIR/raw"
	f="$BATS_TEST_TMPDIR/raw"
	assert_eq "$(jq -r .source "$f" | sort -u | tr '\n' ' ')" \
		"airflow cron dbt_artifact dbt_cloud openlineage vendor "
	# envelope fields
	jq -e -s 'all(.[]; .type == "raw" and (.client|type) == "string" and (.external_id|type) == "string"
		and (.fetched_at|test("Z$")) and (.record|type) == "object")' "$f"
	# Airflow REST v1 DAGRun: scheduled run ids, +00:00 times
	jq -e -s '[.[] | select(.source == "airflow") | .record] | length > 0 and all(.[];
		(.dag_run_id|startswith("scheduled__")) and (.start_date|test("^\\d{4}-\\d\\d-\\d\\dT.*\\+00:00$"))
		and .run_type == "scheduled" and has("logical_date") and has("execution_date") and has("conf")
		and (.state|IN("running","success","failed","upstream_failed")))' "$f"
	# dbt Cloud v2 run: numeric status, space separator, HH:MM:SS duration
	jq -e -s '[.[] | select(.source == "dbt_cloud") | .record] | length > 0 and all(.[];
		(.id|type) == "number" and (.job_definition_id|type) == "number" and (.status|IN(3,10,20,30,99))
		and (.started_at|test("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00$"))
		and (.duration|test("^\\d\\d:\\d\\d:\\d\\d$")))' "$f"
	# dbt-core run_results.json: one object per invocation
	jq -e -s '[.[] | select(.source == "dbt_artifact") | .record] | length > 0 and all(.[];
		(.metadata.invocation_id|test("^[0-9a-f-]{36}$")) and (.results|length) == 3
		and (.metadata.dbt_schema_version|endswith("v6.json")))' "$f"
	# OpenLineage: START, then COMPLETE or FAIL with the same runId
	jq -e -s '[.[] | select(.source == "openlineage") | .record] | length > 0 and
		(group_by(.run.runId) | all(.[]; .[0].eventType == "START" and
			(length == 1 or (length == 2 and (.[1].eventType|IN("COMPLETE","FAIL")))))) and
		all(.[] | select(.eventType == "FAIL"); .run.facets.errorMessage.message|type == "string")' "$f"
	# RAT-style vendor runs, as pipelines/vendors/rat.json reads them: epoch ms
	jq -e -s '[.[] | select(.source == "vendor") | .record] | length > 0 and all(.[];
		(.status|IN("pending","running","success","failed","cancelled","paused")) and has("duration_ms")
		and has("rows_written") and has("error") and (.started_at|type) == "number" and has("ended_at")
		and (.error == null or (.error.message|type) == "string"))' "$f"
	# cron wrapper events
	jq -e -s '[.[] | select(.source == "cron") | .record] | length > 0 and all(.[];
		(.event|IN("start","end")) and (.pipeline|test("^[a-z_0-9]+/")) and has("exit_status")
		and (.run_id|test("@etl-[0-9]:")))' "$f"
}

@test "raw mode: unknown partner statuses and Airflow retries under one run id appear" {
	synth --seed 5 --pipelines 36 --days 20 >"$BATS_TEST_TMPDIR/raw"
	f="$BATS_TEST_TMPDIR/raw"
	[ "$(jq -r 'select(.source == "airflow") | .record.state' "$f" | grep -c upstream_failed)" -gt 0 ]
	[ "$(jq -r 'select(.source == "dbt_cloud") | .record.status' "$f" | grep -cx 99)" -gt 0 ]
	# a cleared DAG run: the same dag_run_id twice, the second starting later
	jq -e -s '[.[] | select(.source == "airflow") | .record] | group_by(.dag_id + " " + .dag_run_id)
		| map(select(length > 1)) | length > 0 and all(.[]; .[1].start_date > .[0].start_date)' "$f"
}

@test "memory stays flat: 200k runs use no more than 1.2x the memory of 10k" {
	/usr/bin/time -v -o "$BATS_TEST_TMPDIR/small" chm-synth --end "$END" --pipelines 500 --days 365 --runs 10000 >/dev/null
	/usr/bin/time -v -o "$BATS_TEST_TMPDIR/large" chm-synth --end "$END" --pipelines 500 --days 365 --runs 200000 >/dev/null
	small=$(awk -F': ' '/Maximum resident/ {print $2}' "$BATS_TEST_TMPDIR/small")
	large=$(awk -F': ' '/Maximum resident/ {print $2}' "$BATS_TEST_TMPDIR/large")
	echo "max RSS: 10k runs ${small} KB, 200k runs ${large} KB" >&3
	[ "$small" -gt 0 ]
	[ $((large * 10)) -le $((small * 12)) ]
}

@test "usage errors exit 64; --help and --version exit 0" {
	run --separate-stderr chm-synth --format xml
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--format"* ]]
	run --separate-stderr chm-synth --pipelines 0
	[ "$status" -eq 64 ]
	run --separate-stderr chm-synth --end yesterday-ish
	[ "$status" -eq 64 ]
	run --separate-stderr chm-synth --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run --separate-stderr chm-synth --version
	[ "$status" -eq 0 ]
}
