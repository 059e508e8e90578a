# The mapping chm-normalize does for an Airflow DAG run, written in jq: the
# peer a user would otherwise write (make bench, row 4).
def ts: if . == null then null else sub("\\+00:00$"; "Z") end;
def epoch: (.[0:19] + "Z" | fromdateiso8601) + ((.[20:26] | tonumber? // 0) / 1000000);
select(.type == "raw" and .source == "airflow")
| .record as $r
| {type: "run", client, platform: "airflow", pipeline,
   external_run_id: $r.dag_run_id,
   status: ({"queued": "running", "running": "running", "success": "success", "failed": "failed"}[$r.state] // "running"),
   started_at: ($r.start_date | ts), finished_at: ($r.end_date | ts),
   duration_seconds: (if $r.start_date and $r.end_date then ($r.end_date | epoch) - ($r.start_date | epoch) else null end),
   rows_processed: null, error_message: null, status_reason: null, payload: $r}
