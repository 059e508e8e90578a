#!/usr/bin/env bats
# chm rule: scopes (client, pipeline, both: the pipeline wins), parameters by
# rule type, one enabled rule per scope/type/channel/destination.

load helper
load cli_helper

setup() {
	fresh_db
	load_fixtures
}

rule_id() { # rule_id DESTINATION
	q "SELECT id FROM alert_rules WHERE destination = '$1' ORDER BY id DESC LIMIT 1"
}

@test "rule create, client scope, on_failure without threshold or window" {
	run --separate-stderr chm rule create --client globex --type on_failure --channel slack --destination '#globex'
	assert_json_ok
	assert_eq "$(jfield '[.effective_scope,.effective_scope_name,.client,.pipeline,.threshold,.window_minutes,.is_enabled] | map(tostring) | join(",")')" \
		"client,globex,globex,null,null,null,true"
	assert_eq "$(q "SELECT client_id IS NOT NULL AND pipeline_id IS NULL FROM alert_rules WHERE id = $(jfield .id)")" t
}

@test "an on_failure rule given a threshold or window: stored as given, with a warning that it is not used" {
	run --separate-stderr chm rule create --client globex --type on_failure --threshold 3 --channel slack --destination '#globex'
	[ "$status" -eq 0 ]
	assert_eq "$stderr" "chm: an on_failure rule fires on every failed run: its threshold and window_minutes are stored but not used (use --type failures_in_window to count failures)"
	assert_eq "$(printf '%s\n' "$output" | jq -r '[.rule_type,.threshold,.window_minutes] | map(tostring) | join(",")')" "on_failure,3,null"
	id=$(rule_id '#globex')
	run --separate-stderr chm rule update "$id" --window-minutes 60
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"stored but not used"* ]]
	# changes that give neither say nothing, nor does clearing them
	run --separate-stderr chm rule update "$id" --destination '#globex-ops'
	assert_json_ok
	run --separate-stderr chm rule update "$id" --threshold "" --window-minutes ""
	assert_json_ok
	assert_eq "$(q "SELECT coalesce(threshold, 0) + coalesce(window_minutes, 0) FROM alert_rules WHERE id = $id")" 0
}

@test "rule create, pipeline scope, failures_in_window with both parameters" {
	run --separate-stderr chm rule create --pipeline globex/carrier_events --type failures_in_window \
		--threshold 3 --window-minutes 60 --channel email --destination ops@example.com
	assert_json_ok
	assert_eq "$(jfield '[.effective_scope,.effective_scope_name,.threshold,.window_minutes] | map(tostring) | join(",")')" \
		"pipeline,globex/carrier_events,3,60"
}

@test "rule create with client and pipeline: the pipeline is the effective scope" {
	run --separate-stderr chm rule create --client acme --pipeline acme/dbt_nightly --type on_failure --channel webhook --destination https://h.example.com/x
	assert_json_ok
	assert_eq "$(jfield '[.effective_scope,.effective_scope_name,.client] | join(",")')" "pipeline,acme/dbt_nightly,acme"
	id=$(jfield .id)
	run --separate-stderr chm rule get "$id"
	assert_eq "$(jfield .effective_scope)" pipeline
	run --separate-stderr chm rule list --client acme
	assert_eq "$(printf '%s\n' "$output" | jq -r "select(.id == $id) | .effective_scope_name")" acme/dbt_nightly
}

@test "rule create refuses a pipeline of another client" {
	run --separate-stderr chm rule create --client acme --pipeline globex/carrier_events --type on_failure --channel slack --destination x
	assert_error 65 validation_failed pipeline
}

@test "rule create needs a scope" {
	run --separate-stderr chm rule create --type on_failure --channel slack --destination x
	assert_error 65 validation_failed client
}

@test "failures_in_window needs threshold and window_minutes, both > 0" {
	run --separate-stderr chm rule create --client acme --type failures_in_window --channel slack --destination x
	assert_error 65 validation_failed threshold window_minutes
	run --separate-stderr chm rule create --client acme --type failures_in_window --threshold 0 --window-minutes -5 --channel slack --destination x
	assert_error 65 validation_failed threshold window_minutes
	assert_eq "$(printf '%s' "$stderr" | jq -r '.error.details[] | select(.field == "threshold") | .issue')" "must be > 0"
	run --separate-stderr chm rule create --client acme --type failures_in_window --threshold three --window-minutes 60 --channel slack --destination x
	assert_error 65 validation_failed threshold
	run --separate-stderr chm rule create --client acme --type on_failure --threshold 0 --channel slack --destination x
	assert_error 65 validation_failed threshold
	assert_eq "$(q "SELECT count(*) FROM alert_rules")" 3
}

@test "rule create refuses bad type, channel and destination; missing ones are usage errors" {
	run --separate-stderr chm rule create --client acme --type on_success --channel sms --destination " "
	assert_error 65 validation_failed rule_type channel destination
	run --separate-stderr chm rule create --client acme
	assert_error 64 usage rule_type channel destination
	run --separate-stderr chm rule create --client nobody --type on_failure --channel slack --destination x
	assert_error 65 not_found client
	run --separate-stderr chm rule create --pipeline acme/nope --type on_failure --channel slack --destination x
	assert_error 65 not_found pipeline
}

