#!/usr/bin/env bats
# chm run record (through the loader's transition rules), run list (bounded,
# ordered, paged) and run latest.

load helper
load cli_helper

setup() {
	fresh_db
	load_fixtures
}

status_of() { # status_of EXTERNAL_RUN_ID
	q "SELECT status FROM runs WHERE external_run_id = '$1'"
}

@test "run record without an id: a new run with a generated unique id, timed now" {
	run --separate-stderr chm run record --pipeline acme/jaffle_shop --status failed --error-message "boom"
	assert_json_ok
	assert_eq "$(jfield .result)" inserted
	assert_eq "$(jfield .status)" failed
	ext1=$(jfield .external_run_id)
	[ -n "$ext1" ]
	[ "$(jfield .started_at)" != null ]
	[ "$(jfield .finished_at)" != null ]
	run --separate-stderr chm run record --pipeline acme/jaffle_shop --status failed
	assert_json_ok
	[ "$(jfield .external_run_id)" != "$ext1" ]
	assert_eq "$(q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'jaffle_shop'")" 3
	assert_eq "$(q "SELECT error_message FROM runs WHERE external_run_id = '$ext1'")" boom
	# it is now the pipeline's latest run
	run --separate-stderr chm run latest --pipeline acme/jaffle_shop
	assert_eq "$(jfield .status)" failed
}

@test "run record follows chm-load's transition rules" {
	p=acme/jaffle_shop
	run --separate-stderr chm run record --pipeline $p --status running --external-run-id r1 --started-at 2026-11-22T08:00:00Z
	assert_eq "$(jfield .result)" inserted
	run --separate-stderr chm run record --pipeline $p --status success --external-run-id r1 --finished-at 2026-11-22T08:10:00Z --rows-processed 42
	assert_json_ok
	assert_eq "$(jfield .result)" updated
	# null never erases: the start time stays
	assert_eq "$(jfield '[.status,.started_at,.rows_processed] | map(tostring) | join(",")')" "success,2026-11-22T08:00:00.000000Z,42"
	run --separate-stderr chm run record --pipeline $p --status success --external-run-id r1
	assert_eq "$(jfield .result)" unchanged
	# a stale regression is ignored by default, refused with --regressions reject
	run --separate-stderr chm run record --pipeline $p --status failed --external-run-id r1
	assert_json_ok
	assert_eq "$(jfield .result)" ignored
	assert_eq "$(status_of r1)" success
	run --separate-stderr chm run record --pipeline $p --status failed --external-run-id r1 --regressions reject
	assert_error 65 stale_regression status
	assert_eq "$(status_of r1)" success
	# a newer attempt (later start) applies
	run --separate-stderr chm run record --pipeline $p --status failed --external-run-id r1 --started-at 2026-11-22T09:00:00Z
	assert_eq "$(jfield .result)" updated
	assert_eq "$(status_of r1)" failed
	run --separate-stderr chm run record --pipeline $p --status success --external-run-id r1 --regressions accept
	assert_eq "$(status_of r1)" success
}

@test "run record: the same event as a chm-load record gives the same row" {
	chm run record --pipeline acme/jaffle_shop --status success --external-run-id same-1 \
		--started-at 2026-11-22T08:00:00Z --finished-at 2026-11-22T08:01:00Z --duration-seconds 60 >/dev/null
	a=$(q "SELECT status, started_at, finished_at, duration_seconds FROM runs WHERE external_run_id = 'same-1'")
	writes=$(runs_writes)
	echo '{"type":"run","client":"acme","pipeline":"jaffle_shop","external_run_id":"same-1","status":"success","started_at":"2026-11-22T08:00:00Z","finished_at":"2026-11-22T08:01:00Z","duration_seconds":60}' | chm-load >/dev/null
	assert_eq "$(q "SELECT status, started_at, finished_at, duration_seconds FROM runs WHERE external_run_id = 'same-1'")" "$a"
	assert_eq "$(runs_writes)" "$writes"
}

