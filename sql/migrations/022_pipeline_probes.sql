-- The latest-run questions (Q2, Q4, Q6, Q10's silent pipelines) read a
-- pipeline's runs through two functions instead of LATERAL subqueries with
-- LIMIT, so that one view text is right on one node and on Citus.
--
-- On one node nothing changes in what is read: each call is the same index
-- probe of runs_pipeline_latest_idx (pipeline_id = the pipeline, FR-006
-- order, LIMIT n) the LATERAL subquery was, one a pipeline. PL/pgSQL keeps
-- the functions opaque to the planner (a SQL function would be inlined back
-- into the LATERAL subquery, which on Citus the coordinator would then run
-- against its own empty copy of runs). Each call costs a few tens of
-- microseconds more than the inlined probe; with a generic plan
-- (plan_cache_mode), not one planned for every call's values, which cost
-- 100 us a call (Q2 of 1000 pipelines: 140 ms, 35 ms generic, 18 ms inline).
--
-- On Citus (runs distributed by pipeline_id, pipelines and clients reference
-- tables) a correlated LATERAL subquery with LIMIT cannot be pushed down to
-- the shards ("complex joins are only supported when all distributed tables
-- are co-located"). With the functions the view reads only reference tables,
-- which the coordinator answers locally, and each call is a router query: one
-- shard, the one holding the pipeline, by its distribution key. The cluster
-- thus does per pipeline what one node does; this needs the coordinator to
-- hold the reference tables (citus_set_coordinator_host, as `chm migrate
-- --citus` expects).

-- A pipeline's runs that started before `before` (and, with unstarted, those
-- without a start), latest first (FR-006: started_at desc, finished_at desc,
-- nulls last, then id desc), at most n; only statuses (null: any), never
-- not_status.
CREATE FUNCTION chm_pipeline_runs(pid bigint, before timestamptz,
                                  statuses run_status[] DEFAULT NULL, n integer DEFAULT 1,
                                  unstarted boolean DEFAULT false, not_status run_status DEFAULT NULL)
RETURNS TABLE (id bigint, external_run_id text, status run_status, started_at timestamptz,
               finished_at timestamptz, duration_seconds double precision, error_message text)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    RETURN QUERY
    SELECT r.id, r.external_run_id, r.status, r.started_at, r.finished_at, r.duration_seconds,
           r.error_message
    FROM runs r
    WHERE r.pipeline_id = pid
      AND (r.started_at < before OR (unstarted AND r.started_at IS NULL))
      AND (statuses IS NULL OR r.status = ANY (statuses))
      AND (not_status IS NULL OR r.status <> not_status)
    ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT n;
END $$;

-- A pipeline's failed runs that started after `after` and before `before`:
-- how many and the first start. A range on runs_pipeline_latest_idx.
CREATE FUNCTION chm_failure_streak(pid bigint, after timestamptz, before timestamptz,
                                   OUT streak bigint, OUT first_failed_at timestamptz)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    SELECT count(*), min(r.started_at) INTO streak, first_failed_at
    FROM runs r
    WHERE r.pipeline_id = pid AND r.status = 'failed'
      AND r.started_at < before AND r.started_at > after;
END $$;

CREATE OR REPLACE VIEW chm_q2_latest_run_per_pipeline AS
SELECT c.name AS client,
       p.name AS pipeline,
       p.platform,
       p.environment,
       l.status,
       l.external_run_id AS run_id,
       l.started_at,
       l.finished_at,
       l.duration_seconds,
       l.error_message,
       s.at AS last_success_at,
       chm_seconds(s.at, chm_now()) AS seconds_since_success
FROM pipelines p
JOIN clients c ON c.id = p.client_id
LEFT JOIN LATERAL chm_pipeline_runs(p.id, chm_now(), unstarted => true) l ON true
LEFT JOIN LATERAL (
    SELECT coalesce(x.finished_at, x.started_at) AS at
    FROM chm_pipeline_runs(p.id, chm_now(), statuses => '{success}') x) s ON true
WHERE p.is_active AND c.is_active;

CREATE OR REPLACE VIEW chm_q4_changes_since_yesterday AS
SELECT CASE WHEN cur.status = 'failed' THEN 'new_failure' ELSE 'recovery' END AS change,
       c.name AS client,
       p.name AS pipeline,
       p.platform,
       prev.status AS previous_status,
       prev.started_at AS previous_started_at,
       cur.status AS current_status,
       cur.started_at AS current_started_at,
       cur.error_message
FROM pipelines p
JOIN clients c ON c.id = p.client_id
JOIN LATERAL chm_pipeline_runs(p.id, chm_now(), not_status => 'running') cur ON true
LEFT JOIN LATERAL chm_pipeline_runs(p.id, chm_now() - interval '24 hours',
                                    not_status => 'running') prev ON true
WHERE p.is_active AND c.is_active
  AND ((cur.status = 'failed' AND prev.status IS DISTINCT FROM 'failed')
       OR (cur.status = 'success' AND prev.status = 'failed'));

CREATE OR REPLACE VIEW chm_q6_failing_now AS
SELECT c.name AS client,
       p.name AS pipeline,
       p.platform,
       k.streak AS failure_streak,
       k.first_failed_at AS failing_since,
       l.started_at AS last_failed_at,
       l.error_message AS last_error,
       s.at AS last_success_at,
       chm_seconds(s.at, chm_now()) AS seconds_since_success
FROM pipelines p
JOIN clients c ON c.id = p.client_id
JOIN LATERAL chm_pipeline_runs(p.id, chm_now(), unstarted => true) l ON l.status = 'failed'
LEFT JOIN LATERAL chm_pipeline_runs(p.id, chm_now(),
                                    statuses => '{success,canceled,skipped}') b ON true
LEFT JOIN LATERAL (
    SELECT coalesce(x.finished_at, x.started_at) AS at
    FROM chm_pipeline_runs(p.id, chm_now(), statuses => '{success}') x) s ON true
CROSS JOIN LATERAL chm_failure_streak(p.id, coalesce(b.started_at, '-infinity'), chm_now()) k
WHERE p.is_active AND c.is_active;

CREATE OR REPLACE VIEW chm_q10_governance AS
SELECT 'silent'::text AS finding,
       c.name AS client,
       p.name AS pipeline,
       p.platform,
       h.last_run_at,
       NULL::bigint AS runs_in_window,
       h.usual AS usual_interval_seconds,
       chm_seconds(h.last_run_at, chm_now()) AS silent_seconds,
       chm_seconds(h.last_run_at, chm_now()) - h.usual AS late_seconds
FROM pipelines p
JOIN clients c ON c.id = p.client_id
CROSS JOIN LATERAL (
    SELECT max(x.started_at) AS last_run_at,
           greatest(coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.gap), 86400), 3600)
               AS usual
    FROM (
        SELECT y.started_at,
               chm_seconds(y.started_at, lag(y.started_at) OVER (ORDER BY y.started_at DESC)) AS gap
        FROM chm_pipeline_runs(p.id, chm_now(), n => 31) y) x) h
WHERE p.is_active AND c.is_active
  AND h.last_run_at IS NOT NULL
  AND chm_seconds(h.last_run_at, chm_now()) > 1.5 * h.usual
UNION ALL
SELECT 'disabled_runs',
       c.name,
       p.name,
       p.platform,
       max(r.started_at),
       count(*),
       NULL, NULL, NULL
FROM runs r
JOIN pipelines p ON p.id = r.pipeline_id
JOIN clients c ON c.id = p.client_id
WHERE NOT (p.is_active AND c.is_active)
  AND r.started_at >= chm_since('7 days')
  AND r.started_at < chm_until()
GROUP BY c.name, p.name, p.platform
UNION ALL
SELECT 'no_alert_rule',
       c.name,
       p.name,
       p.platform,
       NULL, NULL, NULL, NULL, NULL
FROM pipelines p
JOIN clients c ON c.id = p.client_id
WHERE p.is_active AND c.is_active
  AND NOT EXISTS (
      SELECT 1 FROM alert_rules a
      WHERE a.is_enabled
        AND (a.pipeline_id = p.id OR (a.pipeline_id IS NULL AND a.client_id = p.client_id)));
