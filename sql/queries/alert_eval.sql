-- chm-alert: every enabled rule against the runs, as of $1 (now), one row per
-- (rule, covered pipeline), and one with a null pipeline_id for a rule that
-- covers nothing. $2 is a jsonb object {"<rule id>": "<first
-- evaluation>"}: runs that started before a rule's first evaluation never fire it
-- (no alert storm for history); a rule not in $2 is evaluated for the first
-- time at $1. $3, when not null, evaluates that one rule, enabled or not, and
-- $4 (chm rule test) counts every failure as if the rule had always been
-- watched. One statement; each covered pipeline costs a few probes of
-- runs_pipeline_latest_idx, however long its history.
WITH rules AS (
    SELECT r.id, r.client_id, r.pipeline_id, r.rule_type, r.threshold, r.window_minutes,
           r.channel, r.destination,
           CASE WHEN $4::boolean THEN '-infinity'::timestamptz
                ELSE coalesce(($2::jsonb ->> r.id::text)::timestamptz, $1::timestamptz) END AS first_eval
    FROM alert_rules r
    WHERE CASE WHEN $3::bigint IS NULL THEN r.is_enabled ELSE r.id = $3::bigint END
),
-- A rule that names a pipeline covers it (pipeline first, whatever its
-- client_id says); a client rule covers each pipeline of the client, except
-- one that has an enabled rule of its own with the same rule_type and channel.
scope AS (
    SELECT r.*, p.id AS pid
    FROM rules r JOIN pipelines p ON p.id = r.pipeline_id
    UNION ALL
    SELECT r.*, p.id AS pid
    FROM rules r JOIN pipelines p ON p.client_id = r.client_id
    WHERE r.pipeline_id IS NULL
      AND NOT EXISTS (SELECT 1 FROM alert_rules o
                      WHERE o.is_enabled AND o.pipeline_id = p.id
                        AND o.rule_type = r.rule_type AND o.channel = r.channel)
),
covered AS (
    SELECT s.*, c.name AS client, p.name AS pipeline, p.platform
    FROM scope s
    JOIN pipelines p ON p.id = s.pid
    JOIN clients c ON c.id = p.client_id
    WHERE p.is_active AND c.is_active
),
-- each covered pipeline's failures: chm_alert_failures (024_alert_probes.sql),
-- a few probes of runs_pipeline_latest_idx however long its history; on
-- Citus a router query to the one shard holding the pipeline
evaluated AS (
    SELECT cv.*, f.*
    FROM covered cv
    CROSS JOIN LATERAL chm_alert_failures(cv.pid, cv.rule_type, cv.window_minutes, cv.first_eval,
                                          $1::timestamptz) f
)
SELECT e.id AS rule_id, e.pid AS pipeline_id, e.rule_type, e.channel, e.destination,
       e.threshold, e.window_minutes, e.client, e.pipeline, e.platform,
       to_char(e.first_eval AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS first_eval,
       e.failures,
       to_char(e.oldest AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS since,
       to_char(e.last_failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_failed_at,
       coalesce(to_jsonb(e.run_ids), '[]'::jsonb) AS runs, e.last_error
FROM evaluated e
UNION ALL
-- a rule that covers nothing now still has its first evaluation kept
SELECT r.id, NULL, r.rule_type, r.channel, r.destination, r.threshold, r.window_minutes,
       NULL, NULL, NULL,
       to_char(r.first_eval AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       0, NULL, NULL, '[]'::jsonb, NULL
FROM rules r
WHERE NOT EXISTS (SELECT 1 FROM covered cv WHERE cv.id = r.id)
ORDER BY 1, 2;
