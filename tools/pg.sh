#!/bin/sh
# A private PostgreSQL cluster in a directory, reachable only by its Unix
# socket in that directory (no TCP). Used by the tests (a throwaway one) and
# by `make demo` (.chm/pg, kept between runs).
#
#   pg.sh start DIR [fast] [citus]
#                            initdb when new, start when stopped; prints the
#                            environment to reach it (eval it). citus: the
#                            server preloads Citus (a node of a test cluster,
#                            tests/citus_helper.bash)
#   pg.sh stop DIR           stop it when running
#   pg.sh env DIR            print the environment only
#
# As root, the server runs as the `postgres` system user: initdb refuses root.
set -eu

cmd=${1:?usage: pg.sh start|stop|env DIR}
dir=${2:?usage: pg.sh start|stop|env DIR}
mode=${3:-}
citus=
[ "${4:-}" = citus ] || [ "$mode" = citus ] && citus=1
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "pg.sh: no PostgreSQL server installed (make deps)" >&2; exit 78; }
port=5432

as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

envout() {
	echo "export PGHOST='$dir' PGPORT='$port' PGUSER='postgres'"
}

case $cmd in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$dir"
		chmod 700 "$dir"
		# the server must be able to reach its directory
		p=$(dirname "$dir")
		while [ "$p" != / ]; do chmod o+x "$p" 2>/dev/null || true; p=$(dirname "$p"); done
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_server "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
			--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 70; }
		{
			echo "listen_addresses = ''"
			echo "unix_socket_directories = '$dir'"
			echo "port = $port"
			echo "timezone = 'UTC'"
			echo "max_connections = 50"
			if [ "$mode" = fast ]; then
				# throwaway test data: durability buys nothing
				echo "fsync = off"
				echo "synchronous_commit = off"
				echo "full_page_writes = off"
			fi
			if [ -n "$citus" ]; then
				echo "shared_preload_libraries = 'citus'"
				# how the node reaches itself (Citus's default is localhost:
				# TCP, which these servers do not listen on)
				echo "citus.local_hostname = '$dir'"
				# a node opens connections to the others for each shard it touches
				echo "max_connections = 200"
				# Citus keeps a maintenance daemon (a background worker) for each
				# database with the extension, and the tests make one a test
				echo "max_worker_processes = 32"
			fi
		} >>"$dir/data/postgresql.conf"
	fi
	if ! as_server "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
			{ tail -n 20 "$dir/server.log" >&2; exit 75; }
	fi
	envout
	;;
stop)
	[ -d "$dir/data" ] || exit 0
	dir=$(cd "$dir" && pwd)
	if as_server "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_server "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	fi
	;;
env)
	dir=$(cd "$dir" && pwd)
	envout
	;;
*)
	echo "usage: pg.sh start|stop|env DIR" >&2
	exit 64
	;;
esac
