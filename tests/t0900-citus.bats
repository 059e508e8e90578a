#!/usr/bin/env bats
# CHM on a Citus cluster (a coordinator and two workers on Unix sockets,
# tests/citus_helper.bash), proven against one node: `chm migrate --citus`
# lays the tables out, and the same programs, unchanged, give the same
# answers and the same runs table. Without Citus installed each test skips
# with one line saying how to get it (`make citus`).

load helper
load fetch_helper
load citus_helper

NOW=2026-11-22T12:00:00Z

# Every stored run by its natural key, every field but the row's handles
# (id, created_at, updated_at), sorted: equal runs tables give equal text.
RUNS_SQL="COPY (SELECT c.name, p.name, r.external_run_id, r.status, r.started_at, r.finished_at,
                       r.duration_seconds, r.rows_processed, r.error_message, r.status_reason, r.payload
                FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id
                ORDER BY 1, 2, 3) TO STDOUT"

runs_of() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "$RUNS_SQL"
}

setup_file() {
	fresh_db file
	citus_setup_file
	citus_installed || return 0
	# the fixture of t0601 and a synthetic history (t0710's), on one node:
	# the reference every cluster test compares with
	chm-synth --seed 11 --clients 4 --pipelines 36 --days 10 --end 2026-11-22T00:00:00Z \
		--format canonical --inventory >"$BATS_FILE_TMPDIR/history.ndjson"
	cat "$FIXTURES/report/inventory.ndjson" "$FIXTURES/report/runs.ndjson" \
		"$BATS_FILE_TMPDIR/history.ndjson" >"$BATS_FILE_TMPDIR/all.ndjson"
	chm-load "$BATS_FILE_TMPDIR/all.ndjson" >/dev/null
	chm-report --format ndjson --now "$NOW" all >"$BATS_FILE_TMPDIR/report.ndjson"
	runs_of "dbname=$PGDATABASE" >"$BATS_FILE_TMPDIR/runs.txt"
}

teardown_file() {
	citus_teardown_file
}

@test "chm migrate --citus on an empty database: runs sharded by pipeline_id, the rest reference tables; twice changes nothing" {
	citus_require
	db=$(citus_db t0900_empty)
	run --separate-stderr chm --db "$db" migrate --citus
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == *'{"type":"citus","table":"runs","kind":"distributed","shards":32}'* ]]
	# chm-load's staging table, sharded like runs
	[[ "$output" == *'{"type":"citus","table":"chm_stage","kind":"distributed","shards":32}'* ]]
	# the daily rollups (040) and the days a loader recounts, sharded like runs too
	[[ "$output" == *'{"type":"citus","table":"chm_run_days","kind":"distributed","shards":32}'* ]]
	[[ "$output" == *'{"type":"citus","table":"chm_run_days_dirty","kind":"distributed","shards":32}'* ]]
	[[ "$output" == *'{"type":"citus","table":"chm_run_days_new","kind":"distributed","shards":32}'* ]]
	assert_eq "$(psql -X -A -t -d "$db" -c "SELECT colocationid FROM pg_dist_partition
	             WHERE logicalrelid IN ('chm_stage'::regclass, 'chm_run_days'::regclass,
	             'chm_run_days_dirty'::regclass, 'chm_run_days_new'::regclass)
	             EXCEPT SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'runs'::regclass")" ""
	for t in clients pipelines alert_rules; do
		[[ "$output" == *"{\"type\":\"citus\",\"table\":\"$t\",\"kind\":\"reference\",\"shards\":1}"* ]]
	done
	# the foreign keys are back, and no trigger needed unsafe settings
	assert_eq "$(psql -X -A -t -d "$db" -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f'
	             AND conrelid IN ('clients'::regclass, 'pipelines'::regclass, 'runs'::regclass, 'alert_rules'::regclass)")" 4
	assert_eq "$(psql -X -A -t -d "$db" -c "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	             WHERE NOT t.tgisinternal AND c.relname IN ('clients', 'pipelines', 'runs', 'alert_rules')")" 0
	assert_eq "$(psql -X -A -t -d "$db" -c "SHOW citus.enable_unsafe_triggers")" off
	run chm --db "$db" migrate --citus
	[ "$status" -eq 0 ]
	assert_eq "${lines[-1]}" '{"type":"migrate","applied":0}'
	# the layout is the same as before: nothing moved
	assert_eq "$(psql -X -A -t -d "$db" -c "SELECT count(*) FROM pg_dist_partition")" 8
}

