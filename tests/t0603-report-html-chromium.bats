#!/usr/bin/env bats
# chm-report --format html in a real browser: headless Chromium loads the
# page without errors and a screenshot shows every section; at 1400 and 390 px
# wide, light and dark, nothing overflows and axe-core finds no serious or
# critical violation; printed, the folded tables show. Screenshots (and a
# printed PDF) land in tests/artifacts/ (git-ignored): report-1400.png,
# report-390.png, report-1400-dark.png, ..., empty-*.png. The npm packages
# come from `make browser-deps` (tests/browser).

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
		[[ "$output" == *"<section id=\"$q\" "* ]]
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

ARTIFACTS="$BATS_TEST_DIRNAME/artifacts"

# tests/browser/check_page.js on a page: one JSON object (views, print).
browser_check() {
	[ -d "$BATS_TEST_DIRNAME/browser/node_modules/playwright-core" ] ||
		{ echo "tests/browser has no node_modules: run make browser-deps" >&2; return 1; }
	CHROMIUM=$CHROMIUM timeout 180 node "$BATS_TEST_DIRNAME/browser/check_page.js" "$@" </dev/null
}

# What a person meets in every view: no overflow, no error, nothing fetched,
# no serious or critical axe violation.
assert_views() {
	local json=$1
	assert_eq "$(jq '.views | length' "$json")" 4
	jq -e '.views[] | select(.scroll_width > .client_width)' "$json" && return 1
	jq -e '.views[] | select((.errors | length) > 0 or (.requests | length) > 0)' "$json" && return 1
	jq -e '.views[].axe[] | select(.impact == "serious" or .impact == "critical")' "$json" && return 1
	for v in 1400 390 1400-dark 390-dark; do
		[ -s "$ARTIFACTS/$2-$v.png" ]
	done
}

@test "at 1400 and 390 px, light and dark: no overflow, no axe serious or critical violation" {
	chm-report --now "$NOW" --format html all >"$BATS_TEST_TMPDIR/r.html"
	rm -f "$ARTIFACTS"/report-*.png
	browser_check "$BATS_TEST_TMPDIR/r.html" "$ARTIFACTS" report >"$BATS_TEST_TMPDIR/r.json"
	assert_views "$BATS_TEST_TMPDIR/r.json" report
	# the 390 px view is narrower than the page's tables: they scroll in
	# their own box, the page does not
	assert_eq "$(jq '[.views[] | select(.width == 390) | .client_width] | unique' -c "$BATS_TEST_TMPDIR/r.json")" "[390]"
	# dark mode: by prefers-color-scheme, and the dark view is drawn dark
	grep -q '@media screen and (prefers-color-scheme:dark)' "$BATS_TEST_TMPDIR/r.html"
	assert_eq "$(jq -r '.views[] | select(.scheme == "light" and .width == 1400) | .background' "$BATS_TEST_TMPDIR/r.json")" "rgb(255, 255, 255)"
	assert_eq "$(jq -r '.views[] | select(.scheme == "dark" and .width == 1400) | .background' "$BATS_TEST_TMPDIR/r.json")" "rgb(23, 25, 35)"
	# printed: every table folded under a chart shows, nothing is fixed
	assert_eq "$(jq -r '.print | "\(.folded_tables) \(.visible_when_printed) \(.fixed)"' "$BATS_TEST_TMPDIR/r.json")" "4 4 0"
	[ -s "$ARTIFACTS/report.pdf" ]
}

@test "an empty database: no overflow, no axe serious or critical violation" {
	fresh_db
	chm-report --now "$NOW" --format html all >"$BATS_TEST_TMPDIR/e.html"
	browser_check "$BATS_TEST_TMPDIR/e.html" "$ARTIFACTS" empty >"$BATS_TEST_TMPDIR/e.json"
	assert_views "$BATS_TEST_TMPDIR/e.json" empty
}

@test "an empty database: the page says so in every section" {
	fresh_db
	chm-report --format html all >"$BATS_TEST_TMPDIR/e.html"
	run --separate-stderr chromium_run --dump-dom "file://$BATS_TEST_TMPDIR/e.html"
	[ "$status" -eq 0 ]
	assert_eq "$(grep -o 'No rows' <<<"$output" | wc -l)" 10
}
