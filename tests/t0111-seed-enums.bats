#!/usr/bin/env bats
# The seed data model's enums, exactly: platform airflow, dbt, cron,
# vendor_api, custom; pipeline_type ingestion, transform, quality, export,
# healthcheck. Every program takes them and refuses the old ones by name;
# migration 011 converts a database of the old schema, or refuses, changing
# nothing, when two pipelines of a client would then share platform and
# external_id. OpenLineage runs find their pipeline whatever its platform.

load helper
load cli_helper

PLATFORMS="airflow dbt cron vendor_api custom"
TYPES="ingestion transform quality export healthcheck"

setup() {
	fresh_db
}

# ---- a database of the schema before 011, filled with the old values ------

# An empty database with the migrations before 011 applied the way chm
# migrate applies them (each in a transaction, recorded in schema_migrations).
old_schema_db() {
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$PGDATABASE\"" >/dev/null
	psql -X -q -d postgres -c "CREATE DATABASE \"$PGDATABASE\"" >/dev/null
	migrations_before 011
}

# Every old platform and pipeline_type value, with runs and alert rules.
old_rows() {
	psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO clients (name) VALUES ('acme'), ('globex');
INSERT INTO pipelines (client_id, name, platform, pipeline_type, external_id)
SELECT c.id, v.name, v.platform::platform, v.pipeline_type::pipeline_type, v.external_id
FROM (VALUES
    ('acme', 'af', 'airflow', 'ingestion', 'af'),
    ('acme', 'cloud', 'dbt_cloud', 'transformation', '43167'),
    ('acme', 'core', 'dbt_core', 'data_quality', 'jaffle_shop'),
    ('acme', 'ol', 'openlineage', 'orchestration', 'ns/job'),
    ('acme', 'ven', 'vendor', 'reporting', 'carrier-events'),
    ('acme', 'cr', 'cron', 'export', 'nightly'),
    ('acme', 'misc', 'other', 'other', NULL),
    ('globex', 'cloud', 'dbt_cloud', 'transformation', '43167'),
    ('globex', 'misc', 'other', 'ingestion', 'm1')) AS v (client, name, platform, pipeline_type, external_id)
JOIN clients c ON c.name = v.client;
INSERT INTO runs (pipeline_id, external_run_id, status, started_at)
SELECT p.id, 'r' || g, CASE WHEN g % 3 = 0 THEN 'failed' ELSE 'success' END::run_status,
       '2026-11-20T00:00:00Z'::timestamptz + g * interval '1 hour'
FROM pipelines p CROSS JOIN generate_series(1, 4) g;
INSERT INTO alert_rules (pipeline_id, rule_type, channel, destination)
SELECT id, 'on_failure', 'slack', '#ops' FROM pipelines;
SQL
}

counts() {
	q "SELECT (SELECT count(*) FROM clients) || ' ' || (SELECT count(*) FROM pipelines) || ' ' ||
	          (SELECT count(*) FROM runs) || ' ' || (SELECT count(*) FROM alert_rules)"
}

# The whole database as SQL (\restrict lines carry a random key).
dump() {
	pg_dump --no-owner "$PGDATABASE" | grep -v '^\\\(un\)\?restrict '
}

enum_values() {
	q "SELECT string_agg(enumlabel, ' ' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = '$1'::regtype"
}

# ---- every seed value accepted --------------------------------------------

@test "chm-load inventory takes every seed platform and pipeline_type" {
	{
		echo '{"type":"client","name":"acme"}'
		for p in $PLATFORMS; do
			for t in $TYPES; do
				printf '{"type":"pipeline","client":"acme","name":"%s_%s","platform":"%s","pipeline_type":"%s"}\n' \
					"$p" "$t" "$p" "$t"
			done
		done
	} >"$BATS_TEST_TMPDIR/inv.ndjson"
	run --separate-stderr chm-load "$BATS_TEST_TMPDIR/inv.ndjson"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field inserted)" 26
	assert_eq "$(summary_field rejected)" 0
	assert_eq "$(q "SELECT count(*) FROM pipelines WHERE name = platform || '_' || pipeline_type")" 25
	assert_eq "$(q "SELECT count(DISTINCT platform) || ' ' || count(DISTINCT pipeline_type) FROM pipelines")" "5 5"
}

