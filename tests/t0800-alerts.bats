#!/usr/bin/env bats
# chm-alert | chm-notify: rules fire on real runs in PostgreSQL, and what a
# fake Slack / webhook receiver (real HTTP on 127.0.0.1) and a real SMTP
# server (aiosmtpd) receive, exactly once across re-runs and failures.

load helper

T0=2026-11-20T00:00:00Z

setup() {
	fresh_db
	STATE=$BATS_TEST_TMPDIR/alerts.json
	RECV_DIR=$BATS_TEST_TMPDIR/recv
	mkdir -p "$RECV_DIR"
	: >"$RECV_DIR/log"
	echo ok >"$RECV_DIR/mode"
	python3 "$CHM_ROOT/tests/fake_receiver.py" --port-file "$RECV_DIR/port" --log "$RECV_DIR/log" \
		--mode-file "$RECV_DIR/mode" 3>&- &
	RECV_PID=$!
	for _ in $(seq 200); do [ -s "$RECV_DIR/port" ] && break; sleep 0.05; done
	RECV_URL="http://127.0.0.1:$(cat "$RECV_DIR/port")"
	printf '%s/slack/T000/B000/XXXXSECRETXXXX\n' "$RECV_URL" >"$BATS_TEST_TMPDIR/slack-webhook"
	chmod 600 "$BATS_TEST_TMPDIR/slack-webhook"
	cat >"$BATS_TEST_TMPDIR/inv.ndjson" <<-EOF
	{"type":"client","name":"acme"}
	{"type":"client","name":"globex"}
	{"type":"pipeline","client":"acme","name":"orders","platform":"airflow","pipeline_type":"ingestion","external_id":"orders"}
	{"type":"pipeline","client":"acme","name":"export","platform":"cron","pipeline_type":"export","external_id":"export"}
	{"type":"pipeline","client":"globex","name":"ledger","platform":"cron","pipeline_type":"ingestion","external_id":"ledger"}
	{"type":"alert_rule","client":"acme","rule_type":"on_failure","channel":"slack","destination":"#acme-data"}
	{"type":"alert_rule","pipeline":"globex/ledger","rule_type":"failures_in_window","threshold":2,"window_minutes":60,"channel":"webhook","destination":"$RECV_URL/hooks/globex"}
	EOF
	chm-load "$BATS_TEST_TMPDIR/inv.ndjson" >/dev/null
}

teardown() {
	kill "$RECV_PID" 2>/dev/null || true
	wait "$RECV_PID" 2>/dev/null || true
	[ -z "${SMTP_PID:-}" ] || { kill "$SMTP_PID" 2>/dev/null; wait "$SMTP_PID" 2>/dev/null; } || true
}

# run CLIENT PIPELINE ID STATUS START [ERROR]: one canonical run line
run_line() {
	local err=null
	[ -z "${6:-}" ] || err=$(jq -cn --arg e "$6" '$e')
	printf '{"type":"run","client":"%s","pipeline":"%s","external_run_id":"%s","status":"%s","started_at":"%s","finished_at":"%s","error_message":%s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$5" "$err"
}

# alert NOW [notify options...]: one chm-alert | chm-notify round as of NOW
alert() {
	local now=$1
	shift
	runsh "chm-alert --now $now --state-file '$STATE' | chm-notify --state-file '$STATE' \
		--slack-webhook-file '$BATS_TEST_TMPDIR/slack-webhook' --retry-delay 0.05 --retries 2 $*"
}

received() {
	jq -r "$1" "$RECV_DIR/log"
}

@test "the first evaluation records when each rule starts: failures before it never fire" {
	run_line acme orders o-old failed 2026-11-19T23:00:00Z "old failure" | chm-load >/dev/null
	alert $T0
	[ "$status" -eq 0 ]
	assert_eq "$(wc -l <"$RECV_DIR/log")" 0
	assert_eq "$(jq -r '.alerts.rules | to_entries | map(.value) | unique | join(",")' "$STATE")" "2026-11-20T00:00:00.000000Z"
	# and the next round still does not page about history
	alert 2026-11-20T01:00:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(wc -l <"$RECV_DIR/log")" 0
}