@test "run record refuses invalid values with field-level details" {
	before=$(q "SELECT count(*) FROM runs")
	run --separate-stderr chm run record --pipeline acme/jaffle_shop --status done --started-at someday \
		--finished-at 2026-13-01T00:00:00Z --duration-seconds -1 --rows-processed 1.5 --regressions never
	assert_error 65 validation_failed status started_at finished_at duration_seconds rows_processed regressions
	run --separate-stderr chm run record --pipeline acme/jaffle_shop --status success \
		--started-at 2026-11-22T10:00:00Z --finished-at 2026-11-22T09:00:00Z
	assert_error 65 validation_failed finished_at
	run --separate-stderr chm run record --pipeline acme/jaffle_shop --status success --external-run-id ""
	assert_error 65 validation_failed external_run_id
	run --separate-stderr chm run record --pipeline acme/jaffle_shop --status success --error-message "$(head -c 2001 /dev/zero | tr '\0' x)"
	assert_error 65 validation_failed error_message
	run --separate-stderr chm run record --pipeline acme/nope --status success
	assert_error 65 not_found pipeline
	run --separate-stderr chm run record --status success
	assert_error 64 usage pipeline
	run --separate-stderr chm run record --pipeline acme/jaffle_shop
	assert_error 64 usage status
	assert_eq "$(q "SELECT count(*) FROM runs")" "$before"
}

@test "run list: a pipeline's runs newest first, rows and nothing else" {
	run --separate-stderr chm run list --pipeline acme/orders_daily
	assert_json_ok
	assert_eq "$(printf '%s\n' "$output" | jq -r .external_run_id | paste -sd,)" \
		"scheduled__2026-11-22T00:00:00+00:00,scheduled__2026-11-21T00:00:00+00:00,scheduled__2026-11-20T00:00:00+00:00,scheduled__2026-11-19T00:00:00+00:00"
	run --separate-stderr chm run list --pipeline acme/orders_daily --status failed
	assert_eq "$(jfield .started_at)" 2026-11-21T00:00:05.123456Z
	run --separate-stderr chm run list --pipeline acme/orders_daily --since 2026-11-20T00:00:00Z --until 2026-11-22T00:00:00Z
	assert_eq "${#lines[@]}" 2
	run --separate-stderr chm run list --client acme --status failed
	assert_eq "$(printf '%s\n' "$output" | jq -r .pipeline | paste -sd,)" "dbt_nightly,orders_daily"
}

@test "run list: ties and missing times order by finished_at, then id; nulls last" {
	p=$(q "SELECT id FROM pipelines WHERE name = 'nightly_export'")
	first=$(q "SELECT external_run_id FROM runs WHERE pipeline_id = $p") # the fixture's, started later
	q "INSERT INTO runs (pipeline_id, external_run_id, status, started_at, finished_at) VALUES
	   ($p, 'a', 'success', '2026-11-10T00:00:00Z', '2026-11-10T01:00:00Z'),
	   ($p, 'b', 'success', '2026-11-10T00:00:00Z', '2026-11-10T02:00:00Z'),
	   ($p, 'c', 'success', '2026-11-10T00:00:00Z', NULL),
	   ($p, 'd', 'running', NULL, NULL),
	   ($p, 'e', 'success', NULL, '2026-11-10T03:00:00Z'),
	   ($p, 'f', 'success', '2026-11-10T00:00:00Z', '2026-11-10T02:00:00Z')"
	run --separate-stderr chm run list --pipeline globex/nightly_export
	assert_json_ok
	assert_eq "$(printf '%s\n' "$output" | jq -r .external_run_id | paste -sd,)" "$first,f,b,a,c,e,d"
	# paging one at a time walks the same order
	seen=""
	before=""
	for i in 1 2 3 4 5 6 7; do
		run --separate-stderr chm run list --pipeline globex/nightly_export --limit 1 ${before:+--before "$before"}
		[ "$status" -eq 0 ]
		seen="$seen${seen:+,}$(jfield .external_run_id)"
		before=$(jfield .cursor)
	done
	assert_eq "$seen" "$first,f,b,a,c,e,d"
	run --separate-stderr chm run list --pipeline globex/nightly_export --before "$before"
	assert_eq "$status" 0
	assert_eq "$output" ""
}

