-- chm pipeline get/list: one JSON object a row. $1 id, $2 client id,
-- $3 platform, $4 environment, $5 is_active (null: any); null filters nothing.
SELECT json_build_object(
           'id', p.id, 'client', c.name, 'client_id', c.id, 'name', p.name,
           'platform', p.platform, 'pipeline_type', p.pipeline_type,
           'environment', p.environment, 'external_id', p.external_id,
           'description', p.description, 'is_active', p.is_active,
           'created_at', chm_rfc3339(p.created_at), 'updated_at', chm_rfc3339(p.updated_at))
FROM pipelines p JOIN clients c ON c.id = p.client_id
WHERE ($1::bigint IS NULL OR p.id = $1::bigint)
  AND ($2::bigint IS NULL OR p.client_id = $2::bigint)
  AND ($3::platform IS NULL OR p.platform = $3::platform)
  AND ($4::environment IS NULL OR p.environment = $4::environment)
  AND ($5::boolean IS NULL OR p.is_active = $5::boolean)
ORDER BY c.name, p.name, p.id