@test "on_failure: one Slack message per incident, none for later failures, a resolved one on success" {
	alert $T0
	run_line acme orders o1 failed 2026-11-20T00:10:00Z 'Task failed: <!channel> & more' | chm-load >/dev/null
	alert 2026-11-20T00:15:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(received '.path')" "/slack/T000/B000/XXXXSECRETXXXX"
	body=$(received '.body')
	assert_eq "$(jq -r .channel <<<"$body")" "#acme-data"
	[[ "$(jq -r .text <<<"$body")" == *"FIRING acme/orders: run o1 failed"* ]]
	# run data cannot ping the channel in Slack's mrkdwn
	[[ "$(jq -r '.blocks[] | .text.text? // empty' <<<"$body")" == *'&lt;!channel&gt; &amp; more'* ]]
	[[ "$body" != *'<!channel>'* ]]
	# two more failures and two re-runs: nothing new
	{ run_line acme orders o2 failed 2026-11-20T00:20:00Z; run_line acme orders o3 failed 2026-11-20T00:30:00Z; } | chm-load >/dev/null
	alert 2026-11-20T00:35:00Z
	alert 2026-11-20T00:40:00Z
	assert_eq "$(wc -l <"$RECV_DIR/log")" 1
	# a success resolves it, once
	run_line acme orders o4 success 2026-11-20T00:50:00Z | chm-load >/dev/null
	alert 2026-11-20T00:55:00Z
	alert 2026-11-20T01:00:00Z
	assert_eq "$(wc -l <"$RECV_DIR/log")" 2
	[[ "$(jq -r .text <<<"$(sed -n 2p "$RECV_DIR/log" | jq -r .body)")" == *"RESOLVED acme/orders: recovered"* ]]
	assert_eq "$(jq -c '.alerts.open' "$STATE")" "{}"
	# the next failure is a new incident with a new key
	run_line acme orders o5 failed 2026-11-20T01:10:00Z | chm-load >/dev/null
	alert 2026-11-20T01:15:00Z
	assert_eq "$(wc -l <"$RECV_DIR/log")" 3
}

@test "on_failure: a success and a new failure between two rounds resolve the incident and open a new one" {
	alert $T0
	run_line acme orders o1 failed 2026-11-20T00:10:00Z | chm-load >/dev/null
	alert 2026-11-20T00:15:00Z
	assert_eq "$(jq -r '.alerts.open | keys | join(" ")' "$STATE")" "r1-p1-2026-11-20T00:10:00.000000Z"
	# both land before the next round
	{ run_line acme orders o2 success 2026-11-20T00:20:00Z; run_line acme orders o3 failed 2026-11-20T00:30:00Z "disk full"; } | chm-load >/dev/null
	alert 2026-11-20T00:35:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(jq -r '.body | fromjson | .text | sub("^:[a-z_]+: "; "")' "$RECV_DIR/log" | cut -c1-40 | tr '\n' '|')" \
		"FIRING acme/orders: run o1 failed|RESOLVED acme/orders: recovered, a run s|FIRING acme/orders: run o3 failed|"
	assert_eq "$(jq -r '.alerts.open | keys | join(" ")' "$STATE")" "r1-p1-2026-11-20T00:30:00.000000Z"
	# and the new one stays quiet while it lasts
	run_line acme orders o4 failed 2026-11-20T00:40:00Z | chm-load >/dev/null
	alert 2026-11-20T00:45:00Z
	assert_eq "$(wc -l <"$RECV_DIR/log")" 3
}

