#!/usr/bin/env bats
# chm pipeline: create, list, get, update, disable under exactly one client.

load helper
load cli_helper

setup() {
	fresh_db
	load_fixtures
}

@test "pipeline create with every field, stored under its client" {
	run --separate-stderr chm pipeline create --client globex --name returns --platform dbt \
		--type transform --environment staging --external-id ret-1 --description "Returns model"
	assert_json_ok
	assert_eq "$(jfield '[.client,.name,.platform,.pipeline_type,.environment,.external_id,.description,.is_active] | join(",")')" \
		"globex,returns,dbt,transform,staging,ret-1,Returns model,true"
	assert_eq "$(q "SELECT c.name || '/' || p.name || ':' || p.environment FROM pipelines p JOIN clients c ON c.id = p.client_id WHERE p.id = $(jfield .id)")" \
		"globex/returns:staging"
}

@test "pipeline create defaults environment to prod; the client may be given by id" {
	cid=$(q "SELECT id FROM clients WHERE name = 'initech'")
	run --separate-stderr chm pipeline create --client "$cid" --name ledger_export --platform cron --type export
	assert_json_ok
	assert_eq "$(jfield .environment)" prod
	assert_eq "$(jfield .external_id)" null
	assert_eq "$(jfield .client)" initech
}

@test "pipeline create refuses bad enums, all of them at once" {
	run --separate-stderr chm pipeline create --client acme --name x --platform airflo --type etl --environment production
	assert_error 65 validation_failed platform pipeline_type environment
	assert_eq "$(printf '%s' "$stderr" | jq '.error.details | length')" 3
	[[ "$stderr" == *"must be one of airflow, dbt, cron, vendor_api, custom"* ]]
	assert_eq "$(q "SELECT count(*) FROM pipelines WHERE name = 'x'")" 0
}

@test "pipeline create: missing options are usage errors naming each field" {
	run --separate-stderr chm pipeline create --client acme --name x
	assert_error 64 usage platform pipeline_type
	run --separate-stderr chm pipeline create --name x --platform cron --type export
	assert_error 64 usage client
}

@test "pipeline create under an unknown client is not_found" {
	run --separate-stderr chm pipeline create --client nobody --name x --platform cron --type export
	assert_error 65 not_found client
}

@test "pipeline create: name unique within a client, external_id within client and platform" {
	run --separate-stderr chm pipeline create --client acme --name orders_daily --platform cron --type export
	assert_error 65 conflict name
	[[ "$stderr" == *'already has a pipeline named \"orders_daily\"'* ]]
	run --separate-stderr chm pipeline create --client acme --name orders2 --platform airflow --type ingestion --external-id orders_daily
	assert_error 65 conflict external_id
	[[ "$stderr" != *"duplicate key"* ]]
	# the same name under another client, the same external_id on another platform: fine
	run --separate-stderr chm pipeline create --client globex --name orders_daily --platform cron --type export
	assert_json_ok
	run --separate-stderr chm pipeline create --client acme --name orders_cron --platform cron --type ingestion --external-id orders_daily
	assert_json_ok
}

@test "pipeline create refuses an empty name and an over-long external_id" {
	run --separate-stderr chm pipeline create --client acme --name "" --platform cron --type export --external-id "$(printf 'e%.0s' $(seq 501))"
	assert_error 65 validation_failed name external_id
}

@test "pipeline list filters by client, platform, environment and active" {
	run --separate-stderr chm pipeline list --client acme
	assert_json_ok
	assert_eq "${#lines[@]}" "$(grep -c '"type":"pipeline","client":"acme"' "$FIXTURES/inventory.ndjson")"
	run --separate-stderr chm pipeline list --platform airflow
	assert_json_ok
	assert_eq "$(printf '%s\n' "$output" | jq -r '.client + "/" + .name' | paste -sd,)" \
		"acme/cwl_dag,acme/example_trigger_target_dag,acme/orders_daily,initech/reporting_refresh"
	run --separate-stderr chm pipeline list --environment staging --client initech
	assert_json_ok
	assert_eq "$(jfield .name)" reporting_refresh
	# legacy_ftp_pull is inactive: hidden unless asked for
	run --separate-stderr chm pipeline list --client initech
	assert_eq "$(printf '%s\n' "$output" | jq -r .name | paste -sd,)" "ledger_quality,reporting_refresh"
	run --separate-stderr chm pipeline list --active false
	assert_eq "$(printf '%s\n' "$output" | jq -r .name)" legacy_ftp_pull
	run --separate-stderr chm pipeline list --all --client initech
	assert_eq "${#lines[@]}" 3
}

@test "pipeline list refuses bad filters" {
	run --separate-stderr chm pipeline list --platform nope --environment qa --active perhaps
	assert_error 65 validation_failed platform environment is_active
	run --separate-stderr chm pipeline list --client nobody
	assert_error 65 not_found client
	run --separate-stderr chm pipeline list --all --active true
	assert_error 65 validation_failed is_active
}

