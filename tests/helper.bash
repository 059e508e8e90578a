# Shared by every test file: `load helper`.
bats_require_minimum_version 1.5.0
# Each file gets its own database cloned from the migrated template
# (setup_file); fresh_db gives a test one of its own.

FIXTURES="$CHM_ROOT/fixtures"
# Real partner responses from public repositories (PROVENANCE.md there).
REFERENCE="$FIXTURES/reference"

_db_name() {
	local base
	base=$(basename "$BATS_TEST_FILENAME" .bats | tr -c 'a-zA-Z0-9_\n' '_')
	echo "t_${base}_$1"
}

# A new database cloned from the migrated template; exports PGDATABASE.
fresh_db() {
	local name
	name=$(_db_name "${1:-$$_${BATS_TEST_NUMBER:-0}}")
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$name\"" >/dev/null 2>&1
	psql -X -q -d postgres -c "CREATE DATABASE \"$name\" TEMPLATE chm_template" >/dev/null
	export PGDATABASE="$name"
}

setup_file() {
	fresh_db file
}

# The table chm migrate records what it applied in (engines/migrate.c).
SCHEMA_MIGRATIONS_DDL="CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"

# The schema an older chm left in the current, empty database: the
# migrations before VERSION (a file name), applied as chm migrate applies
# them (each in a transaction, recorded in schema_migrations).
migrations_before() {
	q "$SCHEMA_MIGRATIONS_DDL"
	local f v
	for f in "$CHM_ROOT"/sql/migrations/*.sql; do
		v=$(basename "$f")
		[[ "$v" < "$1" ]] || continue
		psql -X -q -v ON_ERROR_STOP=1 -1 -f "$f" >/dev/null
		q "INSERT INTO schema_migrations (version) VALUES ('$v')" >/dev/null
	done
}

# psql returning bare values: q "SELECT ..."
q() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

# Runs a shell pipeline under bats' run: runsh 'a | b'
runsh() {
	run bash -c "set -o pipefail; $1"
}

# The summary record chm-load printed (last stdout line), one field: summary_field inserted
summary_field() {
	printf '%s\n' "$output" | grep '"type":"summary"' | tail -n 1 | jq -r ".$1"
}

# Fails the test with both expected and actual shown.
assert_eq() {
	if [ "$1" != "$2" ]; then
		printf 'expected: %s\nactual:   %s\n' "$2" "$1" >&2
		return 1
	fi
}


# A fingerprint of every row version of runs: unchanged exactly when no row
# was inserted, updated or deleted (ctid and xmin change with every write).
runs_versions() {
	q "SELECT count(*) || ':' || coalesce(md5(string_agg(ctid::text || '/' || xmin::text, ',' ORDER BY ctid)), '') FROM runs"
}

# A counter of one table from the statistics system (table_counter EXPR
# TABLE: EXPR over pg_stat_user_tables' columns). A backend reports its
# counts as it exits, a moment after its client saw it end: wait until two
# reads agree.
table_counter() {
	local a b i sql="SELECT $1 FROM pg_stat_user_tables WHERE relname = '$2'"
	a=$(q "$sql")
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.3
		b=$(q "$sql")
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$a"
}

# n_tup_ins + n_tup_upd of a table (runs by default)
tuple_writes() {
	table_counter "n_tup_ins + n_tup_upd" "${1:-runs}"
}

runs_tuple_writes() {
	tuple_writes runs
}

# Loads the fixture inventory into the current database.
load_inventory() {
	chm-load "$FIXTURES/inventory.ndjson" >/dev/null
}

# One canonical run line for pipeline acme/orders_daily: run_line ID STATUS [extra json fields]
run_line() {
	local extra=${3:-}
	printf '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"%s","status":"%s"%s}\n' "$1" "$2" "${extra:+,$extra}"
}

runs_writes() {
	runs_tuple_writes
}

# The stored run of client $1, pipeline $2, run id $3:
# status|started|finished|duration|rows|error|reason, "-" for null.
runrow() {
	q "SELECT r.status, coalesce(to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '-'),
	          coalesce(to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '-'),
	          coalesce(r.duration_seconds::text, '-'), coalesce(r.rows_processed::text, '-'),
	          coalesce(r.error_message, '-'), coalesce(r.status_reason, '-')
	   FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id
	   WHERE c.name = '$1' AND p.name = '$2' AND r.external_run_id = '$3'"
}
