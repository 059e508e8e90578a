#!/usr/bin/env bash
# Where chm-load's and the server's time goes for one shape of fleet (issue 19:
# a few busy pipelines vs make bench's 1000). Not part of make bench.
#
#   tests/bench/load_profile.sh PIPELINES RUNS DAYS [CLIENTS]
#   e.g. tests/bench/load_profile.sh 42 1050000 90 5     (42 x 25k)
#        tests/bench/load_profile.sh 1000 1000000 90 20  (make bench's 1M)
#
# On make bench's private cluster (.chm/bench-pg), with make bench's seed and
# end: a first load, COPY of the same rows, an unchanged replay (timed plainly,
# after checkpoints, as rows 1 and 2), then the same three again under
# `perf record -a` (when perf is installed: CPU seconds and top symbols of the
# backend, chm-load and psql; perf's own stop rounds those wall times up to a
# second, so they are not the timings), then one more replay under auto_explain
# (ANALYZE, BUFFERS): the upsert's time per batch and the blocks its scan of
# chm_stage read. Results in build/bench-profile/P-R-D/summary.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
B=$root/build/bin
P=${1:?pipelines} R=${2:?runs} DAYS=${3:?days} C=${4:-5}
O=$root/build/bench-profile/$P-$R-$DAYS
mkdir -p "$O"
eval "$(sh "$root/tools/pg.sh" start "$root/.chm/bench-pg")"
export PGHOST PGPORT PGUSER
unset PGDATABASE CHM_DATABASE_URL
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
RUNCOLS="pipeline_id, external_run_id, status, started_at, finished_at, duration_seconds, rows_processed, error_message, status_reason, payload"
synth() { "$B/chm-synth" --seed 42 --clients "$C" --pipelines "$P" --end 2026-11-01T00:00:00Z "$@" || [ $? -eq 141 ]; }
set +o pipefail
synth --inventory --days 1 --format canonical | grep -v '"type":"run"' >"$O/inventory.ndjson"
synth --days "$DAYS" --runs $(( R * 11 / 10 )) --format canonical | head -n "$R" >"$O/runs.ndjson"
set -o pipefail
newdb() {
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1" 2>/dev/null
	"${PSQL[@]}" -d postgres -c "CREATE DATABASE $1"
	PGDATABASE=$1 "$B/chm" migrate >/dev/null
	PGDATABASE=$1 "$B/chm-load" "$O/inventory.ndjson" >/dev/null
}
ckpt() { "${PSQL[@]}" -d postgres -c CHECKPOINT; }
now() { date +%s.%N; }
log=$root/.chm/bench-pg/server.log
# step TAG.STEP CMD...: CMD under $WRAP; its process id goes to TAG.STEP.pids
# and, from the server log (log_disconnections for its sessions), its backends'
step() {
	local name=$1 n0
	shift
	n0=$(wc -l <"$log")
	$WRAP -o "$O/$name.perf" -- sh -c 'echo $$ >"$0"; exec "$@"' "$O/$name.pids" \
		env PGOPTIONS="-c log_disconnections=on" "$@"
	tail -n +$(( n0 + 1 )) "$log" | sed -n 's/.*\[\([0-9]*\)\] LOG:  disconnection: .*database=prof_.*/\1/p' >>"$O/$name.pids"
}
# one round: first load, COPY, replay (as make bench's rows 1 and 2)
round() {
	local tag=$1 t0 t1 t2 t3 t4 t5
	newdb prof_load; newdb prof_copy
	ckpt; t0=$(now)
	step "$tag.first" env PGDATABASE=prof_load "$B/chm-load" "$O/runs.ndjson" >"$O/$tag.first.out"
	t1=$(now)
	"${PSQL[@]}" -d prof_load -c "COPY (SELECT $RUNCOLS FROM runs ORDER BY id) TO STDOUT" >"$O/runs.copy"
	ckpt; t2=$(now)
	step "$tag.copy" psql -X -q -d prof_copy -c "COPY runs ($RUNCOLS) FROM STDIN" <"$O/runs.copy"
	t3=$(now)
	"${PSQL[@]}" -d prof_load -c "VACUUM ANALYZE"
	ckpt; t4=$(now)
	step "$tag.replay" env PGDATABASE=prof_load "$B/chm-load" "$O/runs.ndjson" >"$O/$tag.replay.out"
	t5=$(now)
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v f="$t5" -v t="$tag" 'BEGIN {
		printf "%s: first load %.2f s, COPY %.2f s (COPY/first %.3f), replay %.2f s (first/replay %.2f)\n",
			t, b - a, d - c, (d - c) / (b - a), f - e, (b - a) / (f - e) }'
}
# a no-op wrapper taking perf's arguments
plain() { while [ "$1" != -- ]; do shift; done; shift; "$@"; }
{
echo "shape: $P pipelines, $R runs over $DAYS days, $C clients; $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
WRAP=plain round plain
if command -v perf >/dev/null; then
	WRAP="perf record -q -F 999 -a" round perf >/dev/null
	set +o pipefail  # head closes perf report's pipe
	for st in first copy replay; do
		f=$O/perf.$st.perf
		echo "-- $st under perf: CPU seconds of the client and its backends (perf -a: samples / 999 Hz)"
		for pid in $(cat "$O/perf.$st.pids"); do
			n=$(perf report -i "$f" --no-children --pid "$pid" --sort pid --stdio -F sample,pid 2>/dev/null |
				grep -v '^#' | grep -v '^$' | awk '{ n += $1; c = $2 } END { printf "%.2f s %s", n / 999, c }')
			echo "   $pid: $n"
			perf report -i "$f" --no-children --pid "$pid" --percentage relative --sort dso,symbol --stdio 2>/dev/null |
				grep -v '^#' | grep -v '^$' | head -n 12 | awk '{ printf "     %7s %s\n", $1, $4 }'
		done
	done
	set -o pipefail
else
	echo "perf is not installed: no profile"
fi
# the replay's upserts under auto_explain
n0=$(wc -l <"$log")
PGOPTIONS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on -c auto_explain.log_format=json" \
	PGDATABASE=prof_load "$B/chm-load" "$O/runs.ndjson" >/dev/null
tail -n +$(( n0 + 1 )) "$log" >"$O/replay.autoexplain.log"
python3 - "$O/replay.autoexplain.log" <<'EOF'
import json, re, sys
txt = open(sys.argv[1]).read()
rows = []
for part in re.split(r'\n[^\n]*LOG:  duration: ', txt)[1:]:
    m = re.match(r'([\d.]+) ms  plan:\n(.*)', part, re.S)
    if not m:
        continue
    body = m.group(2)
    try:
        j = json.loads(body[body.index('{'):body.rindex('}') + 1])
    except ValueError:
        continue
    if "batch upsert" not in j.get("Query Text", ""):
        continue
    def stage(n):
        if n.get("Relation Name") == "chm_stage":
            return n
        for c in n.get("Plans", []):
            s = stage(c)
            if s:
                return s
    s = stage(j["Plan"]) or {}
    rows.append((float(m.group(1)), s.get("Shared Hit Blocks", 0) + s.get("Shared Read Blocks", 0),
                 s.get("Actual Total Time", 0), s.get("Actual Rows", 0)))
big = [r for r in rows if r[3] > 1000]
print(f"-- replay under auto_explain: {len(rows)} upsert rounds, {sum(r[0] for r in rows):.0f} ms in all")
for name, sel in (("first", big[:3]), ("last", big[-3:])):
    for ms, blocks, st, n in sel:
        print(f"   {name}: {ms:.1f} ms, {n} staged rows, chm_stage scan {st:.1f} ms over {blocks} blocks")
EOF
} | tee "$O/summary.txt"
sh "$root/tools/pg.sh" stop "$root/.chm/bench-pg"
