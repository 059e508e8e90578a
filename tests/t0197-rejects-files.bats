#!/usr/bin/env bats
# Rejects files (issue 14, items 6 and 14): they hold the original lines, so
# they are created 0600 like state files; and several programs may share one
# dead-letter file (pipelines/common.sh gives chm-normalize and chm-load the
# same one): every reject is one whole line, written with one write(2) in
# O_APPEND mode, never spliced with another writer's.

load helper

setup() {
	fresh_db
	load_inventory
}

@test "a new rejects file is the owner's alone (0600), whoever's umask" {
	echo 'not json' >"$BATS_TEST_TMPDIR/in"
	(umask 022 && chm-load --rejects "$BATS_TEST_TMPDIR/rej" "$BATS_TEST_TMPDIR/in" >/dev/null) || true
	assert_eq "$(stat -c %a "$BATS_TEST_TMPDIR/rej")" 600
	(umask 022 && chm-normalize --rejects "$BATS_TEST_TMPDIR/rej2" "$BATS_TEST_TMPDIR/in" >/dev/null) || true
	assert_eq "$(stat -c %a "$BATS_TEST_TMPDIR/rej2")" 600
	# an existing file keeps its mode and gets the line appended
	: >"$BATS_TEST_TMPDIR/rej3"
	chmod 640 "$BATS_TEST_TMPDIR/rej3"
	chm-load --rejects "$BATS_TEST_TMPDIR/rej3" "$BATS_TEST_TMPDIR/in" >/dev/null || true
	assert_eq "$(stat -c %a "$BATS_TEST_TMPDIR/rej3") $(wc -l <"$BATS_TEST_TMPDIR/rej3")" "640 1"
}

@test "four writers on one dead-letter file: every reject a whole line" {
	# long lines (2 KB each) make a splice likely if writes were split
	pad=$(head -c 2000 /dev/zero | tr '\0' x)
	for i in $(seq 1 3000); do
		printf '{"type":"run","client":"acme","pipeline":"nope%d","external_run_id":"r%d","status":"success","status_reason":"%s"}\n' "$i" "$i" "$pad"
	done >"$BATS_TEST_TMPDIR/unknown"
	for i in $(seq 1 3000); do echo "{broken $i $pad"; done >"$BATS_TEST_TMPDIR/broken"
	chm-load --rejects "$BATS_TEST_TMPDIR/dead" "$BATS_TEST_TMPDIR/unknown" >/dev/null 2>&1 &
	a=$!
	chm-normalize --rejects "$BATS_TEST_TMPDIR/dead" "$BATS_TEST_TMPDIR/broken" >/dev/null 2>&1 &
	b=$!
	chm-load --rejects "$BATS_TEST_TMPDIR/dead" "$BATS_TEST_TMPDIR/broken" >/dev/null 2>&1 &
	c=$!
	chm-normalize --rejects "$BATS_TEST_TMPDIR/dead" "$BATS_TEST_TMPDIR/broken" >/dev/null 2>&1 &
	d=$!
	wait $a $b $c $d || true
	assert_eq "$(wc -l <"$BATS_TEST_TMPDIR/dead")" 12000
	# every line parses, and each writer's count is whole
	assert_eq "$(jq -c . "$BATS_TEST_TMPDIR/dead" | wc -l)" 12000
	assert_eq "$(jq -r .program "$BATS_TEST_TMPDIR/dead" | sort | uniq -c | awk '{print $1 " " $2}' | paste -sd,)" \
		"6000 chm-load,6000 chm-normalize"
}
