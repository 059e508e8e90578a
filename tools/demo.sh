#!/bin/bash
# make demo: CHM end to end on a realistic history, in well under a minute.
#
#   1. the database: $CHM_DATABASE_URL or the PG* variables when set, else a
#      PostgreSQL cluster of its own under .chm/pg (Unix socket only), reused
#   2. chm migrate
#   3. the fixture inventory and history (fixtures/)
#   4. a synthetic history in the partners' own formats (chm-synth, 90 days,
#      3 clients, 12 pipelines on every platform) through chm-normalize | chm-load
#   5. a partner feed replayed from fixtures/fetch through the fake partner API
#      (tests/fake_partner_api.py on 127.0.0.1): chm-fetch | chm-normalize |
#      chm-load with a state file, for Airflow, dbt Cloud and a vendor API
#   6. Q2 and Q6 as tables on stdout, the html report in .chm/report.html
#   7. the alert rules: chm-alert | chm-notify to a fake Slack receiver
#      (tests/fake_receiver.py) and a real SMTP server (aiosmtpd), both on
#      127.0.0.1, and what each received
#
# Running it again changes nothing: inventory upserts, run loading is
# idempotent, the synthetic history is drawn again with the end time of the
# first run (.chm/demo/synth-end; `make demo-reset` starts over), and the
# fetch resumes from its bookmarks. Progress goes to stderr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CHM_DEMO_BIN:-$root/build/bin}
demo=$root/.chm/demo
export PATH="$bin:$PATH"

t0=$(date +%s%N)
say() {
	local ms=$((($(date +%s%N) - t0) / 1000000))
	printf 'demo [%2d.%ds]: %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}
die() {
	say "FAILED: $*"
	exit "${2:-70}"
}

# chm-load's summary line, short: "read 12, inserted 3, updated 0, ..."
summary() {
	grep '"type":"summary"' | tail -n 1 |
		jq -r '"read \(.read), inserted \(.inserted), updated \(.updated), unchanged \(.unchanged), ignored \(.ignored), rejected \(.rejected)"'
}

fake_pid= recv_pid= smtp_pid=
cleanup() {
	local p
	for p in $fake_pid $recv_pid $smtp_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ -n "${fake_dir:-}" ] && rm -rf "$fake_dir"
	return 0
}
trap cleanup EXIT

for p in chm chm-load chm-normalize chm-fetch chm-report chm-synth chm-alert chm-notify; do
	[ -x "$bin/$p" ] || die "$bin/$p is missing: run make first" 78
done
mkdir -p "$demo"

# --- 1. the database ---------------------------------------------------------
local_pg=
if [ -z "${CHM_DATABASE_URL:-}" ] && ! env | grep -q '^PG'; then
	say "no database configured (no CHM_DATABASE_URL or PG* variable): the local cluster in .chm/pg"
	eval "$(sh "$root/tools/pg.sh" start "$root/.chm/pg")"
	export PGHOST PGPORT PGUSER
	if [ "$(psql -X -q -d postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = 'chm'")" = 0 ]; then
		psql -X -q -d postgres -c "CREATE DATABASE chm" >/dev/null
		say "created the database chm"
	fi
	export PGDATABASE=chm
	local_pg=1
else
	say "using the database of ${CHM_DATABASE_URL:+CHM_DATABASE_URL}${CHM_DATABASE_URL:-the PG* variables}"
fi

# --- 2. migrate --------------------------------------------------------------
say "chm migrate"
chm migrate >/dev/null

# The demo's bookmarks and synthetic end time belong to one database: a
# configured one gets a directory of its own, and a database without the
# synthetic history (new, or dropped) starts them afresh.
if [ -z "$local_pg" ]; then
	id=$(psql -X -q -tAc "SELECT current_database() || '/' || oid FROM pg_database WHERE datname = current_database()")
	demo=$demo/db-$(printf '%s|%s|%s' "${CHM_DATABASE_URL:-}" "${PGHOST:-}${PGPORT:-}${PGSERVICE:-}" "$id" | md5sum | cut -c1-12)
	mkdir -p "$demo"
