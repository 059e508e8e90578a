-- chm client get/list: one JSON object a row. $1 id (null: all), $2 include
-- disabled clients. pipelines counts the active ones.
SELECT json_build_object(
           'id', c.id, 'name', c.name, 'description', c.description, 'is_active', c.is_active,
           'pipelines', (SELECT count(*) FROM pipelines p WHERE p.client_id = c.id AND p.is_active),
           'created_at', chm_rfc3339(c.created_at), 'updated_at', chm_rfc3339(c.updated_at))
FROM clients c
WHERE ($1::bigint IS NULL OR c.id = $1::bigint)
  AND ($1::bigint IS NOT NULL OR $2::boolean OR c.is_active)
ORDER BY c.name, c.id
