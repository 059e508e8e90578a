#!/usr/bin/env bats
# chm-report --format html in a real browser: headless Chromium loads the
# page without errors and a screenshot shows every section.

load helper

NOW=2026-11-22T12:00:00Z

setup_file() {
	fresh_db file
	chm-load "$FIXTURES/report/inventory.ndjson" "$FIXTURES/report/runs.ndjson" >/dev/null
}

setup() {
	CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
	[ -n "$CHROMIUM" ] || skip "chromium not installed (Debian package chromium)"
}

chromium_run() {
	local profile
	profile=$(mktemp -d)
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --no-first-run --user-data-dir="$profile" "$@" 3>&-
	local rc=$?
	rm -rf "$profile"
	return $rc
}

@test "the page loads in Chromium without errors, every section in the DOM" {
	chm-report --now "$NOW" --format html all >"$BATS_TEST_TMPDIR/r.html"
	run --separate-stderr chromium_run --enable-logging=stderr --v=0 --dump-dom "file://$BATS_TEST_TMPDIR/r.html"
	[ "$status" -eq 0 ]
	# console errors and failed loads show up on stderr as CONSOLE / net::ERR
	! grep -E 'CONSOLE|net::ERR|Uncaught' <<<"$stderr"
	for q in q1 q2 q3 q4 q5 q6 q7 q8 q9 q10; do
		[[ "$output" == *"<section id=\"$q\">"* ]]
	done
	[[ "$output" == *"</html>"* ]]
}

@test "a screenshot shows every section: the page ends inside a tall window" {
	chm-report --now "$NOW" --format html all >"$BATS_TEST_TMPDIR/r.html"
	# half scale keeps the PNG small enough to decode quickly in Python
	chromium_run --hide-scrollbars --force-device-scale-factor=0.5 --window-size=1000,5200 \
		--screenshot="$BATS_TEST_TMPDIR/r.png" "file://$BATS_TEST_TMPDIR/r.html" >/dev/null 2>&1
	[ -s "$BATS_TEST_TMPDIR/r.png" ]
	read -r w h last < <(python3 "$BATS_TEST_DIRNAME/png_extent.py" "$BATS_TEST_TMPDIR/r.png")
	assert_eq "$w $h" "500 2600"
	# drawn well down the page (ten sections, charts, tables) and ended
	# before the bottom of the window: nothing is cut off
	[ "$last" -gt 1200 ]
	[ "$last" -lt 2580 ]
}

@test "an empty database: the page says so in every section" {
	fresh_db
	chm-report --format html all >"$BATS_TEST_TMPDIR/e.html"
	run --separate-stderr chromium_run --dump-dom "file://$BATS_TEST_TMPDIR/e.html"
	[ "$status" -eq 0 ]
	assert_eq "$(grep -o 'No rows' <<<"$output" | wc -l)" 10
}
