# A Citus cluster for the tests of one file (t09xx): a coordinator and two
# workers, each a tools/pg.sh server in its own directory, reached by its
# Unix socket only (the workers reach each other the same way). Without Citus
# installed, every test of the file skips saying how to get it.
#   load citus_helper; setup_file() { citus_setup_file; }; teardown_file() { citus_teardown_file; }

_pg_lib() {
	local bindir
	bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	echo "${bindir%/bin}/lib"
}

citus_installed() {
	[ -f "$(_pg_lib)/citus.so" ]
}

CITUS_SKIP="Citus is not installed in $(_pg_lib): \`make citus\` builds it (from ../shared/deps or CHM_CITUS_SRC), then run these tests again"

citus_setup_file() {
	citus_installed || return 0
	# short: a socket path must fit in 107 bytes
	CHM_CITUS_DIR=$(mktemp -d /tmp/chm-citus.XXXXXX)
	export CHM_CITUS_DIR
	local n
	for n in coord w1 w2; do
		sh "$CHM_ROOT/tools/pg.sh" start "$CHM_CITUS_DIR/$n" fast citus >/dev/null
	done
}

citus_teardown_file() {
	[ -n "${CHM_CITUS_DIR:-}" ] || return 0
	local n
	for n in coord w1 w2; do
		sh "$CHM_ROOT/tools/pg.sh" stop "$CHM_CITUS_DIR/$n" || true
	done
	rm -rf "$CHM_CITUS_DIR"
}

# Each test starts here: skips without Citus.
citus_require() {
	citus_installed || skip "$CITUS_SKIP"
}

# psql on one node of the cluster: cnode NODE [psql args...]
cnode() {
	local node=$1
	shift
	psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$CHM_CITUS_DIR/$node" -p 5432 -U postgres "$@"
}

# A new database on every node, with the workers added on the coordinator;
# prints the coordinator's conninfo. Not migrated.
citus_db() {
	local db=$1 n
	for n in coord w1 w2; do
		cnode "$n" -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1
		cnode "$n" -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
		cnode "$n" -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION citus" >/dev/null
	done
	cnode coord -d "$db" -c "SELECT citus_set_coordinator_host('$CHM_CITUS_DIR/coord', 5432)" >/dev/null
	for n in w1 w2; do
		cnode coord -d "$db" -c "SELECT citus_add_node('$CHM_CITUS_DIR/$n', 5432)" >/dev/null
	done
	echo "host=$CHM_CITUS_DIR/coord port=5432 user=postgres dbname=$db"
}
