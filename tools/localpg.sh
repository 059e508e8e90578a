#!/bin/sh
# make demo-stop: stops the cluster `make demo` made under .chm/pg.
root=$(cd "$(dirname "$0")/.." && pwd)
exec sh "$root/tools/pg.sh" "${1:-stop}" "$root/.chm/pg"