@test "chm migrate --citus distributes a database already holding data, in place" {
	citus_require
	db=$(citus_db t0900_inplace)
	chm --db "$db" migrate >/dev/null
	chm-load --db "$db" "$BATS_FILE_TMPDIR/all.ndjson" >/dev/null
	run --separate-stderr chm --db "$db" migrate --citus
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	diff <(runs_of "$db") "$BATS_FILE_TMPDIR/runs.txt"
	# the data lives on the workers' shards now, not in the coordinator's table
	assert_eq "$(psql -X -A -t -d "$db" -c "SELECT pg_relation_size('runs') + pg_relation_size('pipelines')")" 0
	[ "$(psql -X -A -t -d "$db" -c "SELECT count(DISTINCT nodename) FROM citus_shards WHERE table_name = 'runs'::regclass")" -eq 2 ]
	diff <(chm-report --db "$db" --format ndjson --now "$NOW" all) "$BATS_FILE_TMPDIR/report.ndjson"
}

@test "chm migrate --citus without the citus extension is refused, saying what to do" {
	run --separate-stderr chm migrate --citus
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"migrate --citus refused"* ]]
	[[ "$stderr" == *"CREATE EXTENSION citus"* ]]
}

@test "the fixture and a synthetic history: byte-identical chm-report output and runs table on the cluster" {
	citus_require
	db=$(citus_db t0900_same)
	chm --db "$db" migrate --citus >/dev/null
	# the fixture alone answers exactly the hand-computed rows (t0601; Q9's
	# percentiles from the rollups' histograms, which the history below
	# compares byte for byte with one node's)
	chm-load --db "$db" "$FIXTURES/report/inventory.ndjson" "$FIXTURES/report/runs.ndjson" >/dev/null
	pct='del(.p50_seconds, .p90_seconds, .p99_seconds)'
	diff <(chm-report --db "$db" --now "$NOW" all | jq -c "$pct") <(jq -c "$pct" "$FIXTURES/report/expected.ndjson")
	run chm-load --db "$db" "$BATS_FILE_TMPDIR/history.ndjson"
	[ "$status" -eq 0 ]
	diff <(chm-report --db "$db" --format ndjson --now "$NOW" all) "$BATS_FILE_TMPDIR/report.ndjson"
	diff <(runs_of "$db") "$BATS_FILE_TMPDIR/runs.txt"
	# an unchanged replay writes nothing
	run chm-load --db "$db" "$BATS_FILE_TMPDIR/all.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted) $(summary_field updated)" "0 0"
	# the chm commands read the same (ids and row times aside)
	strip() { sed -E 's/"(id|run_id|pipeline_id|client_id|created_at|updated_at|cursor)":("[^"]*"|[0-9]+)//g'; }
	for args in "client list" "pipeline list" "rule list" "run latest" \
		"summary --client acme --since 2026-11-12T00:00:00Z --until 2026-11-22T00:00:00Z" \
		"run list --client alpha --limit 30"; do
		diff <(chm --db "$db" $args 2>&1 | strip) <(chm $args 2>&1 | strip)
	done
	# chm run record writes through chm-load's loader, one run
	for conn in "$db" "dbname=$PGDATABASE"; do
		chm --db "$conn" run record --pipeline alpha/orders --external-run-id manual-1 --status failed \
			--started-at 2026-11-22T11:00:00Z --error-message boom >/dev/null
	done
	diff <(chm --db "$db" run list --pipeline alpha/orders --limit 3 2>&1 | strip) \
		<(chm run list --pipeline alpha/orders --limit 3 2>&1 | strip)
}

@test "SIGKILL at random points of a load, then a replay: the cluster equals one clean load" {
	citus_require
	db=$(citus_db t0900_kill)
	chm --db "$db" migrate --citus >/dev/null
	for i in 1 2 3; do
		chm-load --db "$db" --batch-size 200 "$BATS_FILE_TMPDIR/all.ndjson" >/dev/null 2>&1 3>&- &
		pid=$!
		sleep "0.$((RANDOM % 9 + 1))"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	run chm-load --db "$db" "$BATS_FILE_TMPDIR/all.ndjson"
	[ "$status" -eq 0 ]
	diff <(runs_of "$db") "$BATS_FILE_TMPDIR/runs.txt"
	diff <(chm-report --db "$db" --format ndjson --now "$NOW" all) "$BATS_FILE_TMPDIR/report.ndjson"
	# two finishes of one run, replayed, take it away and back: the
	# cluster leaves it alone too (load_runs.sql's round trips on the shards)
	ev='{"type":"run","client":"alpha","platform":"airflow","external_id":"orders","external_run_id":"twice","status":"success","started_at":"2026-11-21T02:00:00Z","finished_at":'
	printf '%s"2026-11-21T02:05:00Z"}\n%s"2026-11-21T02:07:00Z"}\n' "$ev" "$ev" >"$BATS_TEST_TMPDIR/twice"
	chm-load --db "$db" "$BATS_TEST_TMPDIR/twice" >/dev/null
	version="SELECT finished_at || ' ' || xmin FROM runs WHERE external_run_id = 'twice'"
	before=$(psql -X -At -d "$db" -c "$version")
	run chm-load --db "$db" "$BATS_TEST_TMPDIR/twice"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field updated)" 2
	assert_eq "$(psql -X -At -d "$db" -c "$version")" "$before"
	[[ "$before" == "2026-11-21 02:07:00+00 "* ]]
}

