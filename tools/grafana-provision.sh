#!/bin/sh
# grafana-provision.sh DASHBOARD.json: the dashboard as Grafana's file
# provisioning needs it, on stdout.
#
# pipelines/grafana/dashboards/*.json are written for the import form
# (Dashboards > New > Import): an __inputs entry DS_CHM asks which PostgreSQL
# datasource to use and every datasource reference is {"type": "postgres",
# "uid": "${DS_CHM}"}. Provisioning does not resolve __inputs (grafana/grafana
# issue 10786): a provisioned dashboard must name the datasource's uid. This
# writes the provisioned copy with the uid of the provisioned datasource,
# read from provisioning/datasources/chm.yaml, so the uid is written once
# and the dashboards once.
set -eu
dash=$1
yaml=$(dirname "$0")/../pipelines/grafana/provisioning/datasources/chm.yaml
uid=$(sed -n 's/^ *uid: *\([A-Za-z0-9_-]*\) *$/\1/p' "$yaml")
[ -n "$uid" ] || { echo "grafana-provision: no uid in $yaml" >&2; exit 1; }
jq --arg uid "$uid" '
	del(.__inputs, .__requires)
	| walk(if type == "object" and .uid? == "${DS_CHM}" then .uid = $uid else . end)' "$dash"
