#!/usr/bin/env bash
# make bench: CHM against the limit and the peers, measured side by side in one
# run (absolute times on a shared machine are noise; ratios are what count).
#
#   BENCH_SCALE=1M (default) | 10M | 100k ...   runs in the main data set
#   BENCH_ROWS="1 2 3 4 5 6 7 8 9" (default)       which rows to measure; e.g.
#                                                BENCH_SCALE=10M BENCH_ROWS=7
#   BENCH_ORDER=pipeline (default) | start       the canonical runs' order for
#                                                rows 1-3 and 6 (see below)
#   BENCH_OUT=build/bench                        where data and results go
#   BENCH_ENGINE=postgres (default) | citus      citus: every database is on a
#                                                private Citus cluster (a
#                                                coordinator and two workers under
#                                                .chm/bench-citus, tools/citus-cluster.sh),
#                                                laid out by `chm migrate --citus`;
#                                                rows 1 2 5 7 by default, the
#                                                anchors (COPY) into the same cluster
#   PG* / CHM_DATABASE_URL unset: a private cluster under .chm/bench-pg
#
# Prints one table and writes it as $BENCH_OUT/results.ndjson and .csv.
# Each row: what, ours, anchor, ratio, target, met. Rows are numbered as in
# issue 9. Data comes from chm-synth with a fixed seed and end time.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
B=$root/build/bin
JPARSE=$root/build/bench/jparse
SCALE=${BENCH_SCALE:-1M}
ENGINE=${BENCH_ENGINE:-postgres}
if [ "$ENGINE" = citus ]; then OUT=${BENCH_OUT:-$root/build/bench-citus}; else OUT=${BENCH_OUT:-$root/build/bench}; fi
case $ENGINE in
postgres) ROWS=" ${BENCH_ROWS:-1 2 3 4 5 6 7 8 9} " ;;
citus) ROWS=" ${BENCH_ROWS:-1 2 5 7} " ;;
*) echo "bench: BENCH_ENGINE is postgres or citus" >&2; exit 64 ;;
esac
want() { local r; for r in "$@"; do [[ $ROWS == *" $r "* ]] && return 0; done; return 1; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
D=$OUT/data
mkdir -p "$D"

case $SCALE in
*[kK]) N=$(( ${SCALE%[kK]} * 1000 )) ;;
*[mM]) N=$(( ${SCALE%[mM]} * 1000000 )) ;;
*) N=$SCALE ;;
esac
# 1000 pipelines make ~11.8k runs a day: 90 days at 1M, 900 days at 10M.
PIPES=1000 CLIENTS=20 END=2026-11-01T00:00:00Z SEED=42
DAYS=$(( (N * 90 + 999999) / 1000000 )); [ "$DAYS" -ge 1 ] || DAYS=1
SMALL=10000

say() { printf 'bench: %s\n' "$*" >&2; }