@test "chm pipeline create takes every seed platform and type" {
	chm client create --name acme >/dev/null
	for p in $PLATFORMS; do
		for t in $TYPES; do
			run --separate-stderr chm pipeline create --client acme --name "${p}_$t" --platform "$p" --type "$t"
			assert_json_ok
			assert_eq "$(jfield '.platform + " " + .pipeline_type')" "$p $t"
		done
	done
	assert_eq "$(q "SELECT count(*) FROM pipelines WHERE name = platform || '_' || pipeline_type")" 25
	run --separate-stderr chm pipeline create --client acme --name v --platform vendor_api --type quality
	assert_json_ok
	run --separate-stderr chm pipeline list --platform vendor_api
	assert_eq "$(printf '%s\n' "$output" | jq -r .name | sort | paste -sd,)" \
		"v,vendor_api_export,vendor_api_healthcheck,vendor_api_ingestion,vendor_api_quality,vendor_api_transform"
}

@test "the schema's enums are the seed's, in its order" {
	assert_eq "$(enum_values platform)" "$PLATFORMS"
	assert_eq "$(enum_values pipeline_type)" "$TYPES"
}

@test "the views and chm-report carry the seed platforms" {
	load_inventory
	chm-load "$FIXTURES/runs/history.ndjson" >/dev/null
	run --separate-stderr chm-report --format ndjson --now 2026-11-23T00:00:00Z --since 2026-11-01T00:00:00Z q8
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .platform | paste -sd' ')" "airflow dbt cron vendor_api custom"
	run --separate-stderr chm-report --format ndjson --now 2026-11-23T00:00:00Z --platform vendor_api q2
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | jq -r .pipeline | sort | paste -sd,)" "carrier_events,ledger_quality"
	run --separate-stderr chm-report --platform vendor q2
	[ "$status" -eq 64 ]
	[[ "$stderr" == *'unknown platform "vendor", from before the seed enums: write "vendor_api"'* ]]
}

# ---- old values refused, by line and field ---------------------------------

@test "chm-load rejects the old values, naming line, field and the new value" {
	load_inventory
	cat >"$BATS_TEST_TMPDIR/old.ndjson" <<'EOF'
{"type":"pipeline","client":"acme","name":"a","platform":"dbt_cloud","pipeline_type":"transform"}
{"type":"pipeline","client":"acme","name":"b","platform":"dbt","pipeline_type":"transformation"}
{"type":"pipeline","client":"acme","name":"c","platform":"airflow","pipeline_type":"data_quality"}
{"type":"run","client":"globex","platform":"vendor","external_id":"carrier-events","external_run_id":"x","status":"success"}
{"type":"pipeline","client":"acme","name":"d","platform":"dbt","pipeline_type":"transform"}
EOF
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rej.ndjson" "$BATS_TEST_TMPDIR/old.ndjson"
	[ "$status" -eq 65 ]
	assert_eq "$(summary_field rejected)" 4
	assert_eq "$(jq -r '[.line, .code, .field] | join(" ")' "$BATS_TEST_TMPDIR/rej.ndjson" | paste -sd,)" \
		"1 bad_enum platform,2 bad_enum pipeline_type,3 bad_enum pipeline_type,4 bad_enum platform"
	assert_eq "$(jq -r .message "$BATS_TEST_TMPDIR/rej.ndjson" | sed -n 1p)" \
		'platform "dbt_cloud" is not one of: airflow, dbt, cron, vendor_api, custom (a value from before the seed enums: write "dbt")'
	jq -r .message "$BATS_TEST_TMPDIR/rej.ndjson" | sed -n 2p | grep -F 'write "transform"'
	jq -r .message "$BATS_TEST_TMPDIR/rej.ndjson" | sed -n 3p | grep -F 'write "quality"'
	jq -r .message "$BATS_TEST_TMPDIR/rej.ndjson" | sed -n 4p | grep -F 'write "vendor_api"'
	assert_eq "$(q "SELECT string_agg(name, ',') FROM pipelines WHERE name IN ('a', 'b', 'c', 'd')")" d
}

