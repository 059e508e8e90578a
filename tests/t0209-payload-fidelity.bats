#!/usr/bin/env bats
# Real partner payloads kept exactly (fixtures/reference, PROVENANCE.md there):
# numbers as the partner wrote them, integers beyond 64 bits, OpenLineage
# child runs whose later events lack the parent facet, two terminal events of
# one run replayed without a write, and a failed dbt Cloud run's failing step.

load helper

setup() {
	fresh_db
	load_inventory
}

# the numbers of a member, as the bytes of a file spell them
raw_numbers() {
	grep -o "\"$1\": *-\?[0-9][0-9.eE+-]*" "$2" | sed 's/.*: *//' | sort
}

@test "dbt run_results v4: every execution_time and elapsed_time stored as dbt wrote it" {
	f=$REFERENCE/dbt_core_run_results_v4.json
	runsh "chm-normalize --source dbt_artifact --client acme --pipeline jaffle_shop '$f' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT jsonb_path_query(payload, '\$.results[*].execution_time')::text FROM runs" | sort)" \
		"$(raw_numbers execution_time "$f")"
	assert_eq "$(q "SELECT payload->>'elapsed_time' FROM runs")" "$(raw_numbers elapsed_time "$f")"
	# 0.18144583702087402 stays that, not 0.18144583702087402 re-rounded to 17 digits elsewhere
	[ "$(raw_numbers elapsed_time "$f")" = 0.18144583702087402 ]
}

@test "a canonical line jansson must read (an escape) keeps its payload's numbers too" {
	printf '%s\n' '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"p1","status":"failed","error_message":"line 1\nline 2","payload":{"x":0.1,"elapsed_time":68.85849285125732,"n":[1e-7,-0.0]}}' >"$BATS_TEST_TMPDIR/in"
	run chm-load "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	# exact decimal values: jsonb spells 1e-7 as 0.0000001, never 9.9999999999999995e-08
	assert_eq "$(q "SELECT payload::text FROM runs")" '{"n": [0.0000001, 0.0], "x": 0.1, "elapsed_time": 68.85849285125732}'
}

@test "an integer beyond 64 bits in an OpenLineage facet: the run is kept with it, in chm-normalize and chm-load" {
	big=1180591620717411303424   # 2^70
	jq -c '.run.facets.custom_stats = {"_producer": "x", "_schemaURL": "x", "bytes": 7}' \
		"$REFERENCE/openlineage_spec_example_full_event.json" | sed "s/\"bytes\":7/\"bytes\":$big/" >"$BATS_TEST_TMPDIR/ev"
	run --separate-stderr chm-normalize --source openlineage --client globex "$BATS_TEST_TMPDIR/ev"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"bytes\":$big"* ]]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/run"
	run chm-load "$BATS_TEST_TMPDIR/run"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 1
	assert_eq "$(q "SELECT payload->'run'->'facets'->'custom_stats'->>'bytes' FROM runs")" "$big"
	# a field CHM reads must still fit its column
	printf '%s\n' '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"b","status":"success","rows_processed":99999999999999999999999}' |
		chm-load --rejects "$BATS_TEST_TMPDIR/rej" >/dev/null || true
	assert_eq "$(jq -r .field "$BATS_TEST_TMPDIR/rej")" rows_processed
}

# child EVENT-TYPE [parent]: the spec's example event as a child run of an
# Airflow task (the spec's own parent facet), with or without that facet
child() {
	jq -c --arg t "$1" --argjson withparent "${2:-false}" --slurpfile p "$REFERENCE/openlineage_spec_parent_run_facet_airflow.json" \
		'.eventType = $t | if $withparent then .run.facets.parent = $p[0].parent else del(.run.facets.parent) end' \
		"$REFERENCE/openlineage_spec_example_full_event.json"
}

@test "OpenLineage: a child run stays a child when its COMPLETE lacks the parent facet, in one stream and across two" {
	child START true >"$BATS_TEST_TMPDIR/start"
	child COMPLETE >"$BATS_TEST_TMPDIR/complete"
	# one stream: the START's parent facet makes the run a child for its COMPLETE too
	runsh "cat '$BATS_TEST_TMPDIR/start' '$BATS_TEST_TMPDIR/complete' | chm-normalize --summary --source openlineage --client globex 2>'$BATS_TEST_TMPDIR/err' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT count(*) FROM runs")" 0
	grep -q '2 child run' "$BATS_TEST_TMPDIR/err"
	# with --pipeline the COMPLETE used to become a "success" run of that pipeline
	runsh "cat '$BATS_TEST_TMPDIR/start' '$BATS_TEST_TMPDIR/complete' | chm-normalize --source openlineage --client globex --pipeline food_delivery_dbt | chm-load"
	assert_eq "$(q "SELECT count(*) FROM runs")" 0
	# two invocations: the children file carries what the first saw
	runsh "chm-normalize --source openlineage --client globex --children-file '$BATS_TEST_TMPDIR/children.json' '$BATS_TEST_TMPDIR/start' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(stat -c %a "$BATS_TEST_TMPDIR/children.json")" 600
	runsh "chm-normalize --source openlineage --client globex --children-file '$BATS_TEST_TMPDIR/children.json' '$BATS_TEST_TMPDIR/complete' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT count(*) FROM runs")" 0
	# without it, the second batch alone cannot know: the COMPLETE is a run of the job
	runsh "chm-normalize --source openlineage --client globex '$BATS_TEST_TMPDIR/complete' | chm-load"
	assert_eq "$(q "SELECT count(*) FROM runs")" 1
	# --include-children keeps children as runs of their own jobs
	fresh_db inc
	load_inventory
	runsh "cat '$BATS_TEST_TMPDIR/start' '$BATS_TEST_TMPDIR/complete' | chm-normalize --include-children --source openlineage --client globex | chm-load"
	assert_eq "$(q "SELECT status FROM runs")" success
}

