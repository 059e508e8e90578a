-- An inventory `alert_rule` record, upserted by its natural key: scope
-- (client $1 and/or pipeline: client $2 + name $3, or with $2 null $3 as
-- "client/name", split where a pipeline is), rule_type $4, channel $5,
-- destination $6. $7 threshold, $8 window_minutes, $9 is_enabled (null keeps).
-- Returns the resolved scope ids, the id inserted or updated, if any, and
-- how many pipelines $2/$3 names (two: a "/" in a name made it ambiguous).
WITH named AS (
    SELECT p.id FROM pipelines p JOIN clients c ON c.id = p.client_id
    WHERE CASE WHEN $2::text IS NULL THEN c.name || '/' || p.name = $3
               ELSE c.name = $2 AND p.name = $3 END
),
scope AS (
    SELECT (SELECT id FROM clients WHERE name = $1) AS client_id,
           (SELECT CASE WHEN count(*) = 1 THEN min(id) END FROM named) AS pipeline_id,
           (SELECT count(*) FROM named) AS pipelines_named
),
target AS (
    SELECT a.* FROM alert_rules a, scope s
    WHERE a.client_id IS NOT DISTINCT FROM s.client_id
      AND a.pipeline_id IS NOT DISTINCT FROM s.pipeline_id
      AND a.rule_type = $4::alert_rule_type AND a.channel = $5::alert_channel
      AND a.destination = $6
    ORDER BY a.is_enabled DESC, a.id
    LIMIT 1
),
upd AS (
    UPDATE alert_rules a SET
        threshold = coalesce($7::integer, t.threshold),
        window_minutes = coalesce($8::integer, t.window_minutes),
        is_enabled = coalesce($9::boolean, t.is_enabled),
        updated_at = now()
    FROM target t
    WHERE a.id = t.id
      AND (coalesce($7::integer, t.threshold), coalesce($8::integer, t.window_minutes),
           coalesce($9::boolean, t.is_enabled))
          IS DISTINCT FROM (t.threshold, t.window_minutes, t.is_enabled)
    RETURNING a.id
),
ins AS (
    INSERT INTO alert_rules (client_id, pipeline_id, rule_type, threshold, window_minutes,
                             channel, destination, is_enabled)
    SELECT s.client_id, s.pipeline_id, $4::alert_rule_type, $7::integer, $8::integer,
           $5::alert_channel, $6, coalesce($9::boolean, true)
    FROM scope s
    WHERE NOT EXISTS (SELECT 1 FROM target)
      AND ($1::text IS NULL OR s.client_id IS NOT NULL)
      AND ($3::text IS NULL OR s.pipeline_id IS NOT NULL)
    RETURNING id
)
SELECT s.client_id, s.pipeline_id, (SELECT id FROM ins) AS inserted_id,
       (SELECT id FROM upd) AS updated_id, s.pipelines_named
FROM scope s
