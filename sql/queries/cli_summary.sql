-- chm summary: one JSON object for client $1 over [$2, $3) (on started_at):
-- run counts by status, and the latest status of each active pipeline of the
-- client (whenever that run was) and its failed runs in the window; "failing"
-- names the pipelines whose latest run failed.
-- The latest run is a probe a pipeline (chm_pipeline_runs, a router query on
-- Citus); the failures are grouped by pipeline_id (pushed down to the shards).
WITH failed AS (
    SELECT f.pipeline_id, count(*) AS n
    FROM runs f JOIN pipelines p ON p.id = f.pipeline_id AND p.client_id = $1::bigint
    WHERE f.status = 'failed'
      AND f.started_at >= $2::timestamptz AND f.started_at < $3::timestamptz
    GROUP BY f.pipeline_id
),
latest AS (
    SELECT p.id, p.name, p.platform, p.environment, r.status, r.external_run_id,
           r.started_at, r.finished_at, r.error_message,
           coalesce(f.n, 0) AS failed_runs
    FROM pipelines p
    LEFT JOIN LATERAL chm_pipeline_runs(p.id, 'infinity', unstarted => true) r ON true
    LEFT JOIN failed f ON f.pipeline_id = p.id
    WHERE p.client_id = $1::bigint AND p.is_active
),
counts AS (
    SELECT s.status, count(r.id) AS n
    FROM unnest(enum_range(NULL::run_status)) AS s(status)
    LEFT JOIN (runs r JOIN pipelines p ON p.id = r.pipeline_id AND p.client_id = $1::bigint)
        ON r.status = s.status AND r.started_at >= $2::timestamptz AND r.started_at < $3::timestamptz
    GROUP BY s.status
)
SELECT json_build_object(
    'client', c.name, 'client_id', c.id,
    'since', chm_rfc3339($2::timestamptz), 'until', chm_rfc3339($3::timestamptz),
    'counts', (SELECT json_object_agg(status, n ORDER BY status) FROM counts),
    'total', (SELECT sum(n) FROM counts)::bigint,
    'failing', (SELECT coalesce(json_agg(name ORDER BY name), '[]') FROM latest WHERE status = 'failed'),
    'pipelines', (SELECT coalesce(json_agg(json_build_object(
                      'pipeline', name, 'pipeline_id', id, 'platform', platform,
                      'environment', environment, 'status', status,
                      'external_run_id', external_run_id,
                      'started_at', chm_rfc3339(started_at), 'finished_at', chm_rfc3339(finished_at),
                      'failed_runs', failed_runs, 'error_message', error_message)
                      ORDER BY name), '[]') FROM latest))
FROM clients c WHERE c.id = $1::bigint
