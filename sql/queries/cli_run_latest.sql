-- chm run latest: the latest run of each pipeline (FR-006 order: started_at
-- desc, finished_at desc, nulls last), one probe of runs_pipeline_latest_idx
-- a pipeline. $1 pipeline id, $2 client id; without $1 only active pipelines
-- of active clients. A pipeline without runs has status null. The probe is
-- chm_pipeline_runs (022_pipeline_probes.sql): a router query on Citus.
SELECT json_build_object(
           'client', c.name, 'pipeline', p.name, 'pipeline_id', p.id, 'platform', p.platform,
           'environment', p.environment, 'status', r.status, 'run_id', r.id,
           'external_run_id', r.external_run_id,
           'started_at', chm_rfc3339(r.started_at), 'finished_at', chm_rfc3339(r.finished_at),
           'duration_seconds', r.duration_seconds, 'error_message', r.error_message)
FROM pipelines p
JOIN clients c ON c.id = p.client_id
LEFT JOIN LATERAL chm_pipeline_runs(p.id, 'infinity', unstarted => true) r ON true
WHERE ($1::bigint IS NULL OR p.id = $1::bigint)
  AND ($2::bigint IS NULL OR p.client_id = $2::bigint)
  AND ($1::bigint IS NOT NULL OR (p.is_active AND c.is_active))
ORDER BY c.name, p.name, p.id
