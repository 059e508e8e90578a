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
	sh "$CHM_ROOT/tools/citus-cluster.sh" start "$CHM_CITUS_DIR" fast >/dev/null
}

citus_teardown_file() {
	[ -n "${CHM_CITUS_DIR:-}" ] || return 0
	sh "$CHM_ROOT/tools/citus-cluster.sh" stop "$CHM_CITUS_DIR"
	rm -rf "$CHM_CITUS_DIR"
}

# Each test starts here: skips without Citus.
citus_require() {
	citus_installed || skip "$CITUS_SKIP"
}

# A new database on every node, with the workers added on the coordinator;
# prints the coordinator's conninfo. Not migrated.
citus_db() {
	sh "$CHM_ROOT/tools/citus-cluster.sh" db "$CHM_CITUS_DIR" "$1"
	echo "host=$CHM_CITUS_DIR/coord port=5432 user=postgres dbname=$1"
}