@test "a failed run with no start time fires on_failure and counts in a window: its finish says when" {
	alert $T0
	printf '%s\n' '{"type":"run","client":"acme","pipeline":"orders","external_run_id":"q1","status":"failed","started_at":null,"finished_at":"2026-11-20T00:10:00Z","error_message":"failed while queued"}' | chm-load >/dev/null
	alert 2026-11-20T00:15:00Z
	[ "$status" -eq 0 ]
	[[ "$(received '.body | fromjson | .text')" == *"FIRING acme/orders: run q1 failed"* ]]
	assert_eq "$(jq -r '.alerts.open[].since' "$STATE")" "2026-11-20T00:10:00.000000Z"
	# two of them in globex/ledger's 60 minutes reach its threshold of 2
	for id in l1 l2; do
		printf '{"type":"run","client":"globex","pipeline":"ledger","external_run_id":"%s","status":"failed","finished_at":"2026-11-20T00:2%s:00Z"}\n' $id ${id#l}
	done | chm-load >/dev/null
	alert 2026-11-20T00:30:00Z
	assert_eq "$(received 'select(.path == "/hooks/globex") | .body | fromjson | "\(.state) \(.failures) \(.runs | join(","))"')" "firing 2 l2,l1"
}

@test "failures_in_window at the window's edges, signed webhook with an idempotency key" {
	printf 'topsecret-hmac-key\n' >"$BATS_TEST_TMPDIR/whsecret"
	alert $T0
	{ run_line globex ledger l1 failed 2026-11-20T00:10:00Z; run_line globex ledger l2 failed 2026-11-20T00:40:00Z "disk full"; } | chm-load >/dev/null
	# one failure in the window at 00:30: below the threshold of 2
	alert 2026-11-20T00:30:00Z --webhook-secret-file "'$BATS_TEST_TMPDIR/whsecret'"
	assert_eq "$(wc -l <"$RECV_DIR/log")" 0
	alert 2026-11-20T00:45:00Z --webhook-secret-file "'$BATS_TEST_TMPDIR/whsecret'"
	[ "$status" -eq 0 ]
	assert_eq "$(received '.path')" "/hooks/globex"
	body=$(received '.body')
	assert_eq "$(jq -r '[.state,.rule_type,.client,.pipeline,.failures,.threshold,.window_minutes,.last_error] | join(" ")' <<<"$body")" \
		"firing failures_in_window globex ledger 2 2 60 disk full"
	assert_eq "$(jq -c .runs <<<"$body")" '["l2","l1"]'
	key=$(jq -r .key <<<"$body")
	assert_eq "$(received '.headers["idempotency-key"]')" "$key:firing"
	# the signature is HMAC-SHA256 of the exact body bytes, as GitHub signs
	want=$(printf '%s' "$body" | openssl dgst -sha256 -hmac topsecret-hmac-key -r | cut -d' ' -f1)
	assert_eq "$(received '.headers["x-chm-signature"]')" "sha256=$want"
	# at 01:10 exactly, l1 (00:10) has left the 60-minute window: resolved
	alert 2026-11-20T01:09:59Z --webhook-secret-file "'$BATS_TEST_TMPDIR/whsecret'"
	assert_eq "$(wc -l <"$RECV_DIR/log")" 1
	alert 2026-11-20T01:10:00Z --webhook-secret-file "'$BATS_TEST_TMPDIR/whsecret'"
	assert_eq "$(wc -l <"$RECV_DIR/log")" 2
	assert_eq "$(sed -n 2p "$RECV_DIR/log" | jq -r '.body | fromjson | [.state, .key, .failures] | join(" ")')" "resolved $key 1"
}

@test "scope: a pipeline's own rule wins over its client's; disabled rules and inactive pipelines are silent" {
	{
		echo '{"type":"alert_rule","pipeline":"acme/export","rule_type":"on_failure","channel":"slack","destination":"#export-owners"}'
		echo '{"type":"alert_rule","client":"globex","rule_type":"on_failure","channel":"slack","destination":"#globex","is_enabled":false}'
		echo '{"type":"pipeline","client":"acme","name":"orders","platform":"airflow","pipeline_type":"ingestion","external_id":"orders","is_active":false}'
	} | chm-load >/dev/null
	alert $T0
	{ run_line acme export e1 failed 2026-11-20T00:10:00Z; run_line acme orders o1 failed 2026-11-20T00:10:00Z
	  run_line globex ledger l1 failed 2026-11-20T00:10:00Z; } | chm-load >/dev/null
	alert 2026-11-20T00:15:00Z
	[ "$status" -eq 0 ]
	# export once, to its own channel; orders is inactive; globex's rule is disabled
	assert_eq "$(received '.body | fromjson | .channel + " " + (.text | sub(": run .*"; ""))' | sort | paste -sd,)" \
		"#export-owners :red_circle: FIRING acme/export"
	# a rule naming both a client and a pipeline covers the pipeline only
	: >"$RECV_DIR/log"
	{
		echo '{"type":"pipeline","client":"globex","name":"shipments","platform":"cron","pipeline_type":"ingestion","external_id":"shipments"}'
		echo "{\"type\":\"alert_rule\",\"client\":\"globex\",\"pipeline\":\"globex/ledger\",\"rule_type\":\"on_failure\",\"channel\":\"webhook\",\"destination\":\"$RECV_URL/hooks/both\"}"
	} | chm-load >/dev/null
	alert 2026-11-20T00:20:00Z
	{ run_line globex shipments s1 failed 2026-11-20T00:25:00Z; run_line globex ledger l2 failed 2026-11-20T00:25:00Z; } | chm-load >/dev/null
	alert 2026-11-20T00:30:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(received 'select(.path == "/hooks/both") | .body | fromjson | .pipeline' | paste -sd,)" "ledger"
}

@test "Slack refuses a webhook (its channel archived): the message says Slack's words, nothing is retried" {
	alert $T0
	run_line acme orders o1 failed 2026-11-20T00:10:00Z | chm-load >/dev/null
	echo archived >"$RECV_DIR/mode"
	alert 2026-11-20T00:15:00Z
	[ "$status" -eq 69 ]
	[[ "$output" == *"not delivered"*'HTTP 410 (the server said "channel_is_archived")'* ]]
	[[ "$output" != *"retry"* ]]
	[[ "$output" != *XXXXSECRETXXXX* ]]
	assert_eq "$(jq -c '.alerts.open' "$STATE")" "{}"
}

@test "a receiver that fails: exit 69, the alert is not marked sent, and the next round sends it exactly once" {
	alert $T0
	run_line acme orders o1 failed 2026-11-20T00:10:00Z | chm-load >/dev/null
	echo 500 >"$RECV_DIR/mode"
	alert 2026-11-20T00:15:00Z
	[ "$status" -eq 69 ]
	[[ "$output" == *"not delivered"*"HTTP 500"* ]]
	# the webhook URL is a secret: never in a message
	[[ "$output" != *XXXXSECRETXXXX* ]]
	assert_eq "$(jq -c '.alerts.open' "$STATE")" "{}"
	echo down >"$RECV_DIR/mode"
	alert 2026-11-20T00:16:00Z
	[ "$status" -eq 69 ]
	[[ "$output" != *XXXXSECRETXXXX* ]]
	echo ok >"$RECV_DIR/mode"
	alert 2026-11-20T00:17:00Z
	[ "$status" -eq 0 ]
	alert 2026-11-20T00:18:00Z
	alert 2026-11-20T00:19:00Z
	assert_eq "$(wc -l <"$RECV_DIR/log")" 1
	# a 500 once is retried within the same round
	run_line acme export e1 failed 2026-11-20T00:20:00Z | chm-load >/dev/null
	echo once500 >"$RECV_DIR/mode"
	alert 2026-11-20T00:25:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(wc -l <"$RECV_DIR/log")" 2
}

@test "a state file that cannot be written: exit 74 before anything is sent, not the first alert again every run" {
	alert $T0
	# a name that leaves no room for the temporary beside it (NAME_MAX):
	# the file reads, but no new one can be written, even by root
	local long
	long=$BATS_TEST_TMPDIR/$(printf 's%.0s' $(seq 245)).json
	cp "$STATE" "$long"
	STATE=$long
	run_line acme orders o1 failed 2026-11-20T00:10:00Z | chm-load >/dev/null
	run_line acme export e1 failed 2026-11-20T00:11:00Z | chm-load >/dev/null
	for now in 2026-11-20T00:15:00Z 2026-11-20T00:16:00Z; do
		alert $now
		[ "$status" -eq 74 ]
		[[ "$output" == *"cannot write state file $long.tmp."*"File name too long"* ]]
		assert_eq "$(wc -l <"$RECV_DIR/log")" 0
	done
	# once it can be written, each alert goes exactly once
	STATE=$BATS_TEST_TMPDIR/alerts.json
	cp "$long" "$STATE"
	alert 2026-11-20T00:17:00Z
	[ "$status" -eq 0 ]
	alert 2026-11-20T00:18:00Z
	assert_eq "$(wc -l <"$RECV_DIR/log")" 2
}

@test "a receiver that says 429 (Retry-After) or answers too slowly" {
	alert $T0
	run_line acme orders o1 failed 2026-11-20T00:10:00Z | chm-load >/dev/null
	# 429 with Retry-After: 1 on every try: waited for, then given up
	echo 429 >"$RECV_DIR/mode"
	start=$(date +%s%N)
	alert 2026-11-20T00:15:00Z
	[ "$status" -eq 69 ]
	[[ "$output" == *"HTTP 429"* ]]
	# two retries, each after the second the receiver asked for
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 2000 ]
	# slower than --timeout: a timeout, retried, given up; then delivered once it is fast
	echo slow >"$RECV_DIR/mode"
	alert 2026-11-20T00:16:00Z --timeout 0.5
	[ "$status" -eq 69 ]
	[[ "$output" == *timeout* ]]
	echo ok >"$RECV_DIR/mode"
	alert 2026-11-20T00:17:00Z
	[ "$status" -eq 0 ]
	alert 2026-11-20T00:18:00Z
	assert_eq "$(wc -l <"$RECV_DIR/log")" 1
}

