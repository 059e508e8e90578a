#!/usr/bin/env bats
# Faults (issue 8): chm-load killed with SIGKILL at random points of a 200k
# event load and the stream replayed; a reader that goes away; a full disk
# and an unwritable path for the rejects and the state file.

load helper

REL="$CHM_ROOT/build/bin"

# Every run, by its natural key, with every stored field: equal dumps are
# equal databases whatever the ids.
runs_dump() {
	q "SELECT c.name, p.platform, p.name, r.external_run_id, r.status, r.started_at, r.finished_at,
		r.duration_seconds, r.rows_processed, r.error_message, r.status_reason, r.payload::text
	   FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id
	   ORDER BY 1, 2, 3, 4"
}

@test "SIGKILL at random points of a 200k-event load, then a replay: the database equals one clean load" {
	[ -x "$REL/chm-load" ] || skip "no release build (make all)"
	local dir=$BATS_TEST_TMPDIR stream=$BATS_TEST_TMPDIR/stream.ndjson
	# 200k run events (--runs makes about N: ask for more, keep 200k), a state
	# record after every 997 runs saying how many came before it
	"$REL/chm-synth" --seed 8 --format canonical --inventory --clients 5 --pipelines 100 \
		--days 180 --runs 220000 --end 2026-11-22T00:00:00Z |
		awk '/"type":"run"/ && n == 200000 { next } { print } /"type":"run"/ { n++; if (n % 997 == 0) printf "{\"type\":\"state\",\"value\":{\"runs\":%d}}\n", n }' >"$stream"
	assert_eq "$(grep -c '"type":"run"' "$stream")" 200000

	fresh_db clean
	"$REL/chm-load" "$stream" >/dev/null
	runs_dump | md5sum >"$dir/clean.md5"
	local total
	total=$(q "SELECT count(*) FROM runs")
	assert_eq "$(q "SELECT count(*) FROM runs")" "$(q "SELECT count(DISTINCT (pipeline_id, external_run_id)) FROM runs")"

	fresh_db killed
	# the key of every run event in stream order, to check the state file
	# against (an OpenLineage run names no platform: '')
	q "CREATE SCHEMA chk; CREATE TABLE chk.keys (ord int, client text, platform text, external_id text, external_run_id text)"
	jq -r 'select(.type == "run") | [.client, .platform, .external_id, .external_run_id] | @tsv' "$stream" |
		awk -v OFS='\t' '{ print NR, $0 }' >"$dir/keys.tsv"
	psql -X -q -c "\\copy chk.keys FROM '$dir/keys.tsv'"
	local kills=0 trial state seen=0
	for trial in 1 2 3 4 5 6; do
		"$REL/chm-load" --state-file "$dir/state.json" "$stream" >/dev/null 2>&1 3>&- &
		local pid=$!
		# a random point of the load, by progress rather than by time (a
		# fast machine would finish before any fixed delay): each trial
		# replays what the last one stored and is killed a little further on
		local target=$((total * trial / 7 + RANDOM % (total / 14)))
		while kill -0 "$pid" 2>/dev/null && [ "$(q "SELECT count(*) FROM runs")" -lt "$target" ]; do
			sleep 0.05
		done
		if kill -KILL "$pid" 2>/dev/null; then
			kills=$((kills + 1))
		fi
		wait "$pid" || true
		# the state file is whole, and never ahead of the data
		if [ -e "$dir/state.json" ]; then
			state=$(jq -e -r .runs "$dir/state.json")
			assert_eq "$(q "SELECT count(*) FROM chk.keys k WHERE k.ord <= $state AND NOT EXISTS (
				SELECT 1 FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id
				WHERE c.name = k.client AND (k.platform = '' OR p.platform::text = k.platform)
				  AND p.external_id = k.external_id
				  AND r.external_run_id = k.external_run_id)")" 0
			[ "$state" -gt 0 ] && seen=$((seen + 1))
			echo "# trial $trial: killed with state at $state runs, $(q "SELECT count(*) FROM runs") runs stored" >&3
		fi
	done
	[ "$kills" -ge 3 ]
	# the state file moves on during a load (a state record every 997 runs,
	# fewer than a batch, must not keep it from ever being written)
	[ "$seen" -ge 1 ]
	# the replay completes it
	run --separate-stderr "$REL/chm-load" --state-file "$dir/state.json" "$stream"
	[ "$status" -eq 0 ]
	assert_eq "$(jq -c . "$dir/state.json")" '{"runs":199400}'
	assert_eq "$(q "SELECT count(*) FROM runs")" "$(q "SELECT count(DISTINCT (pipeline_id, external_run_id)) FROM runs")"
	assert_eq "$(runs_dump | md5sum)" "$(cat "$dir/clean.md5")"
}

