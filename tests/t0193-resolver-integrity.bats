#!/usr/bin/env bats
# Runs land in their own pipeline (issue 14, items 1 and 2): the loader's
# pipeline keys are length-prefixed, so no bytes in names make two clients'
# pipelines meet; names with control characters are refused; and inventory
# records in a stream change where the runs after them go.

load helper

setup() {
	fresh_db
}

@test "names holding the old separator byte: each client's runs stay in its own pipeline" {
	# a database from before names were checked (013 is NOT VALID for old rows)
	q "ALTER TABLE clients DROP CONSTRAINT clients_name_printable; ALTER TABLE pipelines DROP CONSTRAINT pipelines_name_printable"
	q "INSERT INTO clients (name) VALUES ('victim'), (E'victim\\x1fx');
	   INSERT INTO pipelines (client_id, name, platform, pipeline_type)
	     SELECT id, E'x\\x1fy', 'cron', 'ingestion' FROM clients WHERE name = 'victim';
	   INSERT INTO pipelines (client_id, name, platform, pipeline_type)
	     SELECT id, 'y', 'cron', 'ingestion' FROM clients WHERE name = E'victim\\x1fx'"
	{
		printf '%s\n' '{"type":"run","client":"victim","pipeline":"x\u001fy","external_run_id":"a","status":"success"}'
		printf '%s\n' '{"type":"run","client":"victim\u001fx","pipeline":"y","external_run_id":"b","status":"failed"}'
	} >"$BATS_TEST_TMPDIR/in"
	run chm-load "$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	assert_eq "$(q "SELECT replace(c.name, E'\\x1f', '<US>') || '/' || replace(p.name, E'\\x1f', '<US>') || ':' || r.external_run_id FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id ORDER BY 1" | paste -sd,)" \
		"victim/x<US>y:a,victim<US>x/y:b"
}

@test "a name with a control character is refused at creation, naming the line and field" {
	printf '%s\n' '{"type":"client","name":"ok"}' '{"type":"client","name":"bad\u001b[31m"}' \
		'{"type":"pipeline","client":"ok","name":"p\u0007","platform":"cron","pipeline_type":"export"}' >"$BATS_TEST_TMPDIR/inv"
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rej" "$BATS_TEST_TMPDIR/inv"
	[ "$status" -eq 65 ]
	assert_eq "$(jq -r '"\(.line) \(.code) \(.field)"' "$BATS_TEST_TMPDIR/rej" | paste -sd,)" "2 bad_value name,3 bad_value name"
	assert_eq "$(q "SELECT string_agg(name, ',') FROM clients")" "ok"
	run --separate-stderr chm client create --name "$(printf 'a\033b')"
	[ "$status" -eq 65 ]
	[[ "$output$stderr" == *"control characters"* ]]
	# the database says so too, whoever writes
	run q "INSERT INTO clients (name) VALUES (E'z\\x01')"
	[ "$status" -ne 0 ]
}

@test "inventory records change where the later runs of the same stream go" {
	{
		echo '{"type":"client","name":"acme"}'
		echo '{"type":"pipeline","client":"acme","name":"p","platform":"cron","pipeline_type":"ingestion","external_id":"e1"}'
		echo '{"type":"run","client":"acme","platform":"cron","external_id":"e1","external_run_id":"r1","status":"success"}'
		echo '{"type":"run","client":"acme","pipeline":"p","external_run_id":"n1","status":"success"}'
		# e1 moves from p to a new pipeline q; p is renamed and a new p is created
		echo '{"type":"pipeline","client":"acme","name":"p","platform":"cron","pipeline_type":"ingestion","external_id":"e2"}'
		echo '{"type":"pipeline","client":"acme","name":"q","platform":"cron","pipeline_type":"ingestion","external_id":"e1"}'
		echo '{"type":"run","client":"acme","platform":"cron","external_id":"e1","external_run_id":"r2","status":"success"}'
	} | chm-load >/dev/null
	q "UPDATE pipelines SET name = 'p_old' WHERE name = 'p'"
	{
		echo '{"type":"run","client":"acme","pipeline":"p_old","external_run_id":"n2","status":"success"}'
		echo '{"type":"pipeline","client":"acme","name":"p","platform":"cron","pipeline_type":"export"}'
		echo '{"type":"run","client":"acme","pipeline":"p","external_run_id":"n3","status":"success"}'
	} | chm-load >/dev/null
	assert_eq "$(q "SELECT r.external_run_id || ':' || p.name FROM runs r JOIN pipelines p ON p.id = r.pipeline_id ORDER BY 1" | paste -sd,)" \
		"n1:p_old,n2:p_old,n3:p,r1:p_old,r2:q"
}

