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
