#!/bin/sh
# A private Citus cluster in a directory: a coordinator and two workers, each
# a tools/pg.sh server in DIR/coord, DIR/w1, DIR/w2, reached by its Unix
# socket only (the nodes reach each other the same way). Used by the cluster
# tests (tests/citus_helper.bash) and by `make bench BENCH_ENGINE=citus`.
# Needs Citus installed (make citus).
#
#   citus-cluster.sh start DIR [fast]   start the three nodes (initdb when new);
#                                       prints the coordinator's environment
#   citus-cluster.sh stop DIR           stop them
#   citus-cluster.sh db DIR NAME        a new, empty database NAME on every node
#                                       with the citus extension and the workers
#                                       added on the coordinator (replaces, by force, one of
#                                       that name), for `chm migrate --citus`
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: citus-cluster.sh start|stop|db DIR ...}
dir=${2:?usage: citus-cluster.sh start|stop|db DIR ...}
nodes="coord w1 w2"

node_sql() {
	PGOPTIONS='-c client_min_messages=warning' \
		psql -X -q -At -v ON_ERROR_STOP=1 -h "$dir/$1" -p 5432 -U postgres -d "$2" -c "$3"
}

case $cmd in
start)
	for n in $nodes; do
		sh "$root/tools/pg.sh" start "$dir/$n" "${3:-durable}" citus >/dev/null
	done
	sh "$root/tools/pg.sh" env "$dir/coord"
	;;
stop)
	for n in $nodes; do
		sh "$root/tools/pg.sh" stop "$dir/$n" || true
	done
	;;
db)
	db=${3:?usage: citus-cluster.sh db DIR NAME}
	dir=$(cd "$dir" && pwd)
	for n in $nodes; do
		node_sql "$n" postgres "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
		node_sql "$n" postgres "CREATE DATABASE \"$db\"" >/dev/null
		node_sql "$n" "$db" "SET client_min_messages = warning; CREATE EXTENSION citus" >/dev/null
	done
	node_sql coord "$db" "SELECT citus_set_coordinator_host('$dir/coord', 5432)" >/dev/null
	for n in w1 w2; do
		node_sql coord "$db" "SELECT citus_add_node('$dir/$n', 5432)" >/dev/null
	done
	;;
*)
	echo "usage: citus-cluster.sh start|stop|db DIR ..." >&2
	exit 64
	;;
esac
