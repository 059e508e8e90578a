#!/usr/bin/env bats
# Fuzzing (issue 8): every crash a fuzzer found is a committed input in
# tests/fuzz/regressions/TARGET/ and is replayed here; then each libFuzzer
# target (tests/fuzz/, `make fuzz`) runs for a few seconds with bounded
# input length. Needs clang with libFuzzer (tools/deps.sh).

load helper

setup_file() {
	command -v "${FUZZ_CC:-clang}" >/dev/null || skip "no clang (make deps)"
	make -s -C "$CHM_ROOT" fuzz-build >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/build.log" >&2; return 1; }
}

@test "fuzz regressions: every committed crash input runs clean" {
	local n=0 dir t
	for dir in "$CHM_ROOT"/tests/fuzz/regressions/*/; do
		t=$(basename "$dir")
		run "$CHM_ROOT/build/fuzz/bin/fuzz_$t" "$dir"*
		if [ "$status" -ne 0 ]; then
			printf '%s\n' "$output" | tail -n 20 >&2
			return 1
		fi
		n=$((n + $(ls "$dir" | wc -l)))
	done
	[ "$n" -ge 1 ]
}

# Each target from a corpus seeded from fixtures/, in a corpus of its own.
fuzz_briefly() {
	run env FUZZ_MAX_LEN=4096 FUZZ_WORK="$BATS_FILE_TMPDIR/fuzz" \
		sh "$CHM_ROOT/tests/fuzz/run.sh" "${FUZZ_CI_SECONDS:-6}" "$1"
	if [ "$status" -ne 0 ]; then
		printf '%s\n' "$output" | tail -n 30 >&2
		return 1
	fi
}

@test "fuzz: record parser" { fuzz_briefly record; }
@test "fuzz: timestamp parser" { fuzz_briefly time; }
@test "fuzz: jscan" { fuzz_briefly jscan; }
@test "fuzz: airflow adapter" { fuzz_briefly src_airflow; }
@test "fuzz: dbt_cloud adapter" { fuzz_briefly src_dbt_cloud; }
@test "fuzz: dbt_artifact adapter" { fuzz_briefly src_dbt_artifact; }
@test "fuzz: openlineage adapter" { fuzz_briefly src_openlineage; }
@test "fuzz: vendor adapter" { fuzz_briefly src_vendor; }
@test "fuzz: cron adapter" { fuzz_briefly src_cron; }
