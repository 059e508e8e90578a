-- An inventory `pipeline` record: insert by (client, name), or update the
-- fields given (null keeps). Returns client_id (null: no such client), and
-- id + inserted when a row was written.
WITH c AS (SELECT id FROM clients WHERE name = $1),
up AS (
    INSERT INTO pipelines AS p (client_id, name, platform, pipeline_type, environment,
                                external_id, description, is_active)
    SELECT c.id, $2, $3::platform, $4::pipeline_type, coalesce($5::environment, 'prod'),
           $6, $7, coalesce($8::boolean, true)
    FROM c
    ON CONFLICT (client_id, name) DO UPDATE SET
        platform = EXCLUDED.platform,
        pipeline_type = EXCLUDED.pipeline_type,
        environment = coalesce($5::environment, p.environment),
        external_id = coalesce(EXCLUDED.external_id, p.external_id),
        description = coalesce(EXCLUDED.description, p.description),
        is_active = coalesce($8::boolean, p.is_active),
        updated_at = EXCLUDED.updated_at  -- the default, now() (021_updated_at_in_sql.sql)
    WHERE (EXCLUDED.platform, EXCLUDED.pipeline_type, coalesce($5::environment, p.environment),
           coalesce(EXCLUDED.external_id, p.external_id), coalesce(EXCLUDED.description, p.description),
           coalesce($8::boolean, p.is_active))
          IS DISTINCT FROM
          (p.platform, p.pipeline_type, p.environment, p.external_id, p.description, p.is_active)
    RETURNING id, (xmax = 0) AS inserted
)
SELECT (SELECT id FROM c) AS client_id, up.id, up.inserted
FROM (SELECT 1) AS one LEFT JOIN up ON true