@test "chm pipeline create and update refuse the old values, saying what to write" {
	chm client create --name acme >/dev/null
	run --separate-stderr chm pipeline create --client acme --name a --platform dbt_core --type orchestration
	assert_error 65 validation_failed platform pipeline_type
	[[ "$stderr" == *'write \"dbt\"'* ]]
	[[ "$stderr" == *'write \"transform\"'* ]]
	chm pipeline create --client acme --name a --platform dbt --type transform >/dev/null
	run --separate-stderr chm pipeline update acme/a --platform openlineage
	assert_error 65 validation_failed platform
	[[ "$stderr" == *'write \"custom\"'* ]]
	assert_eq "$(q "SELECT platform || ' ' || pipeline_type FROM pipelines")" "dbt transform"
}

# ---- migration 011 ---------------------------------------------------------

@test "a database of the old schema migrates: every value mapped, no row lost, views and grants kept" {
	old_schema_db
	old_rows
	q "DROP ROLE IF EXISTS chm_t0111_dash; CREATE ROLE chm_t0111_dash"
	q "GRANT SELECT ON chm_q8_failure_rate_per_platform TO chm_t0111_dash"
	q "CREATE VIEW my_platforms AS SELECT platform, runs FROM chm_q8_failure_rate_per_platform"
	before=$(counts)
	run --separate-stderr chm migrate
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -F '"version":"011_seed_enums.sql"'
	assert_eq "$(counts)" "$before"
	assert_eq "$(enum_values platform)" "$PLATFORMS"
	assert_eq "$(enum_values pipeline_type)" "$TYPES"
	assert_eq "$(q "SELECT string_agg(c.name || '/' || p.name || ' ' || p.platform || ' ' || p.pipeline_type, ',' ORDER BY c.name, p.name)
	                FROM pipelines p JOIN clients c ON c.id = p.client_id")" \
		"acme/af airflow ingestion,acme/cloud dbt transform,acme/core dbt quality,acme/cr cron export,acme/misc custom transform,acme/ol custom transform,acme/ven vendor_api export,globex/cloud dbt transform,globex/misc custom ingestion"
	# every run still on its pipeline
	assert_eq "$(q "SELECT count(DISTINCT pipeline_id) FROM runs")" 9
	# the views answer, with the new values; the grant and a user's view survive
	q "SELECT set_config('chm.now', '2026-11-21T00:00:00Z', false); SELECT set_config('chm.since', '2026-11-01T00:00:00Z', false);
	   SELECT string_agg(platform || ':' || runs, ' ' ORDER BY platform) FROM my_platforms" | tail -n 1 |
		grep -Fx "airflow:4 dbt:12 cron:4 vendor_api:4 custom:12"
	assert_eq "$(q "SELECT has_table_privilege('chm_t0111_dash', 'chm_q8_failure_rate_per_platform', 'SELECT')")" t
	# the unique key feeds name pipelines by holds on the new values
	run q "INSERT INTO pipelines (client_id, name, platform, pipeline_type, external_id)
	       SELECT id, 'dup', 'dbt', 'transform', '43167' FROM clients WHERE name = 'acme'"
	[ "$status" -ne 0 ]
	# chm-load works on the migrated database
	printf '%s\n' '{"type":"run","client":"acme","platform":"dbt","external_id":"jaffle_shop","external_run_id":"new","status":"success"}' |
		chm-load >/dev/null
	assert_eq "$(q "SELECT p.name FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.external_run_id = 'new'")" core
	q "DROP VIEW my_platforms; DROP OWNED BY chm_t0111_dash; DROP ROLE chm_t0111_dash"
}

