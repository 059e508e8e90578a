-- chm run list (and the run chm run record wrote): one JSON object a row,
-- newest first: started_at desc nulls last, finished_at desc nulls last, id
-- desc, which runs_pipeline_latest_idx serves for one pipeline. Every row
-- carries its sort key as "cursor"; --before CURSOR continues after it.
-- $1 pipeline id, $2 client id, $3 status, $4 since, $5 until (on
-- started_at), $6/$7/$8 the cursor's started_at, finished_at (null for none)
-- and id, $9 limit, $10 external_run_id.
SELECT json_build_object(
           'id', r.id, 'client', c.name, 'pipeline', p.name, 'pipeline_id', r.pipeline_id,
           'platform', p.platform, 'external_run_id', r.external_run_id, 'status', r.status,
           'started_at', chm_rfc3339(r.started_at), 'finished_at', chm_rfc3339(r.finished_at),
           'duration_seconds', r.duration_seconds, 'rows_processed', r.rows_processed,
           'error_message', r.error_message, 'status_reason', r.status_reason,
           'cursor', coalesce(chm_rfc3339(r.started_at), '-') || ','
                     || coalesce(chm_rfc3339(r.finished_at), '-') || ',' || r.id)
FROM runs r
JOIN pipelines p ON p.id = r.pipeline_id
JOIN clients c ON c.id = p.client_id
WHERE ($1::bigint IS NULL OR r.pipeline_id = $1::bigint)
  AND ($2::bigint IS NULL OR p.client_id = $2::bigint)
  AND ($3::run_status IS NULL OR r.status = $3::run_status)
  AND ($4::timestamptz IS NULL OR r.started_at >= $4::timestamptz)
  AND ($5::timestamptz IS NULL OR r.started_at < $5::timestamptz)
  AND ($8::bigint IS NULL OR
       (coalesce(r.started_at, '-infinity'), coalesce(r.finished_at, '-infinity'), r.id)
       < (coalesce($6::timestamptz, '-infinity'), coalesce($7::timestamptz, '-infinity'), $8::bigint))
  AND ($10::text IS NULL OR r.external_run_id = $10)
ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
LIMIT $9::integer
