#!/usr/bin/env bats
# chm migrate: applies every migration once, in order, safe to repeat and to race.

load helper

setup() {
	fresh_db
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$PGDATABASE\"" >/dev/null
	psql -X -q -d postgres -c "CREATE DATABASE \"$PGDATABASE\"" >/dev/null
}

@test "migrate applies every migration on an empty database, in order" {
	run --separate-stderr chm migrate
	[ "$status" -eq 0 ]
	expected=$(ls "$CHM_ROOT"/sql/migrations/*.sql | wc -l)
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -r .applied)" "$expected"
	assert_eq "$(q "SELECT string_agg(version, ',' ORDER BY applied_at, version) FROM schema_migrations")" \
		"$(cd "$CHM_ROOT/sql/migrations" && ls *.sql | paste -sd,)"
	assert_eq "$(q "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('clients','pipelines','runs','alert_rules')")" 4
}

@test "migrate twice: the second run applies nothing" {
	chm migrate >/dev/null
	run --separate-stderr chm migrate
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .applied)" 0
	run --separate-stderr chm migrate --status
	assert_eq "$(printf '%s\n' "$output" | jq -r .pending)" 0
}

@test "two migrate processes at once: one applies, the other waits and finds nothing" {
	chm migrate >"$BATS_TEST_TMPDIR/a" 2>&1 3>&- &
	a=$!
	chm migrate >"$BATS_TEST_TMPDIR/b" 2>&1 3>&- &
	b=$!
	wait "$a"
	wait "$b"
	# both succeed; between them every migration is applied once
	assert_eq "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | jq -s '[.[] | select(.type=="migrate")] | length')" 2
	total=$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | jq -s '[.[] | select(.type=="migrate") | .applied] | add')
	assert_eq "$total" "$(ls "$CHM_ROOT"/sql/migrations/*.sql | wc -l)"
	assert_eq "$(q "SELECT count(*) FROM schema_migrations")" "$(ls "$CHM_ROOT"/sql/migrations/*.sql | wc -l)"
}

@test "a migration that fails leaves nothing of itself and exits nonzero" {
	q "CREATE TABLE clients (id int)" # makes 001 fail half-way
	run --separate-stderr chm migrate
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"001_schema.sql"* ]]
	assert_eq "$(q "SELECT count(*) FROM schema_migrations")" 0
	assert_eq "$(q "SELECT count(*) FROM pg_type WHERE typname = 'run_status'")" 0
}

@test "no database server: exit 75 and a message naming the problem" {
	run --separate-stderr chm --db "host=/nonexistent dbname=x" migrate
	[ "$status" -eq 75 ]
	[[ "$stderr" == "chm: cannot connect to the database"* ]]
}

@test "no CHM schema: every program refuses with 78 and says to run chm migrate, and creates nothing" {
	msg="database \"$PGDATABASE\" has no CHM schema: run \`chm migrate\` first"
	run --separate-stderr chm-load "$FIXTURES/inventory.ndjson" "$FIXTURES/runs/history.ndjson"
	[ "$status" -eq 78 ]
	assert_eq "$stderr" "chm-load: $msg"
	assert_eq "$output" ""
	run --separate-stderr chm-report q2
	[ "$status" -eq 78 ]
	assert_eq "$stderr" "chm-report: $msg"
	run --separate-stderr chm-alert --now 2026-11-20T00:00:00Z
	[ "$status" -eq 78 ]
	assert_eq "$stderr" "chm-alert: $msg"
	run --separate-stderr chm client list
	[ "$status" -eq 78 ]
	assert_eq "$(printf '%s\n' "$output" "$stderr" | jq -r 'select(.error) | .error.code + " " + .error.message')" \
		"schema_behind $msg"
	# the job still runs, unrecorded, as with the database down
	run --separate-stderr chm exec --pipeline acme/orders_daily --load -- sh -c 'echo ran'
	[ "$status" -eq 0 ]
	assert_eq "$output" "ran"
	[[ "$stderr" == *"chm-exec: the run is not recorded in the database: $msg"* ]]
	assert_eq "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" 0
}

@test "a schema one migration behind: 78 naming it, nothing read; chm warns; after chm migrate the same load goes in" {
	newest=$(basename "$(ls "$CHM_ROOT"/sql/migrations/*.sql | tail -n 1)")
	migrations_before "$newest" # the schema an older chm migrate left
	run --separate-stderr chm migrate --status
	assert_eq "$(printf '%s\n' "$output" | jq -r .pending)" 1
	run --separate-stderr chm-load "$FIXTURES/inventory.ndjson" "$FIXTURES/runs/history.ndjson"
	[ "$status" -eq 78 ]
	assert_eq "$stderr" "chm-load: database \"$PGDATABASE\" is 1 migration behind chm-load ($newest): run \`chm migrate\` first"
	assert_eq "$(q "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM runs)")" 0
	run --separate-stderr chm-report q2
	[ "$status" -eq 78 ]
	[[ "$stderr" == "chm-report: database \"$PGDATABASE\" is 1 migration behind chm-report ($newest)"* ]]
	# chm's own commands are served, with a warning: when a migration
	# refuses, they are how a person mends what it refused
	run --separate-stderr chm client create --name acme
	[ "$status" -eq 0 ]
	assert_eq "$stderr" "chm: warning: database \"$PGDATABASE\" is 1 migration behind chm ($newest): run \`chm migrate\` first"
	run --separate-stderr chm migrate
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | tail -n 1 | jq -r .applied)" 1
	run --separate-stderr chm-load "$FIXTURES/inventory.ndjson" "$FIXTURES/runs/history.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT count(*) FROM runs")" \
		"$(jq -s '[.[] | select(.type == "run") | [.client, .external_id, .external_run_id]] | unique | length' "$FIXTURES/runs/history.ndjson")"
	run --separate-stderr chm-report q2
	[ "$status" -eq 0 ]
}

@test "a schema ahead of the programs (a newer chm migrated it) is served" {
	chm migrate >/dev/null
	q "INSERT INTO schema_migrations (version) VALUES ('999_from_a_newer_chm.sql')"
	run --separate-stderr chm-load "$FIXTURES/inventory.ndjson"
	[ "$status" -eq 0 ]
	run --separate-stderr chm migrate --status
	assert_eq "$(printf '%s\n' "$output" | jq -r .pending)" 0
}

@test "049: enabled rules that share an effective scope make it refuse (78), naming them, nothing changed; disabling one lets it through" {
	migrations_before 049_rule_effective_scope.sql
	# chm-load refuses a schema behind it: the inventory by hand
	q "INSERT INTO clients (name) VALUES ('acme');
	   INSERT INTO pipelines (client_id, name, platform, pipeline_type)
	   SELECT id, 'orders', 'airflow', 'ingestion' FROM clients"
	q "INSERT INTO alert_rules (client_id, pipeline_id, rule_type, channel, destination)
	   SELECT p.client_id, p.id, 'on_failure', 'email', 'ops@example.com' FROM pipelines p ORDER BY p.id LIMIT 1;
	   INSERT INTO alert_rules (client_id, pipeline_id, rule_type, channel, destination)
	   SELECT NULL, p.id, 'on_failure', 'email', 'ops@example.com' FROM pipelines p ORDER BY p.id LIMIT 1"
	ids=$(q "SELECT string_agg(id::text, ' and ' ORDER BY id) FROM alert_rules WHERE destination = 'ops@example.com'")
	run --separate-stderr chm migrate
	[ "$status" -eq 78 ]
	[[ "$stderr" == "chm: migration 049_rule_effective_scope.sql refused: "*"rules $ids (on_failure, email to ops@example.com)"* ]]
	[[ "$stderr" == *"chm rule disable ID"* ]]
	assert_eq "$(q "SELECT count(*) FROM schema_migrations WHERE version = '049_rule_effective_scope.sql'")" 0
	chm rule disable "${ids%% *}" >/dev/null
	run --separate-stderr chm migrate
	[ "$status" -eq 0 ]
	# and now the pair cannot be enabled again
	run --separate-stderr chm rule enable "${ids%% *}"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'"code":"conflict"'* ]]
}