@test "text for a terminal shows no control characters: chm's tables and chm-report's" {
	printf '%s\n' '{"type":"client","name":"acme","description":"evil \u001b]0;owned\u0007 and \u001b[2J clear"}' | chm-load >/dev/null
	run chm client list --format table
	[ "$status" -eq 0 ]
	[[ "$output" == *"evil ?]0;owned? and ?[2J clear"* ]]
	! printf '%s' "$output" | grep -q $'\033'
	! printf '%s' "$output" | grep -q $'\007'
	load_inventory
	printf '%s\n' '{"type":"run","client":"acme","platform":"airflow","external_id":"orders_daily","external_run_id":"e1","status":"failed","started_at":"2026-11-22T10:00:00Z","error_message":"boom \u001b[31mred\u001b[0m"}' | chm-load >/dev/null
	run chm-report --now 2026-11-22T12:00:00Z --format table q6
	[ "$status" -eq 0 ]
	[[ "$output" == *"boom"* ]]
	! printf '%s' "$output" | grep -q $'\033'
}

@test "eight concurrent loads of one inventory converge to one load's result, exit 0" {
	for i in $(seq 1 10); do
		echo "{\"type\":\"client\",\"name\":\"c$i\"}"
		echo "{\"type\":\"pipeline\",\"client\":\"c$i\",\"name\":\"p\",\"platform\":\"cron\",\"pipeline_type\":\"ingestion\",\"external_id\":\"e$i\"}"
		echo "{\"type\":\"alert_rule\",\"client\":\"c$i\",\"rule_type\":\"on_failure\",\"channel\":\"slack\",\"destination\":\"#c$i\"}"
		echo "{\"type\":\"alert_rule\",\"client\":\"c$i\",\"rule_type\":\"on_failure\",\"channel\":\"email\",\"destination\":\"c$i@example.com\",\"is_enabled\":false}"
	done >"$BATS_TEST_TMPDIR/inv"
	for trial in 1 2 3; do
		fresh_db "conc$trial"
		pids=()
		for k in 1 2 3 4 5 6 7 8; do
			chm-load "$BATS_TEST_TMPDIR/inv" >"$BATS_TEST_TMPDIR/out.$k" 2>&1 &
			pids+=($!)
		done
		for k in 0 1 2 3 4 5 6 7; do
			wait "${pids[$k]}" || { cat "$BATS_TEST_TMPDIR/out.$((k + 1))" >&2; false; }
		done
		assert_eq "$(q "SELECT (SELECT count(*) FROM clients) || ' ' || (SELECT count(*) FROM pipelines) || ' ' || (SELECT count(*) FROM alert_rules) || ' ' || (SELECT count(*) FROM alert_rules WHERE is_enabled)")" "10 10 20 10"
	done
}

@test "a stream of unknown pipelines is not one database lookup a line (issue 14 item 10)" {
	load_inventory
	for i in $(seq 1 20000); do
		printf '{"type":"run","client":"acme","pipeline":"nope%d","external_run_id":"r","status":"success"}\n' "$i"
	done >"$BATS_TEST_TMPDIR/unknown"
	xacts() {
		sleep 0.6
		q "SELECT pg_stat_clear_snapshot(); SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()" | tail -n 1
	}
	before=$(xacts)
	run --separate-stderr chm-load --rejects "$BATS_TEST_TMPDIR/rej" "$BATS_TEST_TMPDIR/unknown"
	[ "$status" -eq 65 ]
	assert_eq "$(summary_field rejected)" 20000
	after=$(xacts)
	# at most CHM_RESOLVE_ASK_MAX (1000) lookups, not 20,000
	[ $((after - before)) -lt 2000 ] || { echo "$((after - before)) transactions" >&2; false; }
	# and a pipeline created meanwhile by someone else is still found
	chm pipeline create --client acme --name late --platform cron --type export >/dev/null
	printf '%s\n' '{"type":"run","client":"acme","pipeline":"late","external_run_id":"x","status":"success"}' | chm-load >/dev/null
	assert_eq "$(q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE p.name = 'late'")" 1
}