@test "pipeline list --format table" {
	run --separate-stderr chm pipeline list --client globex --format table --wide
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^id\ +client\ +name\ +platform\ +pipeline_type\ +environment\ +external_id\ +is_active$ ]]
	assert_eq "${#lines[@]}" "$((1 + $(grep -c '"type":"pipeline","client":"globex"' "$FIXTURES/inventory.ndjson")))"
}

@test "pipeline get as client/name and by id; bad and unknown references" {
	run --separate-stderr chm pipeline get acme/dbt_nightly
	assert_json_ok
	assert_eq "$(jfield .external_id)" 43167
	id=$(jfield .id)
	run --separate-stderr chm pipeline get "$id"
	assert_json_ok
	assert_eq "$(jfield .name)" dbt_nightly
	run --separate-stderr chm pipeline get dbt_nightly
	assert_error 65 validation_failed pipeline
	run --separate-stderr chm pipeline get acme/nope
	assert_error 65 not_found pipeline
	run --separate-stderr chm pipeline get nobody/dbt_nightly
	assert_error 65 not_found pipeline
	run --separate-stderr chm pipeline get 999999
	assert_error 65 not_found pipeline
}

@test "a \"/\" in a client's or a pipeline's name: CLIENT/PIPELINE splits where a pipeline is, two such are ambiguous" {
	chm client create --name 'Acme/EU' >/dev/null
	run --separate-stderr chm pipeline create --client 'Acme/EU' --name orders --platform airflow --type ingestion
	assert_json_ok
	eu=$(jfield .id)
	run --separate-stderr chm pipeline get 'Acme/EU/orders'
	assert_json_ok
	assert_eq "$(jfield '.id|tostring') $(jfield .client)" "$eu Acme/EU"
	# and a pipeline named with a "/" under client Acme reads the same way
	chm client create --name Acme >/dev/null
	run --separate-stderr chm pipeline create --client Acme --name 'EU/invoices' --platform dbt --type transform
	assert_json_ok
	run --separate-stderr chm pipeline get 'Acme/EU/invoices'
	assert_json_ok
	assert_eq "$(jfield .client)/$(jfield .name)" "Acme/EU/invoices"
	# both splits name one: refused, and the id still names each
	chm pipeline create --client Acme --name 'EU/orders' --platform dbt --type transform >/dev/null
	run --separate-stderr chm pipeline get 'Acme/EU/orders'
	assert_error 65 ambiguous_pipeline pipeline
	[[ "$stderr" == *"give the pipeline's id"* ]]
	run --separate-stderr chm pipeline get "$eu"
	assert_json_ok
	run --separate-stderr chm pipeline get 'Acme/EU/nope'
	assert_error 65 not_found pipeline
	[[ "$stderr" == *'no pipeline \"Acme/EU/nope\"'* ]]
}

@test "pipeline update changes only what is given; '' clears external_id" {
	run --separate-stderr chm pipeline update acme/jaffle_shop --environment dev --description "dbt project"
	assert_json_ok
	assert_eq "$(jfield '[.environment,.description,.platform,.external_id] | join(",")')" "dev,dbt project,dbt,jaffle_shop"
	run --separate-stderr chm pipeline update acme/jaffle_shop --external-id ""
	assert_json_ok
	assert_eq "$(q "SELECT external_id IS NULL FROM pipelines WHERE name = 'jaffle_shop'")" t
	run --separate-stderr chm pipeline update acme/jaffle_shop --name jaffle
	assert_json_ok
	assert_eq "$(jfield .name)" jaffle
}

@test "pipeline update refuses conflicts, bad values and nothing to do" {
	run --separate-stderr chm pipeline update acme/jaffle_shop --name orders_daily
	assert_error 65 conflict name
	run --separate-stderr chm pipeline update acme/jaffle_shop --platform nope --type nope
	assert_error 65 validation_failed platform pipeline_type
	run --separate-stderr chm pipeline update acme/jaffle_shop
	assert_error 64 usage
	assert_eq "$(q "SELECT environment::text || platform::text FROM pipelines WHERE name = 'jaffle_shop'")" proddbt
}

@test "pipeline disable keeps its runs; latest and list no longer show it" {
	runs=$(q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'orders_daily'")
	[ "$runs" -gt 0 ]
	run --separate-stderr chm pipeline disable acme/orders_daily
	assert_json_ok
	assert_eq "$(jfield .is_active)" false
	assert_eq "$(q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'orders_daily'")" "$runs"
	run --separate-stderr chm pipeline list --client acme
	[[ "$output" != *orders_daily* ]]
	run --separate-stderr chm run list --pipeline acme/orders_daily
	assert_json_ok
	assert_eq "${#lines[@]}" "$runs"
}
