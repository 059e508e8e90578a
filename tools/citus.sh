#!/bin/sh
# Builds and installs Citus (distributed PostgreSQL) into the PostgreSQL the
# tests and the demo run (tools/pg.sh: the newest /usr/lib/postgresql/*/bin),
# when it is not there yet. Debian has no Citus package, so this builds the
# source tarball in CHM_CITUS_SRC (a directory holding citus-*.tar.gz and,
# optionally, citus-*.patch files applied in name order). A real deployment
# uses Citus's own packages instead (README, "Beyond one machine").
#
#   citus.sh [SRC_DIR]     SRC_DIR defaults to $CHM_CITUS_SRC, then ../shared/deps
#
# Idempotent: exits 0 at once when citus.so is installed; exits 0 with a
# "skipped:" line when there is no source, so CI without it still passes (the
# Citus tests then skip). The build happens in a temporary directory.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-${CHM_CITUS_SRC:-$root/../shared/deps}}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "citus: no PostgreSQL server installed (make deps)" >&2; exit 78; }
pgver=$(basename "$(dirname "$bindir")")
pglib=/usr/lib/postgresql/$pgver/lib

if [ -f "$pglib/citus.so" ]; then
	echo "citus: installed ($pglib/citus.so)"
	exit 0
fi

tarball=$(ls "$src"/citus-*.tar.gz 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$tarball" ]; then
	echo "citus: skipped: no Citus source at $src (set CHM_CITUS_SRC to a directory with citus-*.tar.gz)"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
# The server headers must match the installed server, hence its version's -dev.
need="postgresql-server-dev-$pgver liblz4-dev libzstd-dev libkrb5-dev build-essential"
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "citus: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends $missing
fi

work=$(mktemp -d /tmp/chm-citus-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "citus: building $(basename "$tarball") for PostgreSQL $pgver (log: $work/build.log while it runs)"
start=$(date +%s)
tar xzf "$tarball" -C "$work"
dir=$(ls -d "$work"/citus-*/ | head -n 1)
for p in $(ls "$src"/citus-*.patch 2>/dev/null | sort); do
	echo "citus: applying $(basename "$p")"
	patch -d "$dir" -p1 -s <"$p"
done
log=$work/build.log
if ! (cd "$dir" && ./configure PG_CONFIG="$bindir/pg_config" --without-libcurl &&
	make -j"$(nproc)" && $SUDO make install) >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "citus: build failed" >&2
	exit 1
fi
echo "citus: installed into $pglib in $(($(date +%s) - start)) s"