@test "four concurrent loaders on overlapping streams converge on the single-node state" {
	citus_require
	python3 "$BATS_TEST_DIRNAME/concurrency_streams.py" "$BATS_TEST_TMPDIR"
	fresh_db conc_ref
	load_inventory
	cat "$BATS_TEST_TMPDIR"/stream* | chm-load --batch-size 500 >/dev/null
	runs_of "dbname=$PGDATABASE" >"$BATS_TEST_TMPDIR/expected"
	db=$(citus_db t0900_conc)
	chm --db "$db" migrate --citus >/dev/null
	chm-load --db "$db" "$FIXTURES/inventory.ndjson" >/dev/null
	for trial in 1 2; do
		psql -X -q -d "$db" -c "TRUNCATE runs"
		pids=()
		for k in 0 1 2 3; do
			chm-load --db "$db" --batch-size 300 "$BATS_TEST_TMPDIR/stream$k" \
				>"$BATS_TEST_TMPDIR/out$k" 2>"$BATS_TEST_TMPDIR/err$k" 3>&- &
			pids+=($!)
		done
		for k in 0 1 2 3; do
			wait "${pids[$k]}" || { echo "trial $trial loader $k failed:" >&2; cat "$BATS_TEST_TMPDIR/err$k" >&2; return 1; }
		done
		diff <(runs_of "$db") "$BATS_TEST_TMPDIR/expected"
	done
	assert_eq "$(wc -l <"$BATS_TEST_TMPDIR/expected")" 3000
}

@test "chm-alert on the cluster: the same first evaluation, then the same alerts as one node" {
	citus_require
	db=$(citus_db t0900_alert)
	chm --db "$db" migrate --citus >/dev/null
	fresh_db alert_ref
	n=0
	for conn in "$db" "dbname=$PGDATABASE"; do
		n=$((n + 1))
		chm-load --db "$conn" "$FIXTURES/inventory.ndjson" >/dev/null
		rm -f "$BATS_TEST_TMPDIR/state.json"
		chm-alert --db "$conn" --state-file "$BATS_TEST_TMPDIR/state.json" --now 2026-11-20T00:00:00Z \
			>"$BATS_TEST_TMPDIR/first.$n"
		# what chm-notify would keep: the rules' first evaluations
		jq -c 'select(.type == "state") | .value' "$BATS_TEST_TMPDIR/first.$n" >"$BATS_TEST_TMPDIR/state.json"
		for i in 1 2 3 4; do
			run_line "f$i" failed "\"started_at\":\"2026-11-20T0$i:00:00Z\",\"finished_at\":\"2026-11-20T0$i:10:00Z\",\"error_message\":\"boom $i\""
		done | chm-load --db "$conn" >/dev/null
		chm-alert --db "$conn" --state-file "$BATS_TEST_TMPDIR/state.json" --now 2026-11-20T06:00:00Z \
			>"$BATS_TEST_TMPDIR/second.$n"
	done
	diff "$BATS_TEST_TMPDIR/first.1" "$BATS_TEST_TMPDIR/first.2"
	diff "$BATS_TEST_TMPDIR/second.1" "$BATS_TEST_TMPDIR/second.2"
	grep -q '"type":"alert"' "$BATS_TEST_TMPDIR/second.1"
}