@test "a reader that goes away (| head -1): chm-normalize, chm-synth, chm-report and chm end quietly, no message" {
	chm-synth --seed 3 --pipelines 30 --days 20 >"$BATS_TEST_TMPDIR/big.ndjson"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/big.ndjson")" -gt 5000 ]
	runsh "chm-normalize '$BATS_TEST_TMPDIR/big.ndjson' 2>'$BATS_TEST_TMPDIR/err' | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
	[[ "${lines[-1]}" == 0 || "${lines[-1]}" == 141 ]]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	runsh "chm-synth --seed 3 --pipelines 30 --days 20 2>'$BATS_TEST_TMPDIR/err' | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
	[[ "${lines[-1]}" == 0 || "${lines[-1]}" == 141 ]]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	runsh "chm-normalize --summary '$BATS_TEST_TMPDIR/big.ndjson' 2>'$BATS_TEST_TMPDIR/err' | true; echo \${PIPESTATUS[0]}"
	[[ "${lines[-1]}" == 0 || "${lines[-1]}" == 141 ]]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	# the database programs: a report and a listing longer than a pipe holds
	fresh_db
	chm-synth --seed 3 --pipelines 30 --days 20 --inventory --format canonical | chm-load >/dev/null
	[ "$(q "SELECT count(*) FROM runs")" -gt 5000 ]
	local fmt
	for fmt in ndjson csv table html; do
		runsh "chm-report --format $fmt --since 2000-01-01T00:00:00Z q1 q2 q9 2>'$BATS_TEST_TMPDIR/err' | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}"
		[[ "${lines[-1]}" == 0 || "${lines[-1]}" == 141 ]]
		[ ! -s "$BATS_TEST_TMPDIR/err" ]
	done
	local client
	client=$(q "SELECT name FROM clients ORDER BY name LIMIT 1")
	runsh "chm run list --client '$client' --limit 1000 2>'$BATS_TEST_TMPDIR/err' | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}"
	[[ "${lines[-1]}" == 0 || "${lines[-1]}" == 141 ]]
	! grep -q 'write error' "$BATS_TEST_TMPDIR/err"
}

@test "rejects on a full disk (/dev/full): a clear error and exit 74, from chm-load and chm-normalize" {
	fresh_db
	load_inventory
	{ run_line ok1 success; echo '{"type":"run"'; run_line ok2 success; } >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr chm-load --rejects /dev/full "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"chm-load: writing rejects failed: No space left on device"* ]]
	assert_eq "$(q "SELECT count(*) FROM runs")" 2
	run --separate-stderr chm-normalize --rejects /dev/full "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"chm-normalize: writing rejects failed: No space left on device"* ]]
	# stdout on a full disk
	run --separate-stderr bash -c "chm-normalize '$BATS_TEST_TMPDIR/in' 2>&1 >/dev/full"
	[ "$status" -eq 74 ]
	[[ "$output" == *"No space left on device"* ]]
}

@test "an unwritable rejects file or state file: a clear error, nonzero exit, the old state file whole" {
	fresh_db
	load_inventory
	local dir=$BATS_TEST_TMPDIR
	touch "$dir/afile"
	{ run_line s1 success; echo '{"type":"state","value":{"at":1}}'; run_line s2 success; } >"$dir/in"
	run --separate-stderr chm-load --rejects "$dir/afile/rejects" "$dir/in"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"cannot open rejects file $dir/afile/rejects: Not a directory"* ]]
	run --separate-stderr chm-normalize --rejects "$dir/afile/rejects" "$dir/in"
	[ "$status" -eq 74 ]
	# the state file's directory cannot be written: the runs are committed first
	run --separate-stderr chm-load --state-file "$dir/afile/state.json" "$dir/in"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"cannot write state file $dir/afile/state.json.tmp."*"Not a directory"* ]]
	assert_eq "$(q "SELECT count(*) FROM runs")" 2
	# a read-only directory (root writes anyway: only as another user)
	if [ "$(id -u)" -ne 0 ]; then
		mkdir "$dir/ro" && chmod 555 "$dir/ro"
		run --separate-stderr chm-load --state-file "$dir/ro/state.json" --rejects "$dir/ro/rj" "$dir/in"
		chmod 755 "$dir/ro"
		[ "$status" -eq 74 ]
		[[ "$stderr" == *"cannot open rejects file $dir/ro/rj: Permission denied"* ]]
	fi
	# a state file that is a device is never replaced by the rename
	run --separate-stderr chm-load --state-file /dev/null "$dir/in"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"state file /dev/null is not a regular file"* ]]
	[ -c /dev/null ]
}

@test "a state file on a full disk (file size limit): exit 74, the old state whole, no temporary left" {
	fresh_db
	load_inventory
	local dir=$BATS_TEST_TMPDIR big
	echo '{"at":"old"}' >"$dir/state.json"
	big=$(head -c 20000 /dev/zero | tr '\0' x)
	{ run_line f1 success; printf '{"type":"state","value":{"at":"%s"}}\n' "$big"; run_line f2 success; } >"$dir/in"
	# writes past 8 KiB fail with EFBIG, as on a full disk (SIGXFSZ ignored)
	run --separate-stderr bash -c "trap '' XFSZ; ulimit -f 8; exec chm-load --state-file '$dir/state.json' '$dir/in'"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"cannot write state file"*"File too large"* ]]
	assert_eq "$(cat "$dir/state.json")" '{"at":"old"}'
	assert_eq "$(ls "$dir" | grep -c 'state.json.tmp')" 0
	assert_eq "$(q "SELECT count(*) FROM runs")" 2
}
