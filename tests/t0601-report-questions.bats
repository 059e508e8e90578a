#!/usr/bin/env bats
# chm-report: Q1-Q10 over a controlled history (fixtures/report) give exactly
# the hand-computed rows (SC-003); filters, buckets and windows; usage errors.

load helper

NOW=2026-11-22T12:00:00Z
EXPECTED="$FIXTURES/report/expected.ndjson"

setup_file() {
	fresh_db file
	chm-load "$FIXTURES/report/inventory.ndjson" "$FIXTURES/report/runs.ndjson" >/dev/null
}

report() {
	run --separate-stderr chm-report --now "$NOW" "$@"
}

# Q9's percentiles come from the daily rollups' histograms (migration 040):
# within 2.5% of the exact ones, which expected.ndjson holds; all else exact.
PCT='.p50_seconds, .p90_seconds, .p99_seconds'

@test "every question answers exactly the hand-computed rows (ndjson)" {
	report all
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	diff <(printf '%s\n' "$output" | jq -c "del($PCT)") <(jq -c "del($PCT)" "$EXPECTED")
	# the percentiles, row by row in the same order
	off=$(jq -n --slurpfile got <(printf '%s\n' "$output" | jq -c 'select(.type=="q9")') \
		--slurpfile want <(jq -c 'select(.type=="q9")' "$EXPECTED") '
		[range($want | length) as $i | $want[$i] as $w | $got[$i] as $g |
		 ["p50_seconds", "p90_seconds", "p99_seconds"][] as $k |
		 select((($g[$k] - $w[$k]) | fabs) > 0.025 * $w[$k]) |
		 "\($w.pipeline) \($k): \($g[$k]) vs exact \($w[$k])"] | .[]')
	[ -z "$off" ] || { echo "$off" >&2; return 1; }
	# and the percentiles were compared on every row
	assert_eq "$(printf '%s\n' "$output" | jq -s 'map(select(.type=="q9")) | length')" \
		"$(jq -s 'map(select(.type=="q9")) | length' "$EXPECTED")"
}

@test "questions by id, by name and by view name; in the order asked" {
	report q3 failing_now chm_q8_failure_rate_per_platform
	[ "$status" -eq 0 ]
	diff <(printf '%s\n' "$output") <(jq -c 'select(.type=="q3")' "$EXPECTED"; jq -c 'select(.type=="q6")' "$EXPECTED"; jq -c 'select(.type=="q8")' "$EXPECTED")
}

@test "latest run: a newer started_at wins even when still running (Q2)" {
	report q2 --pipeline alpha/crm_sync
	[ "$status" -eq 0 ]
	assert_eq "$(jq -r '[.status,.run_id,.seconds_since_success]|@tsv' <<<"$output")" "$(printf 'running\t9005\t21480')"
}

@test "--client, --pipeline and --platform filter, as parameters" {
	report q2 --client beta
	assert_eq "$(jq -r .pipeline <<<"$output" | paste -sd,)" "export,shipments"
	report q9 --pipeline orders
	assert_eq "$(jq -r '.client+"/"+.pipeline' <<<"$output")" "alpha/orders"
	report q8 --platform cron
	assert_eq "$output" '{"type":"q8","platform":"cron","runs":4,"failed":2,"failure_rate":0.5}'
	# a parameter, not SQL: no such client (an error since issue 17, not an empty answer)
	report q2 --client "alpha' OR '1'='1"
	[ "$status" -eq 65 ]
	assert_eq "$output" ""
	[[ "$stderr" == *"no client named \"alpha' OR '1'='1\""* ]]
}

@test "--limit keeps the first rows in the question's order" {
	report q7 --limit 2
	assert_eq "$(jq -r '"\(.rank) \(.pipeline)"' <<<"$output" | paste -sd,)" "1 orders,2 shipments"
}

@test "--bucket hour and week re-bucket Q1" {
	report q1 --bucket week
	[ "$status" -eq 0 ]
	assert_eq "$(jq -r '[.bucket,.client,.pipeline,.failed_runs]|@tsv' <<<"$output")" "$(printf '%s\n' \
		$'2026-11-16T00:00:00.000000Z\talpha\tcrm_sync\t4' \
		$'2026-11-16T00:00:00.000000Z\talpha\torders\t3' \
		$'2026-11-16T00:00:00.000000Z\tbeta\texport\t2' \
		$'2026-11-16T00:00:00.000000Z\tbeta\tshipments\t1' \
		$'2026-11-16T00:00:00.000000Z\tdelta\told_feed\t1')"
	report q1 --bucket hour --client alpha --pipeline crm_sync
	assert_eq "$(jq -r .bucket <<<"$output" | paste -sd,)" \
		"2026-11-21T06:00:00.000000Z,2026-11-21T12:00:00.000000Z,2026-11-21T18:00:00.000000Z,2026-11-22T00:00:00.000000Z"
}

@test "--since/--until move the window; relative times count back from --now" {
	report q5 --since 2026-11-21T00:00:00Z --until 2026-11-22T00:00:00Z
	assert_eq "$(jq -r '"\(.client) \(.runs) \(.success_rate)"' <<<"$output" | paste -sd,)" "alpha 4 0.25,beta 7 0.7143,gamma 1 1"
	# 60 days takes in the October run of alpha/orders: S S S F S F S F
	report q7 --since 60d --pipeline alpha/orders
	assert_eq "$output" '{"type":"q7","rank":1,"client":"alpha","pipeline":"orders","platform":"airflow","runs":8,"failures":3,"flips":5,"failure_rate":0.375,"flip_rate":0.7143}'
}

@test "--until alone moves the whole window back" {
	# 7 days before 11-19 00:00: only the 11-18 failure of orders
	report q1 --until 2026-11-19T00:00:00Z
	assert_eq "$(jq -r '"\(.bucket) \(.pipeline) \(.failed_runs)"' <<<"$output")" "2026-11-18T00:00:00.000000Z orders 1"
}

@test "a different now: yesterday's view of the same history" {
	# at 2026-11-21 12:00 crm_sync had failed once (06:00), export once (11-20), orders was fine
	report q6 --now 2026-11-21T12:00:00Z
	assert_eq "$(jq -r '"\(.pipeline) \(.failure_streak)"' <<<"$output" | paste -sd,)" "crm_sync 1,export 1"
	# runs after that now are not there yet: orders' latest is the 11-21 success
	report q2 --now 2026-11-21T12:00:00Z --pipeline alpha/orders
	assert_eq "$(jq -r '"\(.run_id) \(.status) \(.seconds_since_success)"' <<<"$output")" "orders_2026-11-21 success 35390"
}

@test "FR-006 order: started_at desc, finished_at desc, nulls last, then id" {
	fresh_db
	chm-load "$FIXTURES/report/inventory.ndjson" >/dev/null
	mk() { printf '{"type":"run","client":"gamma","pipeline":"ledger_dq","external_run_id":"%s","status":"%s","started_at":%s,"finished_at":%s}\n' "$@"; }
	{
		mk nostart success null null
		mk a failed '"2026-11-22T10:00:00Z"' null
		mk b success '"2026-11-22T10:00:00Z"' '"2026-11-22T10:05:00Z"'
		mk c canceled '"2026-11-22T09:00:00Z"' '"2026-11-22T11:00:00Z"'
	} | chm-load >/dev/null
	report q2 --pipeline gamma/ledger_dq
	assert_eq "$(jq -r .run_id <<<"$output")" b
	# same start and finish: the later-loaded run (higher id) wins
	mk d skipped '"2026-11-22T10:00:00Z"' '"2026-11-22T10:05:00Z"' | chm-load >/dev/null
	report q2 --pipeline gamma/ledger_dq
	assert_eq "$(jq -r .run_id <<<"$output")" d
}

@test "empty database: every question, every format, no rows and no error" {
	fresh_db
	for f in ndjson csv table html prom; do
		run --separate-stderr chm-report --format "$f" all
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		case $f in
		ndjson) assert_eq "$output" "" ;;
		csv) assert_eq "$(printf '%s\n' "$output" | grep -c ,)" 10 ;; # headers only
		table) assert_eq "$(grep -c '^(no rows)$' <<<"$output")" 10 ;;
		html) assert_eq "$(grep -c 'No rows' <<<"$output")" 10 ;;
		prom) assert_eq "$(grep -vc '^#' <<<"$output")" 0 ;;
		esac
	done
}

@test "usage errors exit 64 with a message; --help and --version exit 0" {
	for args in "" "q11" "--format xml q1" "--bucket month q1" "--platform jenkins q1" \
		"--limit 0 q1" "--since someday q1" "--format prom q1" "--since 1d --until 2d q1"; do
		run --separate-stderr chm-report $args
		[ "$status" -eq 64 ]
		[[ "$stderr" == chm-report:* ]]
	done
	# --until defaults to --now: a --since at or after it is the same mistake
	for since in 0s 2026-12-01T00:00:00Z; do
		run --separate-stderr chm-report --now 2026-11-22T12:00:00Z --since $since q8
		[ "$status" -eq 64 ]
		assert_eq "$stderr" "chm-report: --since must be before --until, which defaults to --now"
	done
	run chm-report --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--bucket hour|day|week"* ]]
	run chm-report --version
	[[ "$output" == "chm-report "* ]]
}

@test "no database server: exit 75" {
	run --separate-stderr chm-report --db "host=/nonexistent dbname=x" q1
	[ "$status" -eq 75 ]
	[[ "$stderr" == "chm-report: cannot connect to the database"* ]]
}
