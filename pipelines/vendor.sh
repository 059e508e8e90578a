#!/bin/bash
# A vendor runs API described by a mapping file -> CHM:
# chm-fetch | chm-normalize | chm-load.
#   CHM_VENDOR_BASE_URL   the API's runs endpoint (required)
#   CHM_VENDOR_MAPPING    the mapping file (required; fetch and normalize read it)
#   token: credential vendor-token or CHM_VENDOR_TOKEN_FILE
# Exit status: the first failing stage's (common.sh).
. "$(dirname "$(readlink -f "$0")")/common.sh"
chm_load_env
chm_require CHM_VENDOR_BASE_URL CHM_VENDOR_MAPPING
chm_state_dir
CHM_NORMALIZE_ARGS=(--mapping "$CHM_VENDOR_MAPPING")
chm_ingest vendor --base-url "$CHM_VENDOR_BASE_URL" --mapping "$CHM_VENDOR_MAPPING"