fi
synth_runs=$(psql -X -q -tAc "SELECT count(*) FROM runs r JOIN pipelines p ON p.id = r.pipeline_id
	WHERE p.description LIKE 'synthetic%'")
[ "$synth_runs" != 0 ] || rm -f "$demo/synth-end" "$demo/fetch.state.json"

# --- 3. the fixture inventory and history ------------------------------------
say "chm-load fixtures/inventory.ndjson fixtures/runs/history.ndjson"
out=$(chm-load "$root/fixtures/inventory.ndjson" "$root/fixtures/runs/history.ndjson")
say "  $(summary <<<"$out")"

# --- 4. the synthetic history ------------------------------------------------
# Its end is fixed at the first run (now, to the hour) so that a second run
# draws the same history; a history made for another end would not match.
synth_end_file=$demo/synth-end
if [ ! -s "$synth_end_file" ]; then
	date -u +%Y-%m-%dT%H:00:00Z >"$synth_end_file"
fi
synth_end=$(cat "$synth_end_file")
synth_args=(--seed 7 --clients 3 --pipelines 12 --days 90 --end "$synth_end" --inventory --vendor-mapping rat)
say "chm-synth ${synth_args[*]} | chm-normalize | chm-load"
# The synthetic clients are the fixture clients (acme, globex, initech): keep
# the fixtures' client records, so a second run rewrites no description.
out=$(chm-synth "${synth_args[@]}" | grep -v '^{"type":"client",' |
	chm-normalize --mapping "$root/pipelines/vendors/rat.json" | chm-load)
say "  $(summary <<<"$out")"

# --- 5. a partner feed through the fake partner API --------------------------
fake_dir=$(mktemp -d "${TMPDIR:-/tmp}/chm-demo-api.XXXXXX")
python3 "$root/tests/fake_partner_api.py" --data "$root/fixtures/fetch" \
	--port-file "$fake_dir/port" --log "$fake_dir/requests.log" 2>"$fake_dir/server.err" &
fake_pid=$!
for _ in $(seq 100); do
	[ -s "$fake_dir/port" ] && break
	sleep 0.05
done
[ -s "$fake_dir/port" ] || { cat "$fake_dir/server.err" >&2; die "the fake partner API did not start"; }
api="http://127.0.0.1:$(cat "$fake_dir/port")"
state=$demo/fetch.state.json
say "fake partner API (tests/fake_partner_api.py) serving fixtures/fetch at $api"

# fetch SOURCE ARGS...: chm-fetch | chm-normalize | chm-load, one state file
fetch() {
	local source=$1
	shift
	say "chm-fetch --source $source --state-file ${state#"$root"/} | chm-normalize | chm-load --state-file ..."
	out=$(chm-fetch --source "$source" --base-url "$api" --state-file "$state" \
		--pipelines "$root/fixtures/fetch/inventory.ndjson" "$@" |
		chm-normalize ${mapping:+--mapping "$mapping"} | chm-load --state-file "$state") ||
		die "fetching $source failed (status $?)"
	say "  $(summary <<<"$out")"
}
mapping=
fetch airflow --client acme
fetch dbt_cloud --account-id 70403
mapping=$root/fixtures/fetch/vendor/mapping.json
fetch vendor --mapping "$mapping"
mapping=

# --- 6. the report -----------------------------------------------------------
say "chm-report --format table q2 (latest run per pipeline)"
chm-report --format table q2
echo
say "chm-report --format table q6 (failing now)"
chm-report --format table q6
echo
report=$root/.chm/report.html
chm-report --format html all >"$report.tmp"
mv "$report.tmp" "$report"
say "chm-report --format html all > .chm/report.html"
echo "The html report: $report"

# --- 7. alerts ----------------------------------------------------------------
# The rules start watching a day before the history's end (the state file
# remembers it), so the last day's failures fire; a second demo finds them
# sent already. Webhook rules point at hooks.example.com, which the demo
# cannot reach: they are left out here.
recv_dir=$fake_dir/recv
mkdir -p "$recv_dir"
: >"$recv_dir/slack.log"
python3 "$root/tests/fake_receiver.py" --port-file "$recv_dir/port" --log "$recv_dir/slack.log" \
	2>"$recv_dir/server.err" &
recv_pid=$!
smtp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$recv_dir/mail" \
	2>"$recv_dir/smtp.err" &
smtp_pid=$!
for _ in $(seq 100); do
	[ -s "$recv_dir/port" ] && (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
	sleep 0.05
done
[ -s "$recv_dir/port" ] || die "the fake Slack receiver did not start"
printf 'http://127.0.0.1:%s/services/T0DEMO/B0DEMO/demo\n' "$(cat "$recv_dir/port")" >"$recv_dir/slack-webhook"
say "chm-load fixtures/alerts/rules.ndjson (alert rules for the three clients)"
chm-load "$root/fixtures/alerts/rules.ndjson" >/dev/null
alerts=$demo/alerts.json
earlier=1
if [ ! -s "$alerts" ]; then
	earlier=0
	chm-alert --now "$(date -u -d "$synth_end - 1 day" +%Y-%m-%dT%H:%M:%SZ)" --state-file "$alerts" |
		jq -c 'select(.type == "state")' | chm-notify --state-file "$alerts" >/dev/null
fi
say "chm-alert --now $synth_end | chm-notify (fake Slack at 127.0.0.1:$(cat "$recv_dir/port"), SMTP at 127.0.0.1:$smtp_port)"
out=$(chm-alert --now "$synth_end" --state-file "$alerts" | jq -c 'select(.channel != "webhook")' |
	chm-notify --state-file "$alerts" --slack-webhook-file "$recv_dir/slack-webhook" \
		--smtp-url "smtp://127.0.0.1:$smtp_port" --smtp-from chm-demo@localhost --retries 1) ||
	die "chm-notify failed (status $?)"
say "  $(grep '"type":"summary"' <<<"$out" | jq -r '"delivered \(.delivered), failed \(.failed)"')"
if [ "$earlier" = 1 ] && grep '"type":"summary"' <<<"$out" | jq -e '.delivered + .failed == 0' >/dev/null; then
	echo "  (nothing new: an earlier make demo sent these alerts, and ${alerts#"$root/"}"
	echo "  remembers them, as a timer's state file does; make demo-reset starts over)"
fi
echo "The fake Slack received $(wc -l <"$recv_dir/slack.log") message(s):"
jq -r '.body | fromjson | "  \(.channel)  \(.text)"' "$recv_dir/slack.log"
mails=$(find "$recv_dir/mail/new" -type f 2>/dev/null | wc -l)
echo "The SMTP server received $mails mail(s):"
for m in "$recv_dir"/mail/new/*; do
	[ -f "$m" ] || continue
	printf '  To: %s  Subject: %s\n' "$(sed -n 's/^To: //p' "$m" | tr -d '\r')" "$(sed -n 's/^Subject: //p' "$m" | tr -d '\r')"
done
echo

total=$(psql -X -q -tAc "SELECT count(*) FROM runs")
say "done: $total runs in the database (synthetic history up to $synth_end)"
if [ -n "$local_pg" ]; then
	echo "Reach the database with:  psql -h '$PGHOST' -p $PGPORT -U $PGUSER chm"
	echo "Use the programs on it:   export PGHOST='$PGHOST' PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=chm PATH=\"$bin:\$PATH\""
	echo "Stop it with:             make demo-stop   (make demo-reset: drop the demo database and start over)"
fi
