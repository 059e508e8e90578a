#!/usr/bin/env bats
# chm client: create, list, get, update, disable; JSON out, one error shape.

load helper
load cli_helper

setup() {
	fresh_db
	load_fixtures
}

@test "client create prints the new client and stores it" {
	run --separate-stderr chm client create --name hooli --description "Hooli: search"
	assert_json_ok
	assert_eq "$(jfield .name)" hooli
	assert_eq "$(jfield .description)" "Hooli: search"
	assert_eq "$(jfield .is_active)" true
	assert_eq "$(jfield .id)" "$(q "SELECT id FROM clients WHERE name = 'hooli'")"
	[[ "$(jfield .created_at)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}Z$ ]]
}

@test "client create refuses a duplicate name with a readable conflict" {
	run --separate-stderr chm client create --name acme
	assert_error 65 conflict name
	[[ "$stderr" == *'a client named \"acme\" already exists'* ]]
	[[ "$stderr" != *"duplicate key"* ]]
	assert_eq "$(q "SELECT count(*) FROM clients WHERE name = 'acme'")" 1
}

@test "client create refuses invalid values with field-level details" {
	run --separate-stderr chm client create --name "   "
	assert_error 65 validation_failed name
	run --separate-stderr chm client create --name "$(printf 'x%.0s' $(seq 201))"
	assert_error 65 validation_failed name
	[[ "$stderr" == *"at most 200"* ]]
	assert_eq "$(q "SELECT count(*) FROM clients")" 3
}

@test "client create: usage errors exit 64 naming the option" {
	run --separate-stderr chm client create
	assert_error 64 usage name
	run --separate-stderr chm client create --name a --bogus
	assert_error 64 usage --bogus
	run --separate-stderr chm client create --name
	assert_error 64 usage name
	run --separate-stderr chm client create --name a --name b
	assert_error 64 usage name
	run --separate-stderr chm client create --name a stray
	assert_error 64 usage argument
	run --separate-stderr chm client create --name a --format xml
	assert_error 64 usage format
	run --separate-stderr chm client
	assert_error 64 usage action
	run --separate-stderr chm client frobnicate
	assert_error 64 usage action
	assert_eq "$(q "SELECT count(*) FROM clients")" 3
}

@test "client list: active clients as NDJSON, --all adds disabled ones" {
	q "UPDATE clients SET is_active = false WHERE name = 'initech'"
	run --separate-stderr chm client list
	assert_json_ok
	assert_eq "$(printf '%s\n' "$output" | jq -r .name | paste -sd,)" "acme,globex"
	run --separate-stderr chm client list --all
	assert_json_ok
	assert_eq "$(printf '%s\n' "$output" | jq -r .name | paste -sd,)" "acme,globex,initech"
	assert_eq "$(printf '%s\n' "$output" | jq -r 'select(.name == "acme") | .pipelines')" "$(grep -c '"type":"pipeline","client":"acme"' "$FIXTURES/inventory.ndjson")"
}

@test "client list --format table: a header and one aligned line a client, numbers right-aligned" {
	run --separate-stderr chm client list --format table --wide
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "id  name     is_active  pipelines  description"* ]]
	assert_eq "${#lines[@]}" 4
	[[ "${lines[1]}" == " 1  acme     true               7  Acme Retail"* ]]
}

@test "client get by name and by id; an unknown client is not_found" {
	run --separate-stderr chm client get globex
	assert_json_ok
	id=$(jfield .id)
	run --separate-stderr chm client get "$id"
	assert_json_ok
	assert_eq "$(jfield .name)" globex
	run --separate-stderr chm client get --client globex
	assert_json_ok
	run --separate-stderr chm client get nobody
	assert_error 65 not_found client
	run --separate-stderr chm client get
	assert_error 64 usage client
}

@test "client update renames and changes the description; '' clears it" {
	run --separate-stderr chm client update acme --name acme-retail --description "new text"
	assert_json_ok
	assert_eq "$(jfield .name)" acme-retail
	assert_eq "$(q "SELECT description FROM clients WHERE name = 'acme-retail'")" "new text"
	run --separate-stderr chm client update acme-retail --description ""
	assert_json_ok
	assert_eq "$(jfield .description)" null
	# its pipelines follow: they belong to the client, not to its name
	run --separate-stderr chm pipeline get acme-retail/orders_daily
	assert_json_ok
}

@test "client update refuses a taken name, bad values and nothing to do" {
	run --separate-stderr chm client update acme --name globex
	assert_error 65 conflict name
	assert_eq "$(q "SELECT count(*) FROM clients WHERE name = 'acme'")" 1
	run --separate-stderr chm client update acme --active maybe
	assert_error 65 validation_failed is_active
	run --separate-stderr chm client update acme
	assert_error 64 usage
	run --separate-stderr chm client update nobody --name x
	assert_error 65 not_found client
}

@test "client disable keeps the client, its pipelines and its runs" {
	runs=$(q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id WHERE c.name = 'acme'")
	run --separate-stderr chm client disable acme
	assert_json_ok
	assert_eq "$(jfield .is_active)" false
	assert_eq "$(q "SELECT is_active FROM clients WHERE name = 'acme'")" f
	assert_eq "$(q "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id JOIN clients c ON c.id = p.client_id WHERE c.name = 'acme'")" "$runs"
	run --separate-stderr chm client list
	[[ "$output" != *'"acme"'* ]]
	# twice is fine
	run --separate-stderr chm client disable acme
	assert_json_ok
	# and back
	run --separate-stderr chm client update acme --active true
	assert_json_ok
	assert_eq "$(jfield .is_active)" true
}

@test "chm client --help and an action's --help print usage on stdout" {
	run --separate-stderr chm client --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"chm client create --name NAME"* ]]
	[[ "$output" == *"chm client disable CLIENT"* ]]
	run --separate-stderr chm client update --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"chm client update CLIENT"* ]]
	[[ "$output" != *"chm client create"* ]]
}

@test "no database: exit 75 with the error shape; a bad conninfo: 78" {
	run --separate-stderr chm --db "host=/nonexistent dbname=x" client list
	assert_error 75 db_unavailable
	run --separate-stderr chm --db "nosuchoption=1" client list
	assert_error 78 db_config
	CHM_DATABASE_URL="host=/nonexistent dbname=x" run --separate-stderr chm client get acme
	assert_error 75 db_unavailable
}

@test "a failed write to stdout is an io_error in the error shape; a closed pipe is not" {
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr bash -c 'chm client list >/dev/full'
	assert_error 74 io_error
	runsh 'chm run list --client acme --limit 1000 | head -c 1 >/dev/null'
	[ "$status" -eq 0 ]
}

@test "a common option given twice: the last wins (an alias's default is overridden); an action's own option twice is refused" {
	run --separate-stderr chm client list --format table --format json
	assert_json_ok
	jq -e -s 'length > 0 and all(.[]; has("id"))' <<<"$output" >/dev/null
	run --separate-stderr chm client list --format json --format table --color never
	[ "$status" -eq 0 ]
	[[ "$(head -n 1 <<<"$output")" == id* ]]
	run --separate-stderr chm client create --name a --name b
	assert_error 64 usage name
}
