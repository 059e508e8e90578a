#!/usr/bin/env bats
# Every constraint of the data model refuses what it must, checked in SQL
# against the migrated schema (what any writer, not only chm-load, meets).

load helper

setup_file() {
	fresh_db file
	q "INSERT INTO clients (name) VALUES ('acme'), ('globex')"
	q "INSERT INTO pipelines (client_id, name, platform, pipeline_type, external_id)
	   SELECT id, 'orders', 'airflow', 'ingestion', 'orders_dag' FROM clients WHERE name = 'acme'"
	q "INSERT INTO runs (pipeline_id, external_run_id, status) SELECT id, 'r1', 'success' FROM pipelines"
}

# Runs SQL that must fail with the given SQLSTATE, and leaves nothing behind.
refuses() {
	local state=$1 sql=$2
	run psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "BEGIN; $sql; ROLLBACK"
	[ "$status" -ne 0 ] || { echo "accepted: $sql" >&2; return 1; }
	[[ "$output" == *"$state"* ]] || { echo "wrong error for: $sql: $output" >&2; return 1; }
}

accepts() {
	psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN; $1; ROLLBACK" >/dev/null
}

acme="(SELECT id FROM clients WHERE name = 'acme')"
orders="(SELECT id FROM pipelines WHERE name = 'orders')"

@test "client names are unique and not empty" {
	refuses 23505 "INSERT INTO clients (name) VALUES ('acme')"
	refuses 23514 "INSERT INTO clients (name) VALUES ('  ')"
	refuses 23502 "INSERT INTO clients (name) VALUES (NULL)"
}

@test "a pipeline belongs to exactly one existing client" {
	refuses 23503 "INSERT INTO pipelines (client_id, name, platform, pipeline_type) VALUES (999999, 'x', 'airflow', 'ingestion')"
	refuses 23502 "INSERT INTO pipelines (client_id, name, platform, pipeline_type) VALUES (NULL, 'x', 'airflow', 'ingestion')"
}

@test "pipeline names are unique within a client, not across clients" {
	refuses 23505 "INSERT INTO pipelines (client_id, name, platform, pipeline_type) VALUES ($acme, 'orders', 'cron', 'export')"
	accepts "INSERT INTO pipelines (client_id, name, platform, pipeline_type) SELECT id, 'orders', 'cron', 'export' FROM clients WHERE name = 'globex'"
}

@test "(client, platform, external_id) is unique where external_id is set, and null-safe" {
	refuses 23505 "INSERT INTO pipelines (client_id, name, platform, pipeline_type, external_id) VALUES ($acme, 'other', 'airflow', 'ingestion', 'orders_dag')"
	accepts "INSERT INTO pipelines (client_id, name, platform, pipeline_type, external_id) VALUES ($acme, 'other', 'dbt', 'ingestion', 'orders_dag')"
	accepts "INSERT INTO pipelines (client_id, name, platform, pipeline_type) VALUES ($acme, 'a', 'cron', 'export'), ($acme, 'b', 'cron', 'export')"
}

@test "enums refuse unknown platforms, types, environments and statuses" {
	refuses 22P02 "INSERT INTO pipelines (client_id, name, platform, pipeline_type) VALUES ($acme, 'x', 'jenkins', 'ingestion')"
	refuses 22P02 "INSERT INTO pipelines (client_id, name, platform, pipeline_type) VALUES ($acme, 'x', 'airflow', 'magic')"
	refuses 22P02 "INSERT INTO pipelines (client_id, name, platform, pipeline_type, environment) VALUES ($acme, 'x', 'airflow', 'ingestion', 'qa')"
	refuses 22P02 "INSERT INTO runs (pipeline_id, external_run_id, status) VALUES ($orders, 'x', 'queued')"
}

@test "a run is unique per pipeline and external_run_id and belongs to a pipeline" {
	refuses 23505 "INSERT INTO runs (pipeline_id, external_run_id, status) VALUES ($orders, 'r1', 'failed')"
	refuses 23503 "INSERT INTO runs (pipeline_id, external_run_id, status) VALUES (999999, 'r1', 'failed')"
	refuses 23502 "INSERT INTO runs (pipeline_id, external_run_id, status) VALUES ($orders, NULL, 'failed')"
	refuses 23514 "INSERT INTO runs (pipeline_id, external_run_id, status) VALUES ($orders, '', 'failed')"
}

@test "run metrics are never negative" {
	refuses 23514 "INSERT INTO runs (pipeline_id, external_run_id, status, duration_seconds) VALUES ($orders, 'x', 'success', -1)"
	refuses 23514 "INSERT INTO runs (pipeline_id, external_run_id, status, rows_processed) VALUES ($orders, 'x', 'success', -1)"
	accepts "INSERT INTO runs (pipeline_id, external_run_id, status, duration_seconds, rows_processed) VALUES ($orders, 'x', 'success', 0, 0)"
}

@test "an alert rule needs a client or a pipeline" {
	refuses 23514 "INSERT INTO alert_rules (rule_type, channel, destination) VALUES ('on_failure', 'slack', '#x')"
	accepts "INSERT INTO alert_rules (client_id, rule_type, channel, destination) VALUES ($acme, 'on_failure', 'slack', '#x')"
	accepts "INSERT INTO alert_rules (pipeline_id, rule_type, channel, destination) VALUES ($orders, 'on_failure', 'slack', '#x')"
	accepts "INSERT INTO alert_rules (client_id, pipeline_id, rule_type, channel, destination) VALUES ($acme, $orders, 'on_failure', 'slack', '#x')"
}

