# For the chm-fetch tests: the fake partner API (tests/fake_partner_api.py)
# on a per-test copy of fixtures/fetch, so a test may change a run between
# two fetches. `load fetch_helper` after `load helper`.

# start_fake_api [--fault KIND[:COUNT[:SUBSTRING]]]... : sets FAKE_URL, FAKE_LOG, FAKE_DATA
start_fake_api() {
	FAKE_DIR="$BATS_TEST_TMPDIR/fake"
	FAKE_DATA="$FAKE_DIR/data"
	FAKE_LOG="$FAKE_DIR/requests.log"
	mkdir -p "$FAKE_DIR"
	[ -d "$FAKE_DATA" ] || cp -R "$FIXTURES/fetch" "$FAKE_DATA"
	rm -f "$FAKE_DIR/port"
	python3 "$CHM_ROOT/tests/fake_partner_api.py" --data "$FAKE_DATA" --port-file "$FAKE_DIR/port" \
		--log "$FAKE_LOG" "$@" >>"$FAKE_DIR/server.err" 2>&1 3>&- &
	FAKE_PID=$!
	local i
	for i in $(seq 200); do
		[ -s "$FAKE_DIR/port" ] && break
		sleep 0.05
	done
	[ -s "$FAKE_DIR/port" ] || { cat "$FAKE_DIR/server.err" >&2; return 1; }
	FAKE_URL="http://127.0.0.1:$(cat "$FAKE_DIR/port")"
}

stop_fake_api() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
		FAKE_PID=
	fi
}

teardown() {
	stop_fake_api
}

# Quick retries so failure tests take well under a second each; a lookback
# long enough that the fixtures' running runs hold the bookmark whatever the date.
FETCH_FAST=(--retry-delay 0.02 --max-lookback 36500d --pipelines "$FIXTURES/fetch/inventory.ndjson")

# The last state value chm-fetch printed, as chm-load would write it: save_state FILE
save_state() {
	printf '%s\n' "$output" | jq -c 'select(.type=="state") | .value' | tail -n 1 >"$1"
}

# The ids of the raw records in $output, one per line: raw_ids PATH_IN_RECORD
raw_ids() {
	printf '%s\n' "$output" | jq -r "select(.type==\"raw\") | .record.$1"
}

# Lines of stderr that announce a retry.
retry_lines() {
	printf '%s\n' "$stderr" | grep -c '; retry [0-9]*/[0-9]* in ' || true
}