@test "a receiver that stays down costs its retries once a run: the other channels still go" {
	alert $T0
	{ run_line acme orders o1 failed 2026-11-20T00:10:00Z; run_line acme export e1 failed 2026-11-20T00:11:00Z
	  run_line globex ledger l1 failed 2026-11-20T00:12:00Z; run_line globex ledger l2 failed 2026-11-20T00:13:00Z; } | chm-load >/dev/null
	# Slack's URL is a port nobody listens on
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf 'http://127.0.0.1:%s/slack/T000/B000/XXXXSECRETXXXX\n' "$port" >"$BATS_TEST_TMPDIR/slack-down"
	runsh "chm-alert --now 2026-11-20T00:15:00Z --state-file '$STATE' | chm-notify --state-file '$STATE' \
		--slack-webhook-file '$BATS_TEST_TMPDIR/slack-down' --retry-delay 0.05 --retries 2"
	[ "$status" -eq 69 ]
	assert_eq "$(grep -c 'gave up after 3 attempts' <<<"$output")" 1
	assert_eq "$(grep -c 'chm-notify: POST (the configured URL): .*; retry [12]/2 in ' <<<"$output")" 2
	assert_eq "$(grep -c 'not tried: the Slack webhook stayed unavailable for an earlier alert of this run' <<<"$output")" 1
	# the webhook alert went, and only it is remembered as sent
	assert_eq "$(received '.path')" "/hooks/globex"
	assert_eq "$(jq -r '.alerts.open[] | .pipeline' "$STATE")" ledger
	# the next run, with Slack back, sends the two Slack alerts once
	alert 2026-11-20T00:20:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(received 'select(.path != "/hooks/globex") | .body | fromjson | .text' | sort | cut -c1-47 | paste -sd'|')" \
		":red_circle: FIRING acme/export: run e1 failed|:red_circle: FIRING acme/orders: run o1 failed"
}

