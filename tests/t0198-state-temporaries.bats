#!/usr/bin/env bats
# State files (issue 14, item 13): the temporary a state is written to before
# the rename is created with O_EXCL at an unpredictable name, so a symlink
# planted at the old predictable name (s.json.tmp.PID) is never followed; the
# temporaries a killed writer left are removed. report.sh likewise.

load helper

setup() {
	fresh_db
	load_inventory
}

state_line() {
	printf '%s\n' '{"type":"state","value":{"bookmarks":{"x":1}}}'
}

@test "a symlink at every guessable temporary name is not followed" {
	echo precious >"$BATS_TEST_TMPDIR/victim"
	# the next few pids chm-load may get, each a link to the victim
	next=$(sh -c 'echo $$')
	for p in $(seq "$next" $((next + 200))); do
		ln -s "$BATS_TEST_TMPDIR/victim" "$BATS_TEST_TMPDIR/s.json.tmp.$p"
	done
	state_line | chm-load --state-file "$BATS_TEST_TMPDIR/s.json" >/dev/null
	assert_eq "$(cat "$BATS_TEST_TMPDIR/victim")" precious
	assert_eq "$(jq -c .bookmarks "$BATS_TEST_TMPDIR/s.json")" '{"x":1}'
	assert_eq "$(stat -c %a "$BATS_TEST_TMPDIR/s.json")" 600
	[ ! -L "$BATS_TEST_TMPDIR/s.json" ]
}

@test "temporaries a killed writer left are removed once they are old" {
	touch -d '-1 hour' "$BATS_TEST_TMPDIR/s.json.tmp.AbC123" "$BATS_TEST_TMPDIR/s.json.tmp.4242"
	touch "$BATS_TEST_TMPDIR/s.json.tmp.fresh1"   # perhaps another writer's, in flight
	echo keep >"$BATS_TEST_TMPDIR/s.json.other"
	state_line | chm-load --state-file "$BATS_TEST_TMPDIR/s.json" >/dev/null
	# under libfaketime (make test-future) stat() shifts the times touch -d
	# wrote once more, so an hour-old file looks a year younger: only the
	# files' survival is checked there
	if [ -n "${FAKETIME:-}" ]; then
		[ -e "$BATS_TEST_TMPDIR/s.json.tmp.fresh1" ] && [ -e "$BATS_TEST_TMPDIR/s.json.other" ]
		skip "file ages under libfaketime"
	fi
	[ ! -e "$BATS_TEST_TMPDIR/s.json.tmp.AbC123" ]
	[ ! -e "$BATS_TEST_TMPDIR/s.json.tmp.4242" ]
	[ -e "$BATS_TEST_TMPDIR/s.json.tmp.fresh1" ]
	[ -e "$BATS_TEST_TMPDIR/s.json.other" ]
	assert_eq "$(ls "$BATS_TEST_TMPDIR" | grep -c '^s.json.tmp')" 1
}

@test "report.sh writes through mktemp: a planted link at the old name is left alone" {
	export STATE_DIRECTORY=$BATS_TEST_TMPDIR/state CHM_TEXTFILE_DIR=$BATS_TEST_TMPDIR/textfile
	mkdir -p "$STATE_DIRECTORY" "$CHM_TEXTFILE_DIR"
	echo precious >"$BATS_TEST_TMPDIR/victim"
	next=$(sh -c 'echo $$')
	for p in $(seq "$next" $((next + 50))); do
		ln -s "$BATS_TEST_TMPDIR/victim" "$CHM_TEXTFILE_DIR/.chm.prom.$p"
		ln -s "$BATS_TEST_TMPDIR/victim" "$STATE_DIRECTORY/.report.html.$p"
	done
	run --separate-stderr "$CHM_ROOT/pipelines/report.sh"
	[ "$status" -eq 0 ]
	assert_eq "$(cat "$BATS_TEST_TMPDIR/victim")" precious
	grep -q '^chm_' "$CHM_TEXTFILE_DIR/chm.prom"
	assert_eq "$(stat -c %a "$CHM_TEXTFILE_DIR/chm.prom") $(stat -c %a "$STATE_DIRECTORY/report.html")" "644 644"
}
