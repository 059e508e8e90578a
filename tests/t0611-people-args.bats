#!/usr/bin/env bats
# Flags a person types (issue 17). One time parser for every flag: RFC 3339, a date (midnight
# UTC), now, today, yesterday, and a time back from now with a fraction
# (90m, 1.5h, 7d, 2w); a bad value is a usage error (64) whose message names
# the flag once. Seen through chm-fetch, whose request carries the start
# time it parsed (a refused connection prints the URL), with a fixed --now.

load helper

since_sent() {
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --retries 0 \
		--pipelines "$FIXTURES/fetch/inventory.ndjson" --client acme --pipeline orders_daily \
		--now 2026-12-03T10:30:00Z --since "$1"
	printf '%s\n' "$stderr" | grep -o 'start_date_gte=[^&]*' | head -n 1 | cut -d= -f2 | sed 's/%3A/:/g'
}

@test "--since: dates, words and durations back from --now" {
	assert_eq "$(since_sent 2026-12-01)" "2026-12-01T00:00:00.000000Z"
	assert_eq "$(since_sent today)" "2026-12-03T00:00:00.000000Z"
	assert_eq "$(since_sent yesterday)" "2026-12-02T00:00:00.000000Z"
	assert_eq "$(since_sent now)" "2026-12-03T10:30:00.000000Z"
	assert_eq "$(since_sent 90m)" "2026-12-03T09:00:00.000000Z"
	assert_eq "$(since_sent 1.5h)" "2026-12-03T09:00:00.000000Z"
	assert_eq "$(since_sent 2w)" "2026-11-19T10:30:00.000000Z"
	assert_eq "$(since_sent 2026-11-30T12:00:00+01:00)" "2026-11-30T11:00:00.000000Z"
}

@test "a bad time is a usage error naming the flag once, in every program" {
	run --separate-stderr chm-report --since 2026-02-31 q1
	[ "$status" -eq 64 ]
	[[ "$stderr" == "chm-report: --since: "* ]]
	[[ "$stderr" != *"--since: --since"* ]]
	run --separate-stderr chm-report --until bogus q1
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--until: expected RFC 3339, a date (2026-12-01), now, today, yesterday or a time back from now"* ]]
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --since bogus
	[ "$status" -eq 64 ]
	[[ "$stderr" != *"--since: --since"* ]]
	run --separate-stderr chm-alert --now bogus
	[ "$status" -eq 64 ]
	assert_eq "$stderr" 'chm-alert: --now: expected RFC 3339, a date (2026-12-01), now, today, yesterday or a time back from now (90m, 1.5h, 7d, 2w), got "bogus"'
	run --separate-stderr chm-synth --end bogus
	[ "$status" -eq 64 ]
	[[ "$stderr" != *"--end: --end"* ]]
	# chm's windows: the same words, the same status, its JSON error in a pipe
	run --separate-stderr chm summary --client acme --since bogus
	[ "$status" -eq 64 ]
	[[ "$stderr" == *'"code":"usage"'*'since must be RFC 3339, a date (2026-12-01), now, today, yesterday'* ]]
	run --separate-stderr chm rule test 1 --now bogus
	[ "$status" -eq 64 ]
	# a time back from now before the year 1, or a number strtod reads
	# but a person does not write: refused before any database sees it
	run --separate-stderr chm-report --since 110000w q8
	[ "$status" -eq 64 ]
	assert_eq "$stderr" 'chm-report: --since: "110000w" is before the year 1'
	run --separate-stderr chm-report --now 0001-01-01 --since 2w q1
	[ "$status" -eq 64 ]
	for t in 1e3s 0x10s; do
		run --separate-stderr chm-report --since $t q1
		[ "$status" -eq 64 ]
	done
	run --separate-stderr chm summary --client acme --since 400000w
	[ "$status" -eq 64 ]
	[[ "$stderr" == *'"code":"usage"'*'"field":"since"'* ]]
	run --separate-stderr chm run record --pipeline acme/orders_daily --status success --started-at 110000w
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'"field":"started_at"'* ]]
}

@test "a name that matches nothing is an error with a suggestion, not an empty answer" {
	fresh_db
	chm-load "$FIXTURES/inventory.ndjson" >/dev/null
	run --separate-stderr chm-report --client globx q2
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'no client named "globx" (did you mean "globex"?)'* ]]
	[ -z "$output" ]
	run --separate-stderr chm-report --pipeline acme/orders_daly q2
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'no pipeline named "acme/orders_daly" (did you mean "acme/orders_daily"?)'* ]]
	run --separate-stderr chm-report --client zzzzzzzz q2
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'no client named "zzzzzzzz"'* ]]
	[[ "$stderr" != *"did you mean"* ]]
	run --separate-stderr chm pipeline list --client globx
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'did you mean \"globex\"?'* ]]
	run --separate-stderr chm-fetch --source airflow --base-url http://127.0.0.1:1 --client acmee
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'no client named "acmee" (did you mean "acme"?)'* ]]
	# a name that exists: the answer, as before
	run --separate-stderr chm-report --client globex q2
	[ "$status" -eq 0 ]
}