@test "chm-fetch --db takes its pipelines from the cluster; fetch | normalize | load stores what one node stores" {
	citus_require
	start_fake_api
	db=$(citus_db t0900_fetch)
	chm --db "$db" migrate --citus >/dev/null
	fresh_db fetch_ref
	for conn in "$db" "dbname=$PGDATABASE"; do
		chm-load --db "$conn" "$FIXTURES/fetch/inventory.ndjson" >/dev/null
		run bash -c "set -o pipefail; chm-fetch --db '$conn' --source airflow --base-url '$FAKE_URL' \
			--client acme --retry-delay 0.02 --max-lookback 36500d | chm-normalize | chm-load --db '$conn'"
		[ "$status" -eq 0 ] || { echo "$conn: $output" >&2; return 1; }
		[ "$(summary_field inserted)" -gt 0 ]
	done
	diff <(runs_of "$db") <(runs_of "dbname=$PGDATABASE")
}

@test "the newest migration applies to a cluster distributed and loaded before it" {
	citus_require
	db=$(citus_db t0900_upgrade)
	newest=$(cd "$CHM_ROOT/sql/migrations" && ls *.sql | tail -n 1)
	# a cluster that took `chm migrate --citus` when the newest migration did
	# not exist yet: marked as applied, so migrate stops before it
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
		-c "$SCHEMA_MIGRATIONS_DDL" \
		-c "INSERT INTO schema_migrations (version) VALUES ('$newest')"
	chm --db "$db" migrate --citus >/dev/null
	# the one node's history (as the tests before left it), as such a
	# cluster holds it (COPYed: today's chm-load writes the newest schema),
	# with its rollups as its functions count them
	for t in clients pipelines alert_rules runs; do
		cols=$(psql -X -A -t -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
		                         WHERE attrelid = '$t'::regclass AND attnum > 0 AND NOT attisdropped")
		psql -X -q -v ON_ERROR_STOP=1 -c "COPY (SELECT $cols FROM $t) TO STDOUT" |
			psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "COPY $t ($cols) FROM STDIN"
	done
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SELECT chm_run_days_rebuild()" >/dev/null
	diff <(runs_of "$db") <(runs_of "dbname=$PGDATABASE")
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "DELETE FROM schema_migrations WHERE version = '$newest'"
	run --separate-stderr chm --db "$db" migrate --citus
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; return 1; }
	[ -z "$stderr" ]
	[[ "$output" == *"{\"type\":\"migration\",\"version\":\"$newest\",\"applied\":true}"* ]]
	# the cluster answers as the one node, and its loader runs on it: a
	# replay writes nothing, and the rollups it keeps are a rebuild's
	diff <(chm-report --db "$db" --format ndjson --now "$NOW" all) <(chm-report --format ndjson --now "$NOW" all)
	run chm-load --db "$db" "$BATS_FILE_TMPDIR/all.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted) $(summary_field updated)" "0 0"
	chm-load --db "$db" "$FIXTURES/report/runs.ndjson" <(chm-synth --seed 12 --clients 4 --pipelines 36 --days 2 \
		--end 2026-11-23T00:00:00Z --format canonical) >/dev/null
	run psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE TEMP TABLE kept AS SELECT * FROM chm_run_days;
SELECT chm_run_days_rebuild() \g /dev/null
SELECT count(*) FROM (SELECT to_jsonb(k) - 'dur_sum' FROM kept k
                      EXCEPT ALL SELECT to_jsonb(d) - 'dur_sum' FROM chm_run_days d) x;
SELECT count(*) FROM chm_run_days WHERE failed > 0;
SQL
	[ "$status" -eq 0 ]
	assert_eq "${lines[0]}" 0
	[ "${lines[1]}" -gt 10 ]
}

@test "rejects name their field on the cluster as on one node (a shard's constraint name), and a client named Acme/EU resolves" {
	citus_require
	db=$(citus_db t0900_rejects)
	chm --db "$db" migrate --citus >/dev/null
	fresh_db rejects_ref
	for conn in "$db" "dbname=$PGDATABASE"; do
		run --separate-stderr chm-load --db "$conn" <<'EOF2'
{"type":"client","name":"Acme/EU"}
{"type":"pipeline","client":"Acme/EU","name":"orders","platform":"cron","pipeline_type":"ingestion","external_id":"o-1"}
{"type":"pipeline","client":"Acme/EU","name":"orders2","platform":"cron","pipeline_type":"ingestion","external_id":"o-1"}
{"type":"run","pipeline":"Acme/EU/orders","external_run_id":"r1","status":"failed"}
EOF2
		[ "$status" -eq 65 ] || { echo "$conn: $stderr" >&2; return 1; }
		assert_eq "$(printf '%s\n' "$stderr" | jq -r 'select(.type=="reject") | "\(.line) \(.code) \(.field)"')" "3 conflict external_id"
	done
	diff <(runs_of "$db") <(runs_of "dbname=$PGDATABASE")
	[ -n "$(runs_of "$db")" ]
}
