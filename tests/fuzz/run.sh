#!/bin/sh
# Runs libFuzzer targets (make fuzz-build) for SECONDS each:
#   run.sh SECONDS TARGET...        (TARGET: record time jscan src_airflow ...)
# Each target has its own corpus, build/fuzz/corpus/TARGET, seeded from
# fixtures/, tests/fuzz/seeds/TARGET and tests/fuzz/regressions/TARGET the first time; what the fuzzer
# finds new is kept there for the next run. A crash is written to
# build/fuzz/crash-TARGET-*; commit it as tests/fuzz/regressions/TARGET/NAME
# (t0180-fuzz.bats replays them) and fix the bug.
# FUZZ_MAX_LEN bounds an input (default 65536); FUZZ_WORK moves the corpora,
# logs and crashes elsewhere (default build/fuzz).
set -eu
secs=${1:?usage: run.sh SECONDS TARGET...}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
fx=$root/fixtures
maxlen=${FUZZ_MAX_LEN:-65536}
work=${FUZZ_WORK:-$root/build/fuzz}
mkdir -p "$work"
work=$(cd "$work" && pwd)
status=0

# Each line of the NDJSON files, and each whole file, as one seed.
seed_lines() {
	dir=$1
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		cp "$f" "$dir/file-$(basename "$f")"
		i=0
		while IFS= read -r line && [ $i -lt 200 ]; do
			i=$((i + 1))
			printf '%s\n' "$line" >"$dir/$(basename "$f").$i"
		done <"$f"
	done
}

seed() {
	t=$1 dir=$2
	case $t in
	record) seed_lines "$dir" "$fx/runs/history.ndjson" "$fx/inventory.ndjson" ;;
	time)
		cat "$fx"/*/*.json "$fx"/*/*.ndjson "$fx"/*.ndjson 2>/dev/null |
			grep -o '"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][^"]*"' | tr -d '"' |
			sort -u | head -200 | { i=0; while IFS= read -r ts; do
				i=$((i + 1)); printf '%s' "$ts" >"$dir/ts.$i"; done; }
		for s in 24h 7d 90s 2026-11-21 "2026-11-21T00:00:00+05:30" "2026-11-21 00:00:00,5"; do
			printf '%s' "$s" >"$dir/arg.$(printf '%s' "$s" | md5sum | cut -c1-8)"
		done ;;
	jscan) seed_lines "$dir" "$fx/airflow/cleared_run.ndjson" "$fx/cron/nightly_export.ndjson" \
		"$fx/runs/history.ndjson" ;;
	src_*)
		s=${t#src_}
		seed_lines "$dir" "$fx/$s"/*.ndjson
		for f in "$fx/$s"/*.json "$fx/fetch/$s"/*.json; do
			[ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | md5sum | cut -c1-8)-$(basename "$f")"
		done
		# the raw envelopes chm-fetch writes, of any source, are input too
		seed_lines "$dir" "$fx/airflow/cleared_run.ndjson"
		# this source's records in raw envelopes: what its fast path reads
		for f in "$fx/$s"/*.ndjson; do
			[ -f "$f" ] || continue
			grep -v '^{"type"' "$f" | sed "s/^/{\"type\":\"raw\",\"source\":\"$s\",\"client\":\"acme\",\"record\":/; s/\$/}/" \
				>"$dir/raw-$(basename "$f")" || true
			seed_lines "$dir" "$dir/raw-$(basename "$f")"
		done ;;
	esac
	# hand-made seeds: the tricky cases of the fast paths (t0204)
	if [ -d "$root/tests/fuzz/seeds/$t" ]; then
		seed_lines "$dir" "$root/tests/fuzz/seeds/$t"/*
	fi
	if [ -d "$root/tests/fuzz/regressions/$t" ]; then
		cp "$root/tests/fuzz/regressions/$t"/* "$dir/" 2>/dev/null || true
	fi
}

for t in "$@"; do
	bin=$root/build/fuzz/bin/fuzz_$t
	[ -x "$bin" ] || { echo "run.sh: $bin not built (make fuzz-build)" >&2; exit 70; }
	corpus=$work/corpus/$t
	if [ ! -d "$corpus" ]; then
		mkdir -p "$corpus"
		seed "$t" "$corpus"
	fi
	echo "fuzz: $t for ${secs}s" >&2
	if ! (cd "$root" && "$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=0 -artifact_prefix="$work/crash-$t-" \
		"$corpus" 2>"$work/$t.log"); then
		echo "fuzz: $t FAILED (see $work/$t.log and $work/crash-$t-*)" >&2
		tail -n 30 "$work/$t.log" >&2
		status=1
	else
		grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t.log" | tail -n 1 >&2 || true
	fi
done
exit $status