@test "two pipelines the mapping would merge: exit 78 naming both, the database exactly as before" {
	old_schema_db
	old_rows
	psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO pipelines (client_id, name, platform, pipeline_type, external_id)
SELECT id, 'core_twin', 'dbt_core', 'transformation', '43167' FROM clients WHERE name = 'acme';
INSERT INTO pipelines (client_id, name, platform, pipeline_type, external_id)
SELECT id, 'ol_twin', 'openlineage', 'ingestion', 'm1' FROM clients WHERE name = 'globex';
SQL
	dump >"$BATS_TEST_TMPDIR/before.sql"
	before_enums="$(enum_values platform) / $(enum_values pipeline_type)"
	run --separate-stderr chm migrate
	[ "$status" -eq 78 ]
	assert_eq "$output" ""
	[[ "$stderr" == "chm: migration 011_seed_enums.sql refused: "* ]]
	[[ "$stderr" == *'acme/cloud (dbt_cloud) and acme/core_twin (dbt_core) would share platform dbt and external_id "43167"'* ]]
	[[ "$stderr" == *'globex/misc (other) and globex/ol_twin (openlineage) would share platform custom and external_id "m1"'* ]]
	[[ "$stderr" == *"chm pipeline update CLIENT/NAME --external-id"* ]]
	[[ "$stderr" != *globex/cloud* ]]
	dump >"$BATS_TEST_TMPDIR/after.sql"
	cmp "$BATS_TEST_TMPDIR/before.sql" "$BATS_TEST_TMPDIR/after.sql"
	assert_eq "$(enum_values platform) / $(enum_values pipeline_type)" "$before_enums"
	assert_eq "$(q "SELECT count(*) FROM schema_migrations WHERE version = '011_seed_enums.sql'")" 0
	# what the message says to do, then migrate again
	chm pipeline update acme/core_twin --external-id jaffle_twin >/dev/null
	chm pipeline update globex/ol_twin --external-id "" >/dev/null
	run --separate-stderr chm migrate
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT platform FROM pipelines WHERE name = 'core_twin'")" dbt
}

# ---- OpenLineage: the pipeline's external_id, whatever its platform --------

ol_events() { # JOB RUNID
	printf '{"eventType":"START","eventTime":"2026-11-22T10:00:00Z","run":{"runId":"%s"},"job":{"namespace":"ns","name":"%s"},"producer":"p"}\n' "$2" "$1"
	printf '{"eventType":"COMPLETE","eventTime":"2026-11-22T10:05:00Z","run":{"runId":"%s"},"job":{"namespace":"ns","name":"%s"},"producer":"p"}\n' "$2" "$1"
}

@test "OpenLineage runs land on the pipeline with their external_id, whatever its platform" {
	chm client create --name acme >/dev/null
	for p in $PLATFORMS; do
		chm pipeline create --client acme --name "job_$p" --platform "$p" --type transform --external-id "ns/job_$p" >/dev/null
	done
	for p in $PLATFORMS; do
		ol_events "job_$p" "0193c0de-0000-7000-8000-0000000000$(printf '%02d' ${#p})"
	done >"$BATS_TEST_TMPDIR/ol.ndjson"
	run --separate-stderr bash -c "chm-normalize --source openlineage --client acme '$BATS_TEST_TMPDIR/ol.ndjson' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(summary_field rejected)" 0
	assert_eq "$(q "SELECT string_agg(p.platform || ':' || r.status, ' ' ORDER BY p.platform)
	                FROM runs r JOIN pipelines p ON p.id = r.pipeline_id")" \
		"airflow:success dbt:success cron:success vendor_api:success custom:success"
}

@test "OpenLineage: two pipelines of the client with that external_id is ambiguous_pipeline; naming one resolves it" {
	chm client create --name acme >/dev/null
	chm pipeline create --client acme --name a_af --platform airflow --type transform --external-id ns/shared >/dev/null
	chm pipeline create --client acme --name a_dbt --platform dbt --type transform --external-id ns/shared >/dev/null
	ol_events shared 0193c0de-0000-7000-8000-0000000000aa >"$BATS_TEST_TMPDIR/ol.ndjson"
	chm-normalize --source openlineage --client acme "$BATS_TEST_TMPDIR/ol.ndjson" >"$BATS_TEST_TMPDIR/runs.ndjson"
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rej.ndjson" "$BATS_TEST_TMPDIR/runs.ndjson"
	[ "$status" -eq 65 ]
	assert_eq "$(jq -r '[.line, .code, .field] | join(" ")' "$BATS_TEST_TMPDIR/rej.ndjson" | paste -sd,)" \
		"1 ambiguous_pipeline external_id,2 ambiguous_pipeline external_id"
	jq -r .message "$BATS_TEST_TMPDIR/rej.ndjson" | head -n 1 |
		grep -F 'client "acme" has more than one pipeline with external_id "ns/shared"'
	assert_eq "$(q "SELECT count(*) FROM runs")" 0
	run --separate-stderr bash -c "chm-normalize --source openlineage --client acme --pipeline a_dbt '$BATS_TEST_TMPDIR/ol.ndjson' | chm-load"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT p.name || ' ' || r.status FROM runs r JOIN pipelines p ON p.id = r.pipeline_id")" "a_dbt success"
}