@test "a message is one line that cannot drive the terminal, whatever the text it quotes" {
	fresh_db
	chm-load "$FIXTURES/inventory.ndjson" >/dev/null
	# a name with an escape sequence, a line break and C1's CSI, as a
	# partner's text could hold
	run --separate-stderr chm-report --client "$(printf 'glo\033[2Jbx\nnext\xc2\x9b')" q2
	[ "$status" -eq 65 ]
	assert_eq "$stderr" 'chm-report: no client named "glo?[2Jbx next?"'
	# libpq's message ends with a line break and has a second line: one line
	run --separate-stderr chm-load --db "host=$BATS_TEST_TMPDIR/none" </dev/null
	[ "$status" -eq 75 ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == "chm-load: cannot connect to the database: "*"Is the server running"* ]]
}

@test "chm-normalize: a bare partner file without --client is a usage error, not a reject per item" {
	run --separate-stderr chm-normalize --source airflow "$REFERENCE/airflow2_v1_dagruns_list_response.json"
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--source airflow reads bare partner records, which name no client: give --client NAME"* ]]
	[ -z "$output" ]
	# cron records name their pipeline as client/name: no --client needed
	echo '{"run_id":"r1","event":"start","pipeline":"globex/nightly_export","started_at":"2026-11-21T00:00:00Z"}' |
		chm-normalize --source cron | jq -e 'select(.client == "globex")' >/dev/null
}

@test "rejects written to a file: the last stderr line counts them by code" {
	printf '%s\n' '{"type":"run"}' '{"type":"run","client":"x"}' '{}' 'not json' >"$BATS_TEST_TMPDIR/bad"
	run --separate-stderr chm-normalize --rejects "$BATS_TEST_TMPDIR/r" "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$stderr" | tail -n 1)" "chm-normalize: 4 rejected: missing_field 3, invalid_json 1"
	assert_eq "$(wc -l <"$BATS_TEST_TMPDIR/r")" 4
	# rejects on a piped stderr stay NDJSON, nothing else
	run --separate-stderr chm-normalize "$BATS_TEST_TMPDIR/bad"
	printf '%s\n' "$stderr" | jq -e . >/dev/null
}

@test "chm state show and clear: bookmarks read and reset without editing JSON" {
	cat >"$BATS_TEST_TMPDIR/s.json" <<'JSON'
{"bookmarks":{"airflow":{"acme":{"orders_daily":{"since":"2026-11-21T00:00:00.000000Z","skip":["a","b"],"running":false},"other_dag":{"since":"2026-11-20T00:00:00.000000Z","skip":[]}},"globex":{"g1":{"since":"2026-11-19T00:00:00.000000Z","skip":[]}}},"dbt_cloud":{"acme":{"43167":{"id":5,"offset":100,"skip":[],"running":true}}}},"kept":{"x":1}}
JSON
	run --separate-stderr chm state show "$BATS_TEST_TMPDIR/s.json"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r '[.source, .client, .external_id, (.since // .id | tostring), (.skip | tostring)] | join(" ")' | paste -sd,)" \
		"airflow acme orders_daily 2026-11-21T00:00:00.000000Z 2,airflow acme other_dag 2026-11-20T00:00:00.000000Z 0,airflow globex g1 2026-11-19T00:00:00.000000Z 0,dbt_cloud acme 43167 5 0"
	run --separate-stderr chm state clear "$BATS_TEST_TMPDIR/s.json" --source airflow --client acme --pipeline other_dag
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .cleared)" 1
	run --separate-stderr chm state clear "$BATS_TEST_TMPDIR/s.json" --source airflow --client globex
	assert_eq "$(printf '%s\n' "$output" | jq -r .cleared)" 1
	assert_eq "$(jq -c '[.bookmarks | paths(type == "object" and has("skip")) | join("/")]' "$BATS_TEST_TMPDIR/s.json")" \
		'["airflow/acme/orders_daily","dbt_cloud/acme/43167"]'
	assert_eq "$(jq -c .kept "$BATS_TEST_TMPDIR/s.json")" '{"x":1}'
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/s.json")" = 600 ]
	run --separate-stderr chm state clear "$BATS_TEST_TMPDIR/s.json"
	[ "$status" -eq 64 ]
	[[ "$stderr" == *'"field":"source"'* ]]
	run --separate-stderr chm state show "$BATS_TEST_TMPDIR/none.json"
	[ "$status" -eq 65 ]
}