@test "a duplicate enabled rule is a conflict; a disabled one does not count" {
	run --separate-stderr chm rule create --client acme --type on_failure --channel slack --destination '#acme-data-ops'
	assert_error 65 conflict rule
	[[ "$stderr" != *"duplicate key"* ]]
	id=$(rule_id '#acme-data-ops')
	run --separate-stderr chm rule disable "$id"
	assert_json_ok
	assert_eq "$(jfield .is_enabled)" false
	run --separate-stderr chm rule create --client acme --type on_failure --channel slack --destination '#acme-data-ops'
	assert_json_ok
	# enabling the old one again would make two
	run --separate-stderr chm rule enable "$id"
	assert_error 65 conflict rule
	assert_eq "$(q "SELECT count(*) FROM alert_rules WHERE destination = '#acme-data-ops'")" 2
	assert_eq "$(q "SELECT count(*) FROM alert_rules WHERE destination = '#acme-data-ops' AND is_enabled")" 1
	# with the new one disabled, the old one comes back
	run --separate-stderr chm rule disable "$(rule_id '#acme-data-ops')"
	assert_json_ok
	run --separate-stderr chm rule enable "$id"
	assert_json_ok
	assert_eq "$(jfield .is_enabled)" true
	assert_eq "$(q "SELECT id FROM alert_rules WHERE destination = '#acme-data-ops' AND is_enabled")" "$id"
	run --separate-stderr chm rule enable 999999
	assert_error 65 not_found rule
}

@test "the effective scope decides a conflict: a rule naming a pipeline and its client is that pipeline's" {
	run --separate-stderr chm rule create --pipeline globex/carrier_events --type on_failure --channel email --destination ops@globex.example
	assert_json_ok
	run --separate-stderr chm rule create --client globex --pipeline globex/carrier_events --type on_failure --channel email --destination ops@globex.example
	assert_error 65 conflict rule
	assert_eq "$(q "SELECT count(*) FROM alert_rules WHERE destination = 'ops@globex.example'")" 1
	# the client's own rule is another scope
	run --separate-stderr chm rule create --client globex --type on_failure --channel email --destination ops@globex.example
	assert_json_ok
}

@test "rule list: filters; rows in id order" {
	run --separate-stderr chm rule list
	assert_json_ok
	assert_eq "${#lines[@]}" 3
	assert_eq "$(printf '%s\n' "$output" | jq -r .id | paste -sd,)" "$(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM alert_rules")"
	run --separate-stderr chm rule list --client acme
	assert_eq "$(printf '%s\n' "$output" | jq -r .effective_scope_name | paste -sd,)" "acme,acme/orders_daily"
	run --separate-stderr chm rule list --pipeline globex/carrier_events
	assert_eq "$(jfield .effective_scope)" pipeline
	assert_eq "$(jfield .client)" globex
	run --separate-stderr chm rule list --type failures_in_window --channel email
	assert_eq "$(jfield .destination)" oncall@example.com
	run --separate-stderr chm rule disable "$(rule_id oncall@example.com)"
	run --separate-stderr chm rule list --enabled false
	assert_eq "$(jfield .destination)" oncall@example.com
	run --separate-stderr chm rule list --type nope --enabled maybe
	assert_error 65 validation_failed rule_type is_enabled
}

@test "rule list --format table shows the effective scope" {
	run --separate-stderr chm rule list --format table --wide
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^id\ +effective_scope\ +effective_scope_name\ +rule_type ]]
	[[ "${lines[3]}" =~ pipeline\ +globex/carrier_events\ +on_failure ]]
	# at 80 columns details go, but whether a rule is enabled stays
	COLUMNS=80 run --separate-stderr chm rule list --format table
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *is_enabled* ]]
}

@test "rule get: unknown and malformed ids" {
	run --separate-stderr chm rule get 999999
	assert_error 65 not_found rule
	run --separate-stderr chm rule get abc
	assert_error 65 validation_failed rule
	run --separate-stderr chm rule get
	assert_error 64 usage rule
}

@test "rule update checks the rule as a whole" {
	id=$(rule_id oncall@example.com)
	run --separate-stderr chm rule update "$id" --threshold 5
	assert_json_ok
	assert_eq "$(jfield '[.threshold,.window_minutes] | map(tostring) | join(",")')" "5,1440"
	# on_failure may drop its parameters; failures_in_window may not
	run --separate-stderr chm rule update "$id" --threshold ""
	assert_error 65 validation_failed threshold
	run --separate-stderr chm rule update "$id" --type on_failure --threshold "" --window-minutes ""
	assert_json_ok
	assert_eq "$(jfield '[.rule_type,.threshold] | map(tostring) | join(",")')" "on_failure,null"
	run --separate-stderr chm rule update "$id" --type failures_in_window
	assert_error 65 validation_failed threshold window_minutes
	run --separate-stderr chm rule update "$id" --channel pager
	assert_error 65 validation_failed channel
	run --separate-stderr chm rule update "$id"
	assert_error 64 usage
	assert_eq "$(q "SELECT rule_type FROM alert_rules WHERE id = $id")" on_failure
}

@test "rule delete removes the rule; a second delete is not_found" {
	id=$(rule_id oncall@example.com)
	run --separate-stderr chm rule delete "$id"
	assert_json_ok
	assert_eq "$(jfield .deleted)" true
	assert_eq "$(q "SELECT count(*) FROM alert_rules WHERE id = $id")" 0
	run --separate-stderr chm rule delete "$id"
	assert_error 65 not_found rule
}
