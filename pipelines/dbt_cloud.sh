#!/bin/bash
# dbt Cloud (Administrative API v2) -> CHM: chm-fetch | chm-normalize | chm-load.
#   CHM_DBT_CLOUD_BASE_URL     e.g. https://cloud.getdbt.com (required)
#   CHM_DBT_CLOUD_ACCOUNT_ID   the account whose runs are read (required)
#   token: credential dbt_cloud-token or CHM_DBT_CLOUD_TOKEN_FILE
# Exit status: the first failing stage's (common.sh).
. "$(dirname "$(readlink -f "$0")")/common.sh"
chm_load_env
chm_require CHM_DBT_CLOUD_BASE_URL CHM_DBT_CLOUD_ACCOUNT_ID
chm_state_dir
CHM_NORMALIZE_ARGS=()
chm_ingest dbt_cloud --base-url "$CHM_DBT_CLOUD_BASE_URL" --account-id "$CHM_DBT_CLOUD_ACCOUNT_ID"