@test "run list: default limit 100, at most 1000; --before pages through all, each row once" {
	p=$(q "SELECT id FROM pipelines WHERE name = 'jaffle_shop'")
	q "INSERT INTO runs (pipeline_id, external_run_id, status, started_at, finished_at)
	   SELECT $p, 'gen-' || i, 'success', timestamptz '2026-10-01' + (i % 97) * interval '1 hour',
	          CASE WHEN i % 5 = 0 THEN NULL ELSE timestamptz '2026-10-01' + (i % 97) * interval '1 hour' + i * interval '1 second' END
	   FROM generate_series(1, 249) i"
	run --separate-stderr chm run list --pipeline acme/jaffle_shop
	[ "$status" -eq 0 ]
	assert_eq "${#lines[@]}" 100
	# stdout is rows only; the way on is a note on stderr and each row's cursor
	printf '%s\n' "$output" | jq -e -s 'all(.[]; has("cursor"))' >/dev/null
	[[ "$stderr" == *"--before"* ]]
	all=""
	before=""
	pages=0
	while :; do
		run --separate-stderr chm run list --pipeline acme/jaffle_shop --limit 70 ${before:+--before "$before"}
		[ "$status" -eq 0 ]
		[ -n "$output" ] || break
		all="$all$output"$'\n'
		before=$(printf '%s\n' "$output" | tail -n 1 | jq -r .cursor)
		pages=$((pages + 1))
		[ "$pages" -lt 10 ]
	done
	assert_eq "$pages" 4
	assert_eq "$(printf '%s' "$all" | jq -r .id | sort -u | wc -l)" 250
	assert_eq "$(printf '%s' "$all" | jq -r .id | paste -sd,)" \
		"$(q "SELECT string_agg(id::text, ',' ORDER BY started_at DESC NULLS LAST, finished_at DESC NULLS LAST, id DESC) FROM runs WHERE pipeline_id = $p")"
	run --separate-stderr chm run list --pipeline acme/jaffle_shop --limit 1000
	assert_eq "${#lines[@]}" 250
	assert_eq "$stderr" ""
}

@test "run list refuses bad arguments: a usage error (64), as chm-report's flags" {
	run --separate-stderr chm run list --pipeline acme/orders_daily --limit 1001
	assert_error 64 usage limit
	run --separate-stderr chm run list --pipeline acme/orders_daily --limit 0 --status ok --since soon --before garbage
	assert_error 64 usage limit status since before
	[[ "$stderr" == *'since must be RFC 3339, a date (2026-12-01), now, today, yesterday or a time back from now'* ]]
	run --separate-stderr chm run list --pipeline acme/orders_daily --since 1d --until 2d
	assert_error 64 usage until
	run --separate-stderr chm run list
	assert_error 64 usage pipeline
	# one pipeline's runs or one client's, as run latest
	run --separate-stderr chm run list --pipeline acme/orders_daily --client globex
	assert_error 64 usage client
	run --separate-stderr chm run list --pipeline acme/nope
	assert_error 65 not_found pipeline
}

@test "run list --format table" {
	run --separate-stderr chm run list --pipeline acme/orders_daily --format table --wide
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^id\ +client\ +pipeline\ +external_run_id\ +status\ +started_at ]]
	assert_eq "${#lines[@]}" 5
	[[ "${lines[2]}" == *"failed"*"Task load_orders failed"* ]]
}

@test "run latest: a pipeline's latest run; a client's pipelines; all active" {
	run --separate-stderr chm run latest --pipeline acme/orders_daily
	assert_json_ok
	assert_eq "$(jfield '[.status,.external_run_id] | join(",")')" "running,scheduled__2026-11-22T00:00:00+00:00"
	run --separate-stderr chm run latest --client globex
	assert_json_ok
	assert_eq "$(printf '%s\n' "$output" | jq -r '.pipeline + "=" + (.status // "none")' | paste -sd,)" \
		"carrier_events=failed,dbt_run_jaffle_shop=none,food_delivery_dbt=none,myjob=none,myjob_task=none,nightly_export=success,shipments_lineage=success"
	run --separate-stderr chm run latest
	assert_json_ok
	# every active pipeline once; the inactive legacy_ftp_pull not at all
	assert_eq "${#lines[@]}" "$(q "SELECT count(*) FROM pipelines WHERE is_active")"
	[[ "$output" != *legacy_ftp_pull* ]]
	run --separate-stderr chm run latest --pipeline acme/orders_daily --client acme
	assert_error 64 usage client
	run --separate-stderr chm run latest --client nobody
	assert_error 65 not_found client
}
