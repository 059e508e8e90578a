#!/bin/bash
# Airflow (stable REST API) -> CHM: chm-fetch | chm-normalize | chm-load.
#   CHM_AIRFLOW_BASE_URL   e.g. https://airflow.example.com/api/v1 (required)
#   token: credential airflow-token or CHM_AIRFLOW_TOKEN_FILE (optional)
#   CHM_AIRFLOW_AUTH       chm-fetch --auth: login for Airflow 3, whose
#                          credential is then user:password (optional)
# Exit status: the first failing stage's (common.sh).
. "$(dirname "$(readlink -f "$0")")/common.sh"
chm_load_env
chm_require CHM_AIRFLOW_BASE_URL
chm_state_dir
CHM_NORMALIZE_ARGS=()
auth=()
[ -n "${CHM_AIRFLOW_AUTH:-}" ] && auth=(--auth "$CHM_AIRFLOW_AUTH")
chm_ingest airflow --base-url "$CHM_AIRFLOW_BASE_URL" ${auth[@]+"${auth[@]}"}