@test "a pipeline created in the stream makes an external_id ambiguous from then on" {
	chm client create --name acme >/dev/null
	chm pipeline create --client acme --name a_af --platform airflow --type transform --external-id ns/shared >/dev/null
	{
		ol_events shared 0193c0de-0000-7000-8000-0000000000b1 | chm-normalize --source openlineage --client acme
		echo '{"type":"pipeline","client":"acme","name":"a_dbt","platform":"dbt","pipeline_type":"transform","external_id":"ns/shared"}'
		ol_events shared 0193c0de-0000-7000-8000-0000000000b2 | chm-normalize --source openlineage --client acme
	} >"$BATS_TEST_TMPDIR/in.ndjson"
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rej.ndjson" "$BATS_TEST_TMPDIR/in.ndjson"
	[ "$status" -eq 65 ]
	assert_eq "$(jq -r '[.line, .code] | join(" ")' "$BATS_TEST_TMPDIR/rej.ndjson" | paste -sd,)" \
		"4 ambiguous_pipeline,5 ambiguous_pipeline"
	assert_eq "$(q "SELECT count(*) FROM runs")" 1
}

# ---- each source's platform -------------------------------------------------

@test "each source's runs name the platform of their pipelines; OpenLineage's none" {
	chm-normalize --source dbt_artifact --client acme --external-id jaffle_shop \
		"$FIXTURES"/dbt_artifact/*.json 2>/dev/null | jq -r .platform | sort -u | grep -Fx dbt
	chm-normalize --source dbt_cloud --client acme --external-id 43167 \
		"$FIXTURES"/dbt_cloud/*.json 2>/dev/null | jq -r .platform | sort -u | grep -Fx dbt
	chm-normalize --source vendor --mapping "$CHM_ROOT/pipelines/vendors/rat.json" --client acme \
		--external-id x "$FIXTURES"/vendor/*.json 2>/dev/null | jq -r .platform | sort -u | grep -Fx vendor_api
	chm-normalize --source openlineage --client globex "$FIXTURES/openlineage/events.ndjson" 2>/dev/null |
		jq -e -s 'length > 0 and all(.[]; has("platform") | not)'
}

@test "chm-fetch --source dbt_cloud fetches the dbt pipelines that are dbt Cloud jobs, not dbt-core projects" {
	# jaffle_shop is a dbt pipeline too, but no dbt Cloud job id: nothing to ask
	run --separate-stderr chm-fetch --source dbt_cloud --account-id 1 --base-url http://127.0.0.1:9 --retries 0 \
		--pipelines "$FIXTURES/inventory.ndjson" --client acme --pipeline jaffle_shop
	[ "$status" -eq 0 ]
	assert_eq "$output" ""
	[[ "$stderr" == *"no active dbt pipeline with an external_id dbt_cloud can fetch for client acme named jaffle_shop"* ]]
	# a job is asked for (and the partner is not there)
	run --separate-stderr chm-fetch --source dbt_cloud --account-id 1 --base-url http://127.0.0.1:9 --retries 0 \
		--pipelines "$FIXTURES/inventory.ndjson" --client acme --pipeline dbt_nightly
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"job_definition_id=43167"* ]]
	# from the database likewise
	load_inventory
	run --separate-stderr chm-fetch --source dbt_cloud --account-id 1 --base-url http://127.0.0.1:9 --retries 0 \
		--client acme --pipeline jaffle_shop
	[ "$status" -eq 0 ]
	assert_eq "$output" ""
}