@test "memory for child runs is bounded: the oldest generation goes" {
	# 250,000 child STARTs, more than the 200,000 remembered: the file holds at most that
	for i in $(seq 1 250000); do
		printf '{"eventType":"START","eventTime":"2026-11-20T00:00:00Z","run":{"runId":"c%d","facets":{"parent":{"run":{"runId":"p"},"job":{"namespace":"n","name":"parent"}}}},"job":{"namespace":"n","name":"child"},"producer":"x","schemaURL":"x"}\n' "$i"
	done >"$BATS_TEST_TMPDIR/many"
	run --separate-stderr chm-normalize --source openlineage --client globex --children-file "$BATS_TEST_TMPDIR/c.json" "$BATS_TEST_TMPDIR/many"
	[ "$status" -eq 0 ]
	n=$(jq '.openlineage_children | length' "$BATS_TEST_TMPDIR/c.json")
	[ "$n" -le 200000 ] && [ "$n" -ge 100000 ]
	# the most recent are remembered
	jq -e '.openlineage_children | map(select(endswith("childc250000"))) | length == 1' "$BATS_TEST_TMPDIR/c.json" >/dev/null
	jq -e '.openlineage_children | map(select(endswith("childc1"))) | length == 0' "$BATS_TEST_TMPDIR/c.json" >/dev/null
}

@test "two COMPLETE events of one run with different facets: the same row whatever their order, and replays write nothing" {
	full=$(jq -c . "$REFERENCE/openlineage_spec_example_full_event.json")
	small=$(jq -c 'del(.inputs, .outputs) | .job.facets = {}' "$REFERENCE/openlineage_spec_example_full_event.json")
	printf '%s\n%s\n' "$full" "$small" >"$BATS_TEST_TMPDIR/ab"
	printf '%s\n%s\n' "$small" "$full" >"$BATS_TEST_TMPDIR/ba"
	runsh "chm-normalize --source openlineage --client globex '$BATS_TEST_TMPDIR/ab' | chm-load"
	[ "$status" -eq 0 ]
	first=$(q "SELECT md5(payload::text) FROM runs")
	before=$(runs_versions)
	for i in 1 2 3; do
		runsh "chm-normalize --source openlineage --client globex '$BATS_TEST_TMPDIR/ab' | chm-load"
		assert_eq "$(summary_field updated)" 0
		runsh "chm-normalize --source openlineage --client globex '$BATS_TEST_TMPDIR/ba' | chm-load --batch-size 1"
		assert_eq "$(summary_field updated)" 0
	done
	assert_eq "$(runs_versions)" "$before"
	# the other order into an empty database ends the same
	fresh_db ba
	load_inventory
	runsh "chm-normalize --source openlineage --client globex '$BATS_TEST_TMPDIR/ba' | chm-load"
	assert_eq "$(q "SELECT md5(payload::text) FROM runs")" "$first"
}

@test "dbt Cloud: a failed run with a null status_message takes the failing step's name and the end of its log" {
	runsh "chm-normalize --source dbt_cloud --client acme '$FIXTURES/dbt_cloud/run_failed_run_steps.json' | chm-load"
	[ "$status" -eq 0 ]
	msg=$(q "SELECT error_message FROM runs")
	[[ "$msg" == 'step "Invoke dbt with `dbt run`" failed: '* ]]
	[[ "$msg" == *'relation "raw.source_data" does not exist'* ]]
	assert_eq "$(q "SELECT status FROM runs")" failed
	# the same on the fast path and the general one
	assert_eq "$(chm-normalize --source dbt_cloud --client acme "$FIXTURES/dbt_cloud/run_failed_run_steps.json" | jq -r .error_message)" "$msg"
}

