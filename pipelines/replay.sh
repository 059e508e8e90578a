#!/bin/bash
# Replays files into CHM: chm-normalize [OPTIONS] FILE... | chm-load.
#   pipelines/replay.sh fixtures/runs/history.ndjson
#   pipelines/replay.sh --source airflow --client acme --pipeline orders_daily page.json
# Every argument goes to chm-normalize (raw envelopes, canonical runs, or a
# partner's page with --source/--client/--pipeline). Rejects of both stages
# are appended to the dead-letter file $CHM_STATE/dead-letter/replay.ndjson.
# Exit status: the first failing stage's (common.sh).
. "$(dirname "$(readlink -f "$0")")/common.sh"
chm_load_env
chm_state_dir
if [ $# -eq 0 ]; then
	chm_die 64 "usage: replay.sh [chm-normalize options] FILE..."
fi
dead=$CHM_DEAD_LETTER_DIR/replay.ndjson
before=$(chm_lines "$dead")
chm-normalize --rejects "$dead" "$@" | chm-load --rejects "$dead"
statuses=("${PIPESTATUS[@]}")
st=$(chm_first_failure "${statuses[@]}")
added=$(($(chm_lines "$dead") - before))
[ "$added" -gt 0 ] && chm_msg "$added rejected records kept in $dead"
[ "$st" -ne 0 ] && chm_msg "failed with status $st (normalize ${statuses[0]}, load ${statuses[1]})"
exit "$st"