@test "on_failure may leave threshold and window empty; failures_in_window needs both > 0" {
	accepts "INSERT INTO alert_rules (client_id, rule_type, channel, destination) VALUES ($acme, 'on_failure', 'email', 'a@b.c')"
	refuses 23514 "INSERT INTO alert_rules (client_id, rule_type, channel, destination) VALUES ($acme, 'failures_in_window', 'email', 'a@b.c')"
	refuses 23514 "INSERT INTO alert_rules (client_id, rule_type, threshold, channel, destination) VALUES ($acme, 'failures_in_window', 3, 'email', 'a@b.c')"
	refuses 23514 "INSERT INTO alert_rules (client_id, rule_type, threshold, window_minutes, channel, destination) VALUES ($acme, 'failures_in_window', 0, 60, 'email', 'a@b.c')"
	refuses 23514 "INSERT INTO alert_rules (client_id, rule_type, threshold, window_minutes, channel, destination) VALUES ($acme, 'failures_in_window', 3, -5, 'email', 'a@b.c')"
	accepts "INSERT INTO alert_rules (client_id, rule_type, threshold, window_minutes, channel, destination) VALUES ($acme, 'failures_in_window', 3, 60, 'email', 'a@b.c')"
	refuses 22P02 "INSERT INTO alert_rules (client_id, rule_type, channel, destination) VALUES ($acme, 'on_failure', 'pager', 'x')"
	refuses 23514 "INSERT INTO alert_rules (client_id, rule_type, channel, destination) VALUES ($acme, 'on_failure', 'slack', '')"
}

@test "no two enabled rules with the same scope, type, channel and destination" {
	rule="INSERT INTO alert_rules (client_id, rule_type, channel, destination, is_enabled) VALUES ($acme, 'on_failure', 'slack', '#dup'"
	refuses 23505 "$rule, true); $rule, true)"
	accepts "$rule, true); $rule, false); $rule, false)"
	prule="INSERT INTO alert_rules (client_id, pipeline_id, rule_type, channel, destination) VALUES ($acme, $orders, 'on_failure', 'slack', '#dup')"
	refuses 23505 "$prule; $prule"
	accepts "$rule, true); $prule"
	refuses 23505 "INSERT INTO alert_rules (client_id, rule_type, channel, destination) VALUES ($acme, 'on_failure', 'slack', '#x'); UPDATE alert_rules SET is_enabled = false; INSERT INTO alert_rules (client_id, rule_type, channel, destination) VALUES ($acme, 'on_failure', 'slack', '#x'), ($acme, 'on_failure', 'slack', '#x')"
}

# No triggers (021_updated_at_in_sql.sql: Citus refuses to distribute tables
# with them): every statement of CHM that updates a row sets updated_at.
@test "updated_at is kept current by every CHM statement that updates a row" {
	fresh_db upd
	load_inventory
	old="updated_at = '2000-01-01', created_at = '2000-01-01'"
	fresh="bool_and(updated_at > now() - interval '1 minute') AND bool_and(created_at = '2000-01-01')"
	q "UPDATE clients SET $old; UPDATE pipelines SET $old; UPDATE alert_rules SET $old"
	chm client update acme --description changed >/dev/null
	assert_eq "$(q "SELECT $fresh FROM clients WHERE name = 'acme'")" t
	chm pipeline update acme/orders_daily --description changed >/dev/null
	assert_eq "$(q "SELECT $fresh FROM pipelines WHERE name = 'orders_daily'")" t
	id=$(q "SELECT min(id) FROM alert_rules")
	chm rule update "$id" --destination '#changed' >/dev/null
	assert_eq "$(q "SELECT $fresh FROM alert_rules WHERE id = $id")" t
	# the inventory upserts (clients, pipelines, rules) and the run upsert
	q "UPDATE clients SET $old; UPDATE pipelines SET $old; UPDATE alert_rules SET $old"
	sed -e 's/"description":"[^"]*"/"description":"again"/' -e 's/"threshold":3/"threshold":4/' \
		"$FIXTURES/inventory.ndjson" | chm-load >/dev/null
	assert_eq "$(q "SELECT $fresh FROM clients WHERE name = 'acme'")" t
	assert_eq "$(q "SELECT $fresh FROM pipelines WHERE name = 'orders_daily'")" t
	assert_eq "$(q "SELECT $fresh FROM alert_rules WHERE threshold = 4")" t
	run_line r1 running | chm-load >/dev/null
	q "UPDATE runs SET $old"
	run_line r1 success | chm-load >/dev/null
	assert_eq "$(q "SELECT $fresh FROM runs")" t
	# and no trigger is left to do it behind a writer's back
	assert_eq "$(q "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")" 0
}

@test "deleting a client or pipeline with runs is refused: disable it instead, runs stay" {
	refuses 23503 "DELETE FROM pipelines WHERE name = 'orders'"
	refuses 23503 "DELETE FROM clients WHERE name = 'acme'"
}
