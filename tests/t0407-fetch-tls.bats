#!/usr/bin/env bats
# chm-fetch verifies TLS always; --cacert trusts a private CA.

load helper
load fetch_helper

setup() {
	command -v openssl >/dev/null || skip "no openssl"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$BATS_TEST_TMPDIR/key.pem" \
		-out "$BATS_TEST_TMPDIR/cert.pem" 2>/dev/null
}

fetch() {
	chm-fetch --source airflow --base-url "${FAKE_URL/http:/https:}" "${FETCH_FAST[@]}" --client acme --pipeline orders_daily "$@"
}

@test "a certificate no CA vouches for is refused: exit 78, not retried" {
	start_fake_api --tls "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem"
	run --separate-stderr fetch
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"(see --cacert)"* ]]
	assert_eq "$(retry_lines)" 0
	assert_eq "$output" ""
}

@test "--cacert: the private CA is trusted and the fetch goes through" {
	start_fake_api --tls "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem"
	run --separate-stderr fetch --cacert "$BATS_TEST_TMPDIR/cert.pem"
	[ "$status" -eq 0 ]
	assert_eq "$(raw_ids dag_run_id | wc -l)" 10
}
