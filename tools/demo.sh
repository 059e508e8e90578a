#!/bin/sh
# make demo: a CHM database with the fixture inventory and history.
# Uses $CHM_DATABASE_URL or PG* when set; else a cluster under .chm/pg.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/bin
say() { echo "demo: $*" >&2; }

if [ -z "${CHM_DATABASE_URL:-}${PGHOST:-}${PGDATABASE:-}${PGSERVICE:-}" ]; then
	say "no database configured: using the local cluster in .chm/pg"
	eval "$(sh "$root/tools/pg.sh" start "$root/.chm/pg")"
	export PGHOST PGPORT PGUSER
	psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'chm'" | grep -q 1 ||
		psql -X -q -d postgres -c "CREATE DATABASE chm" >/dev/null
	export PGDATABASE=chm
	local_pg=1
fi
say "migrating"
"$bin/chm" migrate >/dev/null
say "loading the fixture inventory and history"
"$bin/chm-load" "$root/fixtures/inventory.ndjson" "$root/fixtures/runs/history.ndjson" >&2
psql -X -q -P pager=off -c "
SELECT c.name AS client, p.name AS pipeline, p.platform, r.status, r.started_at
FROM pipelines p JOIN clients c ON c.id = p.client_id
LEFT JOIN LATERAL (SELECT status, started_at FROM runs WHERE pipeline_id = p.id
                   ORDER BY started_at DESC NULLS LAST, finished_at DESC NULLS LAST, id DESC LIMIT 1) r ON true
ORDER BY 1, 2"
if [ -n "${local_pg:-}" ]; then
	say "reach it with: psql -h $PGHOST -p $PGPORT -U postgres chm"
	say "stop it with:  make demo-stop"
fi