@test "SMTP: retries end at --retry-max-time, and a login is never sent to a server without STARTTLS" {
	[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd is not installed (make deps)"
	alert='{"type":"alert","key":"k1","state":"firing","rule_id":1,"rule_type":"on_failure","channel":"email","destination":"oncall@example.com","client":"acme","pipeline":"orders","platform":"cron"}'
	# a server that accepts and never says a word
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	/usr/bin/python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(64); held=[]
while True: held.append(s.accept()[0])' "$port" 3>&- &
	SMTP_PID=$!
	for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
	run --separate-stderr bash -c "chm-notify --smtp-url smtp://127.0.0.1:$port --smtp-from chm@example.org \
		--timeout 0.3 --retries 50 --retry-delay 0.05 --retry-max-time 1 <<<'$alert'"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"(retry time limit 1s)"* ]]
	attempts=$(sed -n 's/.*gave up after \([0-9]*\) attempts.*/\1/p' <<<"$stderr")
	[ "$attempts" -ge 2 ] && [ "$attempts" -lt 10 ]
	# each retry is announced, as chm-fetch's are
	[[ "$stderr" == *"chm-notify: SMTP smtp://127.0.0.1:$port: "*"; retry 1/50 in "* ]]
	assert_eq "$(grep -c '; retry [0-9]*/50 in ' <<<"$stderr")" "$((attempts - 1))"
	kill "$SMTP_PID"; wait "$SMTP_PID" 2>/dev/null || true
	# a real SMTP server without STARTTLS, and a login to send
	/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$BATS_TEST_TMPDIR/mail" 3>&- &
	SMTP_PID=$!
	for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
	printf 'chm:s3cret-pass\n' >"$BATS_TEST_TMPDIR/login"
	chmod 600 "$BATS_TEST_TMPDIR/login"
	run --separate-stderr bash -c "chm-notify --smtp-url smtp://127.0.0.1:$port --smtp-from chm@example.org \
		--smtp-login-file '$BATS_TEST_TMPDIR/login' --retries 0 <<<'$alert'"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"offers no STARTTLS, and the login is not sent in clear"* ]]
	[[ "$stderr" != *s3cret* ]]
	assert_eq "$(find "$BATS_TEST_TMPDIR/mail" -type f | wc -l)" 0
	# without a login the same server takes the mail
	run chm-notify --smtp-url "smtp://127.0.0.1:$port" --smtp-from chm@example.org <<<"$alert"
	[ "$status" -eq 0 ]
	assert_eq "$(find "$BATS_TEST_TMPDIR/mail/new" -type f | wc -l)" 1
}

@test "--repeat-after notifies an open incident again, with the same key" {
	alert $T0
	run_line acme orders o1 failed 2026-11-20T00:10:00Z | chm-load >/dev/null
	runsh "chm-alert --now 2026-11-20T00:15:00Z --state-file '$STATE' --repeat-after 1h | chm-notify --state-file '$STATE' --slack-webhook-file '$BATS_TEST_TMPDIR/slack-webhook'"
	runsh "chm-alert --now 2026-11-20T01:00:00Z --state-file '$STATE' --repeat-after 1h | chm-notify --state-file '$STATE' --slack-webhook-file '$BATS_TEST_TMPDIR/slack-webhook'"
	assert_eq "$(wc -l <"$RECV_DIR/log")" 1
	runsh "chm-alert --now 2026-11-20T01:15:00Z --state-file '$STATE' --repeat-after 1h | chm-notify --state-file '$STATE' --slack-webhook-file '$BATS_TEST_TMPDIR/slack-webhook'"
	assert_eq "$(wc -l <"$RECV_DIR/log")" 2
	# a webhook reminder is a new delivery for a receiver that drops copies:
	# same key, and the notification it repeats in its idempotency key
	{ run_line globex ledger l1 failed 2026-11-20T01:20:00Z; run_line globex ledger l2 failed 2026-11-20T01:25:00Z; } | chm-load >/dev/null
	for now in 2026-11-20T01:30:00Z 2026-11-20T01:45:00Z 2026-11-20T02:05:00Z; do
		runsh "chm-alert --now $now --state-file '$STATE' --repeat-after 30m | chm-notify --state-file '$STATE' --slack-webhook-file '$BATS_TEST_TMPDIR/slack-webhook'"
	done
	key=r2-p3-2026-11-20T01:20:00.000000Z
	assert_eq "$(received 'select(.path == "/hooks/globex") | "\(.headers["idempotency-key"]) \(.body | fromjson | .key) \(.body | fromjson | .last_notified_at)"')" \
		"$key:firing $key null
$key:firing:reminder:2026-11-20T01:30:00.000000Z $key 2026-11-20T01:30:00.000000Z"
	run chm-alert --repeat-after 2026-01-01T00:00:00Z
	[ "$status" -eq 64 ]
}

