#!/bin/bash
# Alerts: chm-alert | chm-notify, the alert state in $CHM_STATE/alerts.json
# (written by chm-notify after each delivery, so a run that fails or is
# killed is finished by the next one, and nothing is sent twice).
#   CHM_SMTP_URL    smtp://host:port or smtps://host:port (for email rules)
#   CHM_SMTP_FROM   the sender address (default chm@<host>)
#   CHM_REPORT_URL  a link put in every alert (the published report, a board)
#   credentials (LoadCredential=, empty when unused): slack-webhook,
#   webhook-secret, smtp-login; chm-notify reads them itself.
# Exit status: the first failing stage's (common.sh).
. "$(dirname "$(readlink -f "$0")")/common.sh"
chm_load_env
chm_state_dir
chm_lock alerts
state=$CHM_STATE/alerts.json
alert_args=()
notify_args=()
[ -n "${CHM_REPORT_URL:-}" ] && alert_args+=(--report-url "$CHM_REPORT_URL")
[ -n "${CHM_SMTP_URL:-}" ] && notify_args+=(--smtp-url "$CHM_SMTP_URL")
[ -n "${CHM_SMTP_FROM:-}" ] && notify_args+=(--smtp-from "$CHM_SMTP_FROM")

chm-alert --state-file "$state" ${alert_args[@]+"${alert_args[@]}"} |
	chm-notify --state-file "$state" ${notify_args[@]+"${notify_args[@]}"}
statuses=("${PIPESTATUS[@]}")
st=$(chm_first_failure "${statuses[@]}")
[ "$st" -ne 0 ] && chm_msg "failed with status $st (alert ${statuses[0]}, notify ${statuses[1]})"
exit "$st"
