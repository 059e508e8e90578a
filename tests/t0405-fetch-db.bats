#!/usr/bin/env bats
# chm-fetch takes the pipelines to fetch from the database by default.

load helper
load fetch_helper

setup() {
	fresh_db
	chm-load "$FIXTURES/fetch/inventory.ndjson" >/dev/null
}

@test "active pipelines of the source with an external_id, from the database" {
	start_fake_api
	q "UPDATE pipelines SET is_active = false WHERE name = 'reporting_refresh'"
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" --retry-delay 0.02
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw") | .client + "/" + .pipeline + "/" + .external_id' | sort -u | paste -sd' ')" \
		"acme/example_trigger_target_dag/example_trigger_target_dag acme/orders_daily/orders_daily"
	assert_eq "$(grep -c reporting_refresh "$FAKE_LOG")" 0
}

@test "--client and --pipeline narrow the list; a pipeline without external_id is left out" {
	start_fake_api
	q "UPDATE pipelines SET external_id = NULL WHERE name = 'example_trigger_target_dag'"
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" --client acme
	[ "$status" -eq 0 ]
	assert_eq "$(cut -d' ' -f2 "$FAKE_LOG" | cut -d/ -f5 | sort -u | paste -sd' ')" "orders_daily"
	run --separate-stderr chm-fetch --source dbt_cloud --account-id 123456 --base-url "$FAKE_URL" --client acme --pipeline dbt_cancelled_job
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.type=="raw") | .record.id')" "52300001"
}

@test "no matching pipeline: a warning, nothing fetched, exit 0; an unknown client is an error (65)" {
	start_fake_api
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" --client acme --pipeline nosuch
	[ "$status" -eq 0 ]
	assert_eq "$output" ""
	[[ "$stderr" == *"no active airflow pipeline"* ]]
	[ ! -s "$FAKE_LOG" ]
	# a client that does not exist is a mistake, not an empty answer (issue 17)
	run --separate-stderr chm-fetch --source airflow --base-url "$FAKE_URL" --client nobody
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'no client named "nobody"'* ]]
	[ ! -s "$FAKE_LOG" ]
}

@test "database down: exit 75" {
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --db "host=/nonexistent dbname=x"
	[ "$status" -eq 75 ]
	[[ "$stderr" == "chm-fetch: cannot connect to the database"* ]]
}
