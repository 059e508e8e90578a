#!/usr/bin/env bats
# chm summary: status counts in a window and each pipeline's latest status;
# SC-001: the analyst's question in at most two commands.

load helper
load cli_helper

setup_file() {
	fresh_db file
	load_fixtures
}

@test "summary: counts by status in the window, latest status of every active pipeline" {
	run --separate-stderr chm summary --client acme --since 2026-11-21T00:00:00Z --until 2026-11-22T00:00:00Z
	assert_json_ok
	assert_eq "${#lines[@]}" 1
	assert_eq "$(jfield '.counts | [.running,.success,.failed,.canceled,.skipped] | map(tostring) | join(",")')" "0,1,2,0,0"
	assert_eq "$(jfield .total)" 3
	assert_eq "$(jfield '[.since,.until] | join(",")')" "2026-11-21T00:00:00.000000Z,2026-11-22T00:00:00.000000Z"
	# latest is latest ever, not latest in the window
	assert_eq "$(jfield '.pipelines | map(.pipeline + "=" + (.status // "none")) | join(",")')" \
		"cwl_dag=none,dbt_cancelled_job=none,dbt_legacy_job=none,dbt_nightly=success,example_trigger_target_dag=none,jaffle_shop=success,orders_daily=running"
	assert_eq "$(jfield '.pipelines | map(select(.failed_runs > 0) | .pipeline) | join(",")')" "dbt_nightly,orders_daily"
	assert_eq "$(jfield '.failing | length')" 0
}

@test "summary counts agree with the database for a relative window" {
	run --separate-stderr chm summary --client globex --since 3650d
	assert_json_ok
	assert_eq "$(jfield .total)" "$(q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id WHERE c.name = 'globex' AND r.started_at IS NOT NULL")"
	assert_eq "$(jfield .counts.failed)" 2
}

@test "summary --format table: counts, then one line a pipeline" {
	run --separate-stderr chm summary globex --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z --format table --wide
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "client globex, runs started from 2026-11-01T00:00:00.000000Z to 2026-12-01T00:00:00.000000Z" ]]
	[[ "${lines[1]}" =~ ^running\ +success\ +failed\ +canceled\ +skipped\ +total$ ]]
	[[ "${lines[2]}" =~ ^\ +0\ +3\ +2\ +0\ +0\ +5$ ]]
	[[ "${lines[3]}" =~ ^pipeline\ +platform ]]
	[[ "${lines[4]}" =~ ^carrier_events\ +vendor_api\ +prod\ +failed ]]
}

@test "summary --until alone: the 24 hours before it" {
	run --separate-stderr chm summary --client acme --until 2026-11-22T00:00:00Z
	assert_json_ok
	assert_eq "$(jfield .since)" 2026-11-21T00:00:00.000000Z
	assert_eq "$(jfield .total)" 3
}

@test "summary refuses bad input" {
	run --separate-stderr chm summary
	assert_error 64 usage client
	run --separate-stderr chm summary --client nobody
	assert_error 65 not_found client
	run --separate-stderr chm summary --client acme --since tomorrow --until 3x
	assert_error 64 usage since until
	run --separate-stderr chm summary --client acme --since 2026-11-22T00:00:00Z --until 2026-11-21T00:00:00Z
	assert_error 64 usage until
}

# SC-001. The analyst knows only the client's name. Command 1 answers both
# questions: which of globex's pipelines are failing, and every pipeline's
# latest status. (Command 2, when they want the failures themselves, is
# `chm run list --pipeline globex/NAME --status failed`.)
@test "SC-001: a client's failing pipelines and latest statuses in at most two commands" {
	run --separate-stderr chm summary --client globex
	assert_json_ok
	assert_eq "$(jfield '.failing | join(",")')" carrier_events
	assert_eq "$(jfield '.pipelines | map(.pipeline + "=" + (.status // "never ran")) | join(",")')" \
		"carrier_events=failed,dbt_run_jaffle_shop=never ran,food_delivery_dbt=never ran,myjob=never ran,myjob_task=never ran,nightly_export=success,shipments_lineage=success"
	run --separate-stderr chm run list --pipeline "globex/$(jfield '.failing[0]')" --status failed
	assert_json_ok
	assert_eq "$(printf '%s\n' "$output" | jq -r .started_at | paste -sd,)" "2026-11-22T06:00:00.000000Z,2026-11-21T06:00:00.000000Z"
	# the same answer for people
	run --separate-stderr chm summary --client globex --format table --wide
	[ "$status" -eq 0 ]
	[[ "$output" =~ carrier_events\ +vendor_api\ +prod\ +failed ]]
}
