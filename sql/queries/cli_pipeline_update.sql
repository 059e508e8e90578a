-- chm pipeline update/disable: $1 id; $2 name, $3 platform, $4 pipeline_type,
-- $5 environment, $6 external_id and $7 description ('' clears), $8 is_active;
-- null keeps the stored value. No row back when nothing changed.
WITH new AS (
    SELECT p.id,
           coalesce($2, p.name) AS name,
           coalesce($3::platform, p.platform) AS platform,
           coalesce($4::pipeline_type, p.pipeline_type) AS pipeline_type,
           coalesce($5::environment, p.environment) AS environment,
           CASE WHEN $6::text IS NULL THEN p.external_id ELSE nullif($6, '') END AS external_id,
           CASE WHEN $7::text IS NULL THEN p.description ELSE nullif($7, '') END AS description,
           coalesce($8::boolean, p.is_active) AS is_active
    FROM pipelines p WHERE p.id = $1::bigint
)
UPDATE pipelines p SET
    (name, platform, pipeline_type, environment, external_id, description, is_active) =
    (n.name, n.platform, n.pipeline_type, n.environment, n.external_id, n.description, n.is_active),
    updated_at = now()
FROM new n
WHERE p.id = n.id
  AND (n.name, n.platform, n.pipeline_type, n.environment, n.external_id, n.description, n.is_active)
      IS DISTINCT FROM
      (p.name, p.platform, p.pipeline_type, p.environment, p.external_id, p.description, p.is_active)
RETURNING p.id