@test "durations land as the very doubles the events gave, new runs and updated ones alike" {
	# chm-load writes a duration as plain decimal microseconds when that reads
	# back exact (chm_double_text), else as %.17g: both must be the same double
	durs='0.1 293.324736 0.000001 1e-7 123456789.123456 8999999999.999998 3.14159265358979 0 61 1e300 0.30000000000000004'
	: >"$BATS_TEST_TMPDIR/new"
	: >"$BATS_TEST_TMPDIR/upd"
	i=0
	for d in $durs; do
		i=$((i + 1))
		printf '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"d%s","status":"success","started_at":"2026-11-20T10:00:00Z","duration_seconds":%s}\n' "$i" "$d" >>"$BATS_TEST_TMPDIR/new"
		# the same runs' first event, running, then its end: staged and upserted
		printf '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"u%s","status":"running","started_at":"2026-11-20T10:00:00Z"}\n' "$i" >>"$BATS_TEST_TMPDIR/upd"
		printf '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"u%s","status":"success","started_at":"2026-11-20T10:00:00Z","duration_seconds":%s}\n' "$i" "$d" >>"$BATS_TEST_TMPDIR/upd2"
	done
	run chm-load "$BATS_TEST_TMPDIR/new"
	[ "$status" -eq 0 ]
	run chm-load "$BATS_TEST_TMPDIR/upd"
	[ "$status" -eq 0 ]
	run chm-load "$BATS_TEST_TMPDIR/upd2"
	[ "$status" -eq 0 ]
	# PostgreSQL compares the stored doubles with the literals' own
	for kind in d u; do
		i=0
		for d in $durs; do
			i=$((i + 1))
			assert_eq "$(q "SELECT duration_seconds = '$d'::double precision FROM runs WHERE external_run_id = '$kind$i'")" t
		done
	done
}

@test "texts, payloads, times and counts land byte for byte, new runs and updated ones alike" {
	# an updated run's events are staged in binary COPY (lib/core/copybin.c),
	# a new run's go straight into runs as COPY text: both must store the
	# event's own bytes, escapes and times before 2000 included
	ev() { # id status error reason payload started finished rows (jq would round 2^63 - 1)
		jq -cn --arg id "$1" --arg st "$2" --arg em "$3" --arg sr "$4" --argjson p "$5" \
			--arg s "$6" --arg f "$7" \
			'{type: "run", client: "acme", platform: "airflow", external_id: "orders_daily",
			  external_run_id: $id, status: $st, error_message: $em, status_reason: $sr,
			  payload: $p, started_at: $s, finished_at: $f, rows_processed: "ROWS"}' |
			sed "s/\"ROWS\"/$8/"
	}
	texts=('tab	inside' 'two
lines' 'carriage'$'\r''return' 'back\slash' 'a backslash then t: \t' 'ends in \' 'naïve ✓ ünïcödé' '\\\\')
	: >"$BATS_TEST_TMPDIR/new"
	: >"$BATS_TEST_TMPDIR/upd"
	: >"$BATS_TEST_TMPDIR/upd2"
	i=0
	for t in "${texts[@]}"; do
		i=$((i + 1))
		p=$(jq -cn --arg t "$t" '{note: $t, n: [1, 2.5], "k\tey": {"x": $t}}')
		ev "n$i" failed "$t" "why: $t" "$p" 1999-12-31T23:59:59.999999Z 2000-01-01T00:00:00.000001Z 9223372036854775807 >>"$BATS_TEST_TMPDIR/new"
		ev "u$i" running "" "" null 2099-12-31T23:59:59.5Z "" null | jq -c 'del(.error_message, .status_reason, .payload, .finished_at, .rows_processed)' >>"$BATS_TEST_TMPDIR/upd"
		ev "u$i" failed "$t" "why: $t" "$p" 2099-12-31T23:59:59.5Z 2100-01-01T00:00:00.000001Z "$i" >>"$BATS_TEST_TMPDIR/upd2"
	done
	for f in new upd upd2; do
		run chm-load "$BATS_TEST_TMPDIR/$f"
		[ "$status" -eq 0 ]
	done
	assert_eq "$(summary_field updated)" "${#texts[@]}"
	want="[$(cat "$BATS_TEST_TMPDIR/new" "$BATS_TEST_TMPDIR/upd2" | paste -sd,)]"
	# every field compared in PostgreSQL with the event's own value
	assert_eq "$(q "SELECT count(*) FROM runs r, jsonb_array_elements(\$j\$$want\$j\$::jsonb) e
	                WHERE r.external_run_id = e->>'external_run_id' AND r.status::text = e->>'status'
	                  AND r.error_message = e->>'error_message' AND r.status_reason = e->>'status_reason'
	                  AND r.payload = e->'payload'
	                  AND r.started_at = (e->>'started_at')::timestamptz
	                  AND r.finished_at = (e->>'finished_at')::timestamptz
	                  AND r.rows_processed = (e->>'rows_processed')::bigint")" $((2 * ${#texts[@]}))
	# and the bytes themselves, one of them spelled out
	assert_eq "$(q "SELECT encode(convert_to(error_message, 'UTF8'), 'hex') FROM runs WHERE external_run_id = 'u5'")" \
		"$(printf '%s' 'a backslash then t: \t' | od -An -tx1 | tr -d ' \n')"
}
