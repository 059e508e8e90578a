# One throwaway PostgreSQL for the whole test run (tools/pg.sh), with a
# migrated template database that each test file clones (helper.bash).
# teardown_suite stops it whether the tests passed or not.

setup_suite() {
	export CHM_ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
	export CHM_BIN="${CHM_BIN:-$CHM_ROOT/build/asan/bin}"
	export PATH="$CHM_BIN:$PATH"
	export CHM_TEST_PGDIR="$(mktemp -d /tmp/chm-test-pg.XXXXXX)"
	# leaks are errors; libpq and curl keep nothing we did not free
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98"
	unset PGDATABASE PGSERVICE PGPASSWORD CHM_DATABASE_URL
	eval "$(sh "$CHM_ROOT/tools/pg.sh" start "$CHM_TEST_PGDIR/pg" fast)"
	export PGHOST PGPORT PGUSER
	psql -X -q -d postgres -c "CREATE DATABASE chm_template" >/dev/null
	chm --db "dbname=chm_template" migrate >/dev/null
}

teardown_suite() {
	if [ -n "${CHM_TEST_PGDIR:-}" ]; then
		sh "$CHM_ROOT/tools/pg.sh" stop "$CHM_TEST_PGDIR/pg" || true
		rm -rf "$CHM_TEST_PGDIR"
	fi
}