@test "email through a real SMTP server: subject, recipient, the runs and the error; no header injection" {
	[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd is not installed (make deps)"
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$BATS_TEST_TMPDIR/mail" 3>&- &
	SMTP_PID=$!
	for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
	echo '{"type":"alert_rule","pipeline":"acme/orders","rule_type":"failures_in_window","threshold":2,"window_minutes":60,"channel":"email","destination":"oncall@example.com"}' | chm-load >/dev/null
	alert $T0
	{ run_line acme orders o1 failed 2026-11-20T00:10:00Z; run_line acme orders o2 failed 2026-11-20T00:20:00Z 'ERROR: relation "orders" does not exist'; } | chm-load >/dev/null
	alert 2026-11-20T00:30:00Z --smtp-url "smtp://127.0.0.1:$port" --smtp-from chm@example.org
	[ "$status" -eq 0 ]
	msg=$(cat "$BATS_TEST_TMPDIR"/mail/new/*)
	grep -qx 'Subject: \[CHM\] FIRING acme/orders: 2 failures in 60 min' <<<"${msg//$'\r'/}"
	grep -qx 'To: oncall@example.com' <<<"${msg//$'\r'/}"
	grep -qx 'From: chm@example.org' <<<"${msg//$'\r'/}"
	[[ "$msg" == *"runs:      o2, o1"* ]]
	[[ "$msg" == *'ERROR: relation "orders" does not exist'* ]]
	# the Slack rule of acme fired too, to the fake Slack
	assert_eq "$(wc -l <"$RECV_DIR/log")" 1
	# a one-line stack trace of 1,500 bytes (SMTP refuses lines over 998),
	# with UTF-8, '=' and a trailing blank, arrives whole in short lines
	rm -f "$BATS_TEST_TMPDIR"/mail/new/*
	long="Traceback: x=1 naïve $(printf 'frame%04d;' $(seq 150)) end "
	jq -cn --arg e "$long" '{type:"alert",key:"r9-p1-2026-11-20T00:10:00.000000Z",state:"firing",rule_id:9,rule_type:"on_failure",
		channel:"email",destination:"oncall@example.com",client:"acme",pipeline:"orders",platform:"airflow",
		since:"2026-11-20T00:10:00.000000Z",failures:1,runs:["o1"],last_error:$e}' |
		chm-notify --smtp-url "smtp://127.0.0.1:$port" --smtp-from chm@example.org >/dev/null
	mail=$(ls "$BATS_TEST_TMPDIR"/mail/new/*)
	assert_eq "$(awk '{ if (length($0) > 77) n++ } END { print n + 0 }' "$mail")" 0
	/usr/bin/python3 - "$mail" "$long" <<-'EOF'
	import email, email.policy, sys
	m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
	body = m.get_content()
	assert sys.argv[2] in body.splitlines(), body
	# a Message-ID is atoms: the key's ':' would make it invalid
	assert m["Message-ID"] == "<r9-p1-2026-11-20T00_10_00.000000Z.firing@chm>", m["Message-ID"]
	EOF
	# a hostile record cannot add a header through a name
	rm -f "$BATS_TEST_TMPDIR"/mail/new/*
	jq -cn '{type:"alert",key:"k1",state:"firing",rule_id:1,rule_type:"on_failure",channel:"email",
		destination:"oncall@example.com",client:"acme",pipeline:"x\r\nBcc: evil@example.net",platform:"cron",
		since:"2026-11-20T00:00:00.000000Z",failures:1,runs:["r1"],last_error:"e\r\n.\r\nQUIT"}' |
		chm-notify --smtp-url "smtp://127.0.0.1:$port" --smtp-from chm@example.org >/dev/null
	msg=$(cat "$BATS_TEST_TMPDIR"/mail/new/*)
	! grep -qi '^Bcc:' <<<"${msg//$'\r'/}"
	[[ "$msg" == *"Subject: [CHM] FIRING acme/x  Bcc: evil@example.net: run r1 failed"* ]]
	# an address that is not one address is refused, not sent
	run --separate-stderr bash -c "jq -cn '{type:\"alert\",key:\"k2\",state:\"firing\",rule_id:1,rule_type:\"on_failure\",channel:\"email\",destination:\"a@example.com, b@example.com\",client:\"acme\",pipeline:\"p\",platform:\"cron\"}' | chm-notify --smtp-url smtp://127.0.0.1:$port --smtp-from chm@example.org"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"not one email address"* ]]
}

@test "other records pass through; bad alert records are named by line; usage errors exit 64" {
	run --separate-stderr bash -c 'printf "%s\n" "{\"type\":\"raw\",\"x\":1}" "{\"type\":\"alert\",\"key\":\"k\"}" "not json" | chm-notify'
	[ "$status" -eq 65 ]
	assert_eq "$(printf '%s\n' "$output" | head -n 1)" '{"type":"raw","x":1}'
	[[ "$stderr" == *"-:2: an alert record with a missing or bad"* ]]
	[[ "$stderr" == *"-:3:"* ]]
	# run ids the messages quote must be text
	for runs in '[1]' '[null]' '"r1"' '{}'; do
		run --separate-stderr bash -c "chm-notify --slack-webhook-file '$BATS_TEST_TMPDIR/slack-webhook' <<<'{\"type\":\"alert\",\"key\":\"k\",\"state\":\"firing\",\"channel\":\"slack\",\"destination\":\"#x\",\"rule_type\":\"on_failure\",\"rule_id\":1,\"runs\":$runs}'"
		[ "$status" -eq 65 ]
		[[ "$stderr" == *"-:1: an alert record with a missing or bad \"runs\""* ]]
	done
	assert_eq "$(wc -l <"$RECV_DIR/log")" 0
	run chm-notify --smtp-url http://x
	[ "$status" -eq 64 ]
	run chm-alert --now nonsense
	[ "$status" -eq 64 ]
	run chm-alert extra-arg
	[ "$status" -eq 64 ]
}

@test "a state file that holds JSON but no object is refused by both programs (78) and left as it was" {
	for bad in '[]' '[{"alerts":{"open":{}}}]'; do
		printf '%s\n' "$bad" >"$STATE"
		run --separate-stderr chm-alert --now $T0 --state-file "$STATE"
		[ "$status" -eq 78 ]
		[[ "$stderr" == *"state file $STATE holds no JSON object"* ]]
		assert_eq "$output" ""
		run --separate-stderr bash -c "chm-alert --now $T0 | chm-notify --state-file '$STATE' --slack-webhook-file '$BATS_TEST_TMPDIR/slack-webhook'"
		[ "$status" -eq 78 ]
		[[ "$stderr" == *"holds no JSON object"* ]]
		assert_eq "$(cat "$STATE")" "$bad"
	done
}

@test "pipelines/alert.sh: the pair with its state in the state directory and the webhook from CREDENTIALS_DIRECTORY" {
	export STATE_DIRECTORY=$BATS_TEST_TMPDIR/state CREDENTIALS_DIRECTORY=$BATS_TEST_TMPDIR/creds
	mkdir -p "$CREDENTIALS_DIRECTORY"
	cp "$BATS_TEST_TMPDIR/slack-webhook" "$CREDENTIALS_DIRECTORY/slack-webhook"
	: >"$CREDENTIALS_DIRECTORY/webhook-secret"   # unused: empty, as LoadCredential= needs a file
	: >"$CREDENTIALS_DIRECTORY/smtp-login"
	run --separate-stderr "$CHM_ROOT/pipelines/alert.sh"
	[ "$status" -eq 0 ]
	[ -f "$STATE_DIRECTORY/alerts.json" ]
	# a failure after the first evaluation reaches the fake Slack, once
	run_line acme orders o1 failed "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" | chm-load >/dev/null
	run --separate-stderr "$CHM_ROOT/pipelines/alert.sh"
	[ "$status" -eq 0 ]
	run --separate-stderr "$CHM_ROOT/pipelines/alert.sh"
	[ "$status" -eq 0 ]
	assert_eq "$(wc -l <"$RECV_DIR/log")" 1
	# the receiver down: the script says so and exits 69
	rm -f "$STATE_DIRECTORY/alerts.json"
	run --separate-stderr "$CHM_ROOT/pipelines/alert.sh"
	run_line acme export e1 failed "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" | chm-load >/dev/null
	echo 500 >"$RECV_DIR/mode"
	run --separate-stderr "$CHM_ROOT/pipelines/alert.sh"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"failed with status 69"* ]]
}

@test "chm rule test: what a rule would send now, over its whole history, sending nothing" {
	{ run_line globex ledger l1 failed 2026-11-19T23:30:00Z; run_line globex ledger l2 failed 2026-11-19T23:50:00Z "disk full"; } | chm-load >/dev/null
	rid=$(q "SELECT id FROM alert_rules WHERE rule_type = 'failures_in_window'")
	run --separate-stderr chm rule test "$rid" --now $T0
	[ "$status" -eq 0 ]
	assert_eq "$(jq -r '[.state, .client, .pipeline, .failures, .subject] | join("|")' <<<"$output")" \
		"firing|globex|ledger|2|[CHM] FIRING globex/ledger: 2 failures in 60 min"
	[[ "$(jq -r .text <<<"$output")" == *"runs:      l2, l1"*"disk full"* ]]
	assert_eq "$(wc -l <"$RECV_DIR/log")" 0
	# an hour later the window is empty: nothing, said on stderr
	run --separate-stderr chm rule test "$rid" --now 2026-11-20T01:00:00Z
	[ "$status" -eq 0 ]
	assert_eq "$output" ""
	[[ "$stderr" == *"would send nothing"* ]]
	run --separate-stderr chm rule test 999999
	[ "$status" -eq 65 ]
}

@test "SIGKILL at random points of a delivery, then a re-run: no alert lost, at most one sent twice per kill, same key" {
	for i in $(seq -w 1 30); do
		echo "{\"type\":\"pipeline\",\"client\":\"acme\",\"name\":\"p$i\",\"platform\":\"cron\",\"pipeline_type\":\"ingestion\",\"external_id\":\"p$i\"}"
	done | chm-load >/dev/null
	alert $T0
	for i in $(seq -w 1 30); do run_line acme "p$i" "r$i" failed 2026-11-20T00:10:00Z; done | chm-load >/dev/null
	want=$(q "SELECT count(*) FROM pipelines p JOIN clients c ON c.id = p.client_id WHERE c.name = 'acme' AND p.name LIKE 'p%'")
	kills=0
	for trial in 1 2 3 4 5 6; do
		chm-alert --now 2026-11-20T00:15:00Z --state-file "$STATE" >"$BATS_TEST_TMPDIR/alerts.ndjson"
		chm-notify --state-file "$STATE" --slack-webhook-file "$BATS_TEST_TMPDIR/slack-webhook" \
			<"$BATS_TEST_TMPDIR/alerts.ndjson" >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 10))"
		if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
		wait "$pid" 2>/dev/null || true
	done
	# then runs to the end, and a re-run sends nothing more
	alert 2026-11-20T00:16:00Z
	[ "$status" -eq 0 ]
	total=$(wc -l <"$RECV_DIR/log")
	alert 2026-11-20T00:17:00Z
	assert_eq "$(wc -l <"$RECV_DIR/log")" "$total"
	keys=$(jq -r '.body | fromjson | .text' "$RECV_DIR/log" | grep -o 'acme/p[0-9]*' | sort -u | wc -l)
	assert_eq "$keys" "$want"
	[ "$total" -le $((want + kills)) ] || { echo "$total deliveries for $want alerts and $kills kills" >&2; false; }
	echo "# $kills kills, $total deliveries of $want alerts" >&3
}

@test "an inactive client's pipelines are silent, and open incidents of a rule that is disabled resolve" {
	alert $T0
	{ run_line globex ledger l1 failed 2026-11-20T00:10:00Z; run_line globex ledger l2 failed 2026-11-20T00:20:00Z; } | chm-load >/dev/null
	echo '{"type":"client","name":"globex","is_active":false}' | chm-load >/dev/null
	alert 2026-11-20T00:30:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(wc -l <"$RECV_DIR/log")" 0
	echo '{"type":"client","name":"globex","is_active":true}' | chm-load >/dev/null
	alert 2026-11-20T00:31:00Z
	assert_eq "$(wc -l <"$RECV_DIR/log")" 1
	# the rule is disabled while its incident is open: one resolved alert says so
	rid=$(q "SELECT id FROM alert_rules WHERE rule_type = 'failures_in_window'")
	chm rule disable "$rid" >/dev/null
	alert 2026-11-20T00:32:00Z
	[ "$status" -eq 0 ]
	assert_eq "$(sed -n 2p "$RECV_DIR/log" | jq -r '.body | fromjson | [.state, .reason] | join(": ")')" \
		"resolved: no longer covered by an enabled rule"
	assert_eq "$(jq -c '.alerts.open' "$STATE")" "{}"
}