# ---- the database ----------------------------------------------------------
CITUS_DIR=$root/.chm/bench-citus
if [ "$ENGINE" = citus ]; then
	pglib=$(ls -d /usr/lib/postgresql/*/lib 2>/dev/null | sort -V | tail -n 1)
	[ -f "$pglib/citus.so" ] || { say "BENCH_ENGINE=citus: Citus is not installed (make citus)"; exit 69; }
	# the same durability as the single-node bench server (no "fast")
	eval "$(sh "$root/tools/citus-cluster.sh" start "$CITUS_DIR")"
	export PGHOST PGPORT PGUSER
	own_citus=1
elif [ -z "${PGHOST:-}${PGDATABASE:-}${CHM_DATABASE_URL:-}" ]; then
	eval "$(sh "$root/tools/pg.sh" start "$root/.chm/bench-pg")"
	export PGHOST PGPORT PGUSER
	own_pg=1   # stopped at the end; the data directory stays for the next run
fi
unset CHM_DATABASE_URL PGDATABASE
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
sql() { local db=$1; shift; "${PSQL[@]}" -d "$db" -c "$*"; }
newdb() {
	if [ "$ENGINE" = citus ]; then
		sh "$root/tools/citus-cluster.sh" db "$CITUS_DIR" "$1"
		PGDATABASE=$1 "$B/chm" migrate --citus >/dev/null
	else
		sql postgres "DROP DATABASE IF EXISTS $1" 2>/dev/null
		sql postgres "CREATE DATABASE $1"
		PGDATABASE=$1 "$B/chm" migrate >/dev/null
	fi
	PGDATABASE=$1 "$B/chm-load" "$D/inventory.ndjson" >/dev/null
}
lsn() { sql "$1" "SELECT pg_current_wal_lsn()"; }
waldiff() { sql postgres "SELECT pg_wal_lsn_diff('$2', '$1')::bigint"; }
# before each timed step: no autovacuum worker still busy with an earlier
# step's table (it would share the two cores with the step), and a checkpoint
checkpoint() {
	local i
	for i in $(seq 240); do
		[ "$(sql postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
		sleep 0.5
	done
	sql postgres "CHECKPOINT"
}
RUNCOLS="pipeline_id, external_run_id, status, started_at, finished_at, duration_seconds, rows_processed, error_message, status_reason, payload"
# the rows chm-load stored, as the COPY a user would send: the anchor's input
dumprows() { sql "$1" "COPY (SELECT $RUNCOLS FROM runs ORDER BY id) TO STDOUT" >"$2"; }

# ---- measuring -------------------------------------------------------------
# timed NAME CMD: runs CMD (a shell string) under /usr/bin/time; sets T (wall
# seconds), RSS (peak KiB of the largest process), CPU (user+sys seconds).
timed() {
	local name=$1 cmd=$2 t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M %U %S' -o "$OUT/time.$name" bash -c "set -o pipefail; $cmd"
	t1=$(date +%s.%N)
	read -r RSS u s <"$OUT/time.$name"
	T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	CPU=$(awk -v a="$u" -v b="$s" 'BEGIN { printf "%.2f", a + b }')
	say "$name: ${T}s, cpu ${CPU}s, peak RSS ${RSS} KiB"
}
# timed_load NAME CMD: timed, after a checkpoint, on bench_load; also sets WAL
# (bytes of WAL written meanwhile)
timed_load() {
	local w0 w1
	checkpoint
	w0=$(lsn bench_load)
	timed "$1" "$2"
	w1=$(lsn bench_load)
	WAL=$(waldiff "$w0" "$w1")
}
# peak RSS of one program of a pipeline: rss_of CMD-BEFORE PROGRAM-AND-ARGS CMD-AFTER
rss_of() {
	/usr/bin/time -f '%M' -o "$OUT/rss" bash -c "set -o pipefail; $1 | $2 $3" >/dev/null
	cat "$OUT/rss"
}
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
rate() { calc "$1 / $2" 0; }

RESULTS=$OUT/results.ndjson
: >"$RESULTS.tmp"
COMMIT=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# row ID WHAT OURS ANCHOR RATIO TARGET MET [NOTE]
row() {
	jq -nc --arg id "$1" --arg what "$2" --arg ours "$3" --arg anchor "$4" --arg ratio "$5" \
		--arg target "$6" --arg met "$7" --arg note "${8:-}" --arg commit "$COMMIT" \
		--arg date "$DATE" --arg scale "$SCALE" --arg engine "$ENGINE" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
		'{id: $id, what: $what, ours: $ours, anchor: $anchor, ratio: $ratio, target: $target,
		  met: $met, note: $note, scale: $scale, engine: $engine, commit: $commit, date: $date, loadavg: $load}' \
		>>"$RESULTS.tmp"
	say "row $1 $2: $3 vs $4 -> $5 ($6: $7)"
}
met() { awk "BEGIN { exit !($1) }" && echo yes || echo NO; }

# ---- data --------------------------------------------------------------------
# (head closes the pipe early: a SIGPIPE'd generator is not an error)
synth() { "$B/chm-synth" --seed $SEED --clients $CLIENTS --pipelines $PIPES --end $END "$@" || [ $? -eq 141 ]; }
set +o pipefail  # head closes the generators' pipes early; the counts are checked below
say "scale $SCALE: $N runs over $DAYS days, $PIPES pipelines; data in $D"
# only what the rows asked for is made; empty files stand for the rest
: >"$D/canonical.ndjson"; : >"$D/raw.ndjson"; : >"$D/airflow.ndjson"
synth --inventory --days 1 --format canonical | grep -v '"type":"run"' >"$D/inventory.ndjson"
# chm-synth writes one pipeline's whole history after another, as a backfill
# through chm-fetch (page by page, pipeline by pipeline) arrives: rows 1-3 load
# that by default. BENCH_ORDER=start sorts it by start time instead, as an
# archive of many fetch cycles replays. Row 7 always queries a history in
# start-time order, the order a table that grew over months has (see there).
# sort -s keeps a run's events in their order.
by_start() {
	awk -F'"started_at":"' '{ split($2, a, "\""); print a[1] "\t" $0 }' |
		LC_ALL=C sort -s -t "$(printf '\t')" -k1,1 -S 25% -T "$D" | cut -f2-
}
in_order() { if [ "${BENCH_ORDER:-pipeline}" = start ]; then by_start; else cat; fi; }
# --runs makes about N (within 10%): ask for 10% more and keep N
want 1 2 3 6 7 9 && synth --days "$DAYS" --runs $(( N * 11 / 10 )) --format canonical | head -n "$N" | in_order >"$D/canonical.ndjson"
want 5 6 && synth --days "$DAYS" --runs $(( N * 11 / 10 )) --format raw --vendor-mapping rat | head -n "$N" >"$D/raw.ndjson"
# the Airflow-only feed of row 4: 12% of the raw records are Airflow, so six
# times the pipelines over the same days
want 4 && PIPES=$(( PIPES * 6 )) synth --days "$DAYS" --format raw |
	grep -F '"source":"airflow"' | head -n "$N" >"$D/airflow.ndjson"
# 10% of the runs change status (every tenth line): success <-> failed,
# running -> success; applied under --regressions accept.
want 3 && awk 'NR % 10 == 0 {
	if (!sub(/"status":"success"/, "\"status\":\"failed\""))
		if (!sub(/"status":"failed"/, "\"status\":\"success\""))
			sub(/"status":"[a-z]*"/, "\"status\":\"success\"")
} { print }' "$D/canonical.ndjson" >"$D/changed.ndjson"
head -n $SMALL "$D/canonical.ndjson" >"$D/canonical.small.ndjson"
head -n $SMALL "$D/raw.ndjson" >"$D/raw.small.ndjson"
n_canon=$(wc -l <"$D/canonical.ndjson")
n_raw=$(wc -l <"$D/raw.ndjson")
n_air=$(wc -l <"$D/airflow.ndjson")
set -o pipefail
for n in "$n_canon" "$n_raw" "$n_air"; do
	[ "$n" -eq 0 ] || [ "$n" -gt $(( N * 9 / 10 )) ] || { say "the synthetic data came out short ($n lines)"; exit 70; }
done

# ---- 1-3: chm-load vs COPY; replays ----------------------------------------
if want 1 2 3 6; then
newdb bench_load
newdb bench_copy
timed_load load_first "PGDATABASE=bench_load '$B/chm-load' '$D/canonical.ndjson' >'$OUT/load_first.out'"
t_load=$T rss_load=$RSS wal_first=$WAL
dumprows bench_load "$D/canonical.copy"
n_loaded=$(wc -l <"$D/canonical.copy")
checkpoint
timed copy_first "psql -X -q -v ON_ERROR_STOP=1 -d bench_copy -c 'COPY runs ($RUNCOLS) FROM STDIN' <'$D/canonical.copy'"
t_copy=$T
r=$(calc "$t_copy / $t_load")
row 1 "chm-load first load, rows/s ($n_canon canonical runs, $n_loaded rows)" \
	"$(rate "$n_canon" "$t_load")" "$(rate "$n_loaded" "$t_copy") (COPY runs FROM STDIN)" \
	"$r" ">= 0.8" "$(met "$r >= 0.8")"

# what autovacuum would do to the freshly loaded table anyway (set hint bits and
# the visibility map, which writes WAL), done before the replay is measured
sql bench_load "VACUUM ANALYZE runs"
if want 2; then
timed_load load_replay "PGDATABASE=bench_load '$B/chm-load' '$D/canonical.ndjson' >'$OUT/load_replay.out'"
t_replay=$T wal_replay=$WAL
r=$(calc "$t_load / $t_replay")
row 2a "unchanged replay vs first load, rows/s" "$(rate "$n_canon" "$t_replay")" \
	"$(rate "$n_canon" "$t_load") (first load)" "$r" ">= 2" "$(met "$r >= 2")" \
	"$(jq -c . "$OUT/load_replay.out")"
r=$(calc "$wal_replay / $wal_first" 4)
row 2b "unchanged replay WAL vs first load's, bytes" "$wal_replay" "$wal_first" "$r" "<= 0.01" \
	"$(met "$r <= 0.01")"
fi

if want 3; then
timed_load load_changed "PGDATABASE=bench_load '$B/chm-load' --regressions accept '$D/changed.ndjson' >'$OUT/load_changed.out'"
t_changed=$T wal_changed=$WAL
row 3a "replay with 10% changed status, rows/s vs first load" "$(rate "$n_canon" "$t_changed")" \
	"$(rate "$n_canon" "$t_load") (first load)" "$(calc "$t_load / $t_changed")" "report" "-" \
	"$(jq -c . "$OUT/load_changed.out")"
row 3b "replay with 10% changed status, WAL bytes vs first load's" "$wal_changed" "$wal_first" \
	"$(calc "$wal_changed / $wal_first" 4)" "report" "-"
fi
elif want 7 9; then
	newdb bench_load
	say "loading $N runs for rows 7 and 9"
	PGDATABASE=bench_load "$B/chm-load" "$D/canonical.ndjson" >/dev/null
fi

# ---- 4: chm-normalize vs jq, python, bare jansson --------------------------
if want 4; then
checkpoint
timed norm_airflow "'$B/chm-normalize' '$D/airflow.ndjson' >'$D/airflow.norm.ndjson'"
t_norm=$T
timed jq_airflow "jq -c -f '$root/tests/bench/airflow_map.jq' '$D/airflow.ndjson' >'$OUT/jq.out'"
t_jq=$T
timed py_airflow "python3 '$root/tests/bench/airflow_map.py' <'$D/airflow.ndjson' >'$OUT/py.out'"
t_py=$T
timed jparse_airflow "'$JPARSE' <'$D/airflow.ndjson' >/dev/null"
t_jparse=$T
ours=$(rate "$n_air" "$t_norm")
r=$(calc "$t_jq / $t_norm" 2)
row 4a "chm-normalize vs jq -c (same mapping), records/s" "$ours" "$(rate "$n_air" "$t_jq")" "$r" \
	">= 2.5" "$(met "$r >= 2.5")"
r=$(calc "$t_py / $t_norm" 2)
row 4b "chm-normalize vs python3 json (same mapping), records/s" "$ours" "$(rate "$n_air" "$t_py")" \
	"$r" ">= 1.2" "$(met "$r >= 1.2")"
r=$(calc "$t_norm / $t_jparse" 2)
row 4c "chm-normalize time vs a bare jansson parse loop (x slower)" "$ours" \
	"$(rate "$n_air" "$t_jparse")" "$r" "<= 1.6 (aim)" "$(met "$r <= 1.6")"
fi

# the raw feed's vendor records name the RAT mapping (chm-synth --vendor-mapping)
NORM="'$B/chm-normalize' --mapping '$root/pipelines/vendors/rat.json' --rejects '$OUT/normalize.rejects'"
# ---- 5: end to end vs COPY of the normalized rows --------------------------
if want 5; then
newdb bench_e2e
newdb bench_e2e_copy
checkpoint
timed e2e "$NORM '$D/raw.ndjson' | PGDATABASE=bench_e2e '$B/chm-load' >'$OUT/e2e.out'"
t_e2e=$T
dumprows bench_e2e "$D/raw.copy"
n_e2e=$(wc -l <"$D/raw.copy")
checkpoint
timed e2e_copy "psql -X -q -v ON_ERROR_STOP=1 -d bench_e2e_copy -c 'COPY runs ($RUNCOLS) FROM STDIN' <'$D/raw.copy'"
r=$(calc "$T / $t_e2e")
row 5 "chm-normalize piped to chm-load ($n_raw raw records) vs COPY of the rows, rows/s" \
	"$(rate "$n_raw" "$t_e2e")" "$(rate "$n_e2e" "$T")" "$r" ">= 0.75" "$(met "$r >= 0.75")"
fi

# ---- 6: peak RSS, 10k vs N -------------------------------------------------
if want 6; then
rss_norm_big=$(rss_of "cat '$D/raw.ndjson'" "$NORM" ">/dev/null")
rss_norm_small=$(rss_of "cat '$D/raw.small.ndjson'" "$NORM" ">/dev/null")
newdb bench_rss
rss_load_small=$(rss_of "cat '$D/canonical.small.ndjson'" "PGDATABASE=bench_rss '$B/chm-load'" ">/dev/null")
rss_load_big=$rss_load
for p in normalize load; do
	[ $p = normalize ] && big=$rss_norm_big small=$rss_norm_small
	[ $p = load ] && big=$rss_load_big small=$rss_load_small
	r=$(calc "$big / $small" 2)
	row "6-$p" "chm-$p peak RSS KiB, $SCALE vs 10k records" "$big" "$small" "$r" \
		"<= 1.2 and < 32768 KiB" "$(met "$r <= 1.2 && $big < 32768")"
done
fi

# ---- 7: the questions, a long history vs a short one at the same density ----
# The long history is the runs loaded above, copied in start-time order (a
# table that grew over months holds the last week's runs together; loaded
# pipeline by pipeline, they are spread over the whole heap and every
# index-only scan of a window visits ten times the visibility-map pages).
# The short history is the last 1/f of the long one's days, copied from it:
# BENCH_SCALE=10M compares 10M/900d with its last 90 days (1M); below 10M, a
# reduced check compares 1M/90d with its last 30 days (333k). The default
# windows (24 h, 7 d, 30 d) then hold the very same runs in both, so a
# question that reads only its window takes the same time.
if want 7 9; then
if [ "$N" -ge 10000000 ]; then f=10; else f=3; fi
small_days=$(( DAYS / f )); [ "$small_days" -ge 1 ] || small_days=1
newdb bench_q_big
say "copying the $SCALE history in start-time order for row 7"
"${PSQL[@]}" -d bench_load -c "COPY (SELECT $RUNCOLS FROM runs ORDER BY started_at NULLS FIRST, id) TO STDOUT" |
	"${PSQL[@]}" -d bench_q_big -c "COPY runs ($RUNCOLS) FROM STDIN"
newdb bench_q_small
"${PSQL[@]}" -d bench_q_big -c "COPY (SELECT $RUNCOLS FROM runs
	WHERE started_at >= '$END'::timestamptz - interval '$small_days days' ORDER BY id) TO STDOUT" |
	"${PSQL[@]}" -d bench_q_small -c "COPY runs ($RUNCOLS) FROM STDIN"
small_n=$(sql bench_q_small "SELECT count(*) FROM runs")
for db in bench_q_small bench_q_big; do sql "$db" "VACUUM ANALYZE"; done
checkpoint
VIEWS=(chm_q1_failed_runs_hourly chm_q2_latest_run_per_pipeline chm_q3_failures_per_client
	chm_q4_changes_since_yesterday chm_q5_daily_success_rate chm_q6_failing_now
	chm_q7_flaky_pipelines chm_q8_failure_rate_per_platform chm_q9_duration_distribution
	chm_q10_governance)
# qtime DB VIEW: the best of 5 execution times (ms) in one session after a
# warm-up run (a dashboard's pooled connection), and the plan's nodes on runs
qtime() {
	local plans
	if [ "$ENGINE" = citus ]; then qtime_citus "$@"; return; fi
	plans=$({
		echo "BEGIN;"
		# as chm-report runs them (chm_set_clock: on every node of a cluster)
		echo "SELECT chm_set_clock('$END', NULL, NULL), set_config('jit', 'off', true) \\g /dev/null"
		for i in 0 1 2 3 4 5; do echo "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM $2;"; done
		echo "ROLLBACK;"
	} | "${PSQL[@]}" -d "$1")
	QT=$(jq -s '[.[1:][] | .[0]["Execution Time"]] | min' <<<"$plans")
	local j
	j=$(jq -s '.[-1]' <<<"$plans")
	PLAN=$(jq -r '.[0].Plan as $p | [$p["Node Type"]] + ([$p | .. | objects |
		select(.["Relation Name"] == "runs") | .["Node Type"] + (if .["Index Name"] then
		" " + .["Index Name"] else "" end)] | unique) | join("; ")' <<<"$j")
	QROWS=$(jq '.[0].Plan["Actual Rows"]' <<<"$j")
}
# On Citus, EXPLAIN ANALYZE runs a task on the coordinator's own reference
# tables over a connection to itself, where the per-pipeline probe functions
# (022) may not start distributed queries: the time is psql's \timing of the
# query itself (best of 5 after a warm-up, rows sent to /dev/null), the plan
# EXPLAIN's without ANALYZE (the top node and Citus's task count).
qtime_citus() {
	local out
	out=$({
		echo "BEGIN;"
		echo "SELECT chm_set_clock('$END', NULL, NULL), set_config('jit', 'off', true) \\g /dev/null"
		echo "\\timing on"
		for i in 0 1 2 3 4 5; do echo "SELECT * FROM $2 \\g /dev/null"; done
		echo "\\timing off"
		echo "SELECT count(*) FROM $2;"
		echo "EXPLAIN (FORMAT JSON) SELECT * FROM $2;"
		echo "ROLLBACK;"
	} | "${PSQL[@]}" -d "$1")
	QT=$(grep -E '^Time: ' <<<"$out" | tail -n 5 | awk '{ print $2 }' | sort -n | head -n 1)
	QROWS=$(grep -vE '^Time: ' <<<"$out" | grep -E '^[0-9]+$' | head -n 1)
	PLAN=$(sed -n '/^\[/,$p' <<<"$out" | jq -r '.[0].Plan as $p | [$p["Node Type"]] +
		[($p | .. | objects | select(.["Task Count"]) | "\(.["Task Count"]) task(s)")] | unique | join("; ")' 2>/dev/null || echo "?")
}
want 7 && for v in "${VIEWS[@]}"; do
	qtime bench_q_small "$v"; ts=$QT rs=$QROWS
	qtime bench_q_big "$v"; tb=$QT rb=$QROWS
	q=${v#chm_}; q=${q%%_*}
	r=$(calc "$tb / $ts" 2)
	if [ $f = 10 ]; then target="<= 1.3"; else target="<= 1.3 (reduced: 3x history)"; fi
	ok=$(met "$r <= 1.3")
	row "7-$q" "$v ms ($rb vs $rs rows), $SCALE/${DAYS}d vs its last ${small_days}d ($(( small_n / 1000 ))k); plan: $PLAN" \
		"$tb" "$ts" "$r" "$target" "$ok"
done
fi

# ---- 9: chm-alert, the whole rule set, long history vs short -------------------
# 500 rules on the histories of row 7: an on_failure rule per client (slack)
# and a failures_in_window rule (3 in 60 min, email) for 480 pipelines, all
# first evaluated 30 days before the end, so every failure of the month counts.
if want 9; then
for db in bench_q_small bench_q_big; do
	sql "$db" "INSERT INTO alert_rules (client_id, rule_type, channel, destination)
		SELECT id, 'on_failure', 'slack', '#' || name FROM clients;
	INSERT INTO alert_rules (pipeline_id, rule_type, threshold, window_minutes, channel, destination)
		SELECT id, 'failures_in_window', 3, 60, 'email', 'oncall@example.com' FROM pipelines ORDER BY id LIMIT 480;
	ANALYZE alert_rules"
done
rules=$(sql bench_q_big "SELECT count(*) FROM alert_rules")
sql bench_q_big "SELECT json_build_object('alerts', json_build_object('rules',
	json_object_agg(id, '$END'::timestamptz - interval '30 days'), 'open', '{}'::json)) FROM alert_rules" >"$OUT/alerts.state.json"
best=
for db in bench_q_small bench_q_big; do
	best=
	for i in 1 2 3 4; do
		timed "alert_$db" "PGDATABASE=$db '$B/chm-alert' --now $END --state-file '$OUT/alerts.state.json' >'$OUT/alerts.$db.ndjson'"
		[ "$i" = 1 ] && continue   # a warm-up: the first run reads the indexes from disk
		if [ -z "$best" ] || awk "BEGIN { exit !($T < $best) }"; then best=$T; fi
	done
	eval "t_$db=\$best"
done
n_alerts=$(grep -c '"type":"alert"' "$OUT/alerts.bench_q_big.ndjson" || true)
r=$(calc "$t_bench_q_big / $t_bench_q_small" 2)
row 9 "chm-alert: $rules rules x $PIPES pipelines ($n_alerts alerts), s, $SCALE/${DAYS}d vs its last ${small_days}d" \
	"$t_bench_q_big" "$t_bench_q_small" "$r" "< 1 s" "$(met "$t_bench_q_big < 1")" \
	"wall time of the whole program, best of 3 after a warm-up; the ratio shows it flat in history"
fi

# ---- 8: chm-fetch against the fake partner API -------------------------------
if want 8; then
FD=$OUT/fetch
rm -rf "$FD"; mkdir -p "$FD/data/airflow"
PAGES=200 PAGE=50
python3 - "$FD/data/airflow/bench_dag.json" $(( PAGES * PAGE - 1 )) <<'EOF'
import json, sys
from datetime import datetime, timedelta, timezone
t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
def f(t): return t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
runs = []
for i in range(int(sys.argv[2])):
    s = t0 + timedelta(hours=i)
    runs.append({"conf": {}, "dag_id": "bench_dag", "dag_run_id": "scheduled__" + f(s),
                 "execution_date": f(s), "logical_date": f(s), "start_date": f(s + timedelta(seconds=5)),
                 "end_date": f(s + timedelta(seconds=300)), "run_type": "scheduled", "state": "success",
                 "external_trigger": False, "note": None})
json.dump({"dag_runs": runs}, open(sys.argv[1], "w"))
EOF
printf '%s\n' '{"type":"client","name":"bench"}' \
	'{"type":"pipeline","client":"bench","name":"bench_dag","platform":"airflow","pipeline_type":"transform","external_id":"bench_dag","environment":"prod"}' \
	>"$FD/inventory.ndjson"
python3 "$root/tests/fake_partner_api.py" --data "$FD/data" --port-file "$FD/port" \
	--log "$FD/requests.log" --token bench >"$FD/server.err" 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$FD/port" ] && break; sleep 0.05; done
timed fetch "CHM_FETCH_TOKEN=bench '$B/chm-fetch' --source airflow --base-url http://127.0.0.1:$(cat "$FD/port") \
	--pipelines '$FD/inventory.ndjson' --since 2020-01-01T00:00:00Z --max-lookback 36500d \
	--page-size $PAGE >'$FD/out.ndjson'"
kill $fake 2>/dev/null || true; wait $fake 2>/dev/null || true; trap - EXIT
pages=$(grep -c 'dagRuns' "$FD/requests.log")
got=$(grep -c '"type":"raw"' "$FD/out.ndjson")
share=$(calc "$CPU / $T" 3)
row 8 "chm-fetch: pages/s ($pages pages, $got runs); anchor: share of time outside waiting on the server" \
	"$(calc "$pages / $T" 1)" "$share" "-" "report" "-" "cpu ${CPU}s of ${T}s wall"
fi

# ---- the table ---------------------------------------------------------------
mv "$RESULTS.tmp" "$RESULTS"
jq -r '[.id, .what, .ours, .anchor, .ratio, .target, .met] | @csv' "$RESULTS" |
	{ echo '"id","what","ours","anchor","ratio","target","met"'; cat; } >"$OUT/results.csv"
{
	echo "make bench, engine $ENGINE, scale $SCALE, commit $COMMIT, $DATE, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| # | what | ours | anchor | ratio | target | met? |"
	echo "|---|---|---|---|---|---|---|"
	jq -r '"| \(.id) | \(.what) | \(.ours) | \(.anchor) | \(.ratio) | \(.target) | \(.met) |"' "$RESULTS"
} | tee "$OUT/results.md"
[ -z "${own_pg:-}" ] || sh "$root/tools/pg.sh" stop "$root/.chm/bench-pg"
[ -z "${own_citus:-}" ] || sh "$root/tools/citus-cluster.sh" stop "$CITUS_DIR"
