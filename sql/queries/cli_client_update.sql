-- chm client update/disable: $1 id; $2 name, $3 description ('' clears),
-- $4 is_active; null keeps the stored value.
UPDATE clients SET
    name = coalesce($2, name),
    description = CASE WHEN $3::text IS NULL THEN description ELSE nullif($3, '') END,
    is_active = coalesce($4::boolean, is_active),
    updated_at = now()
WHERE id = $1::bigint
  AND (coalesce($2, name), CASE WHEN $3::text IS NULL THEN description ELSE nullif($3, '') END,
       coalesce($4::boolean, is_active))
      IS DISTINCT FROM (name, description, is_active)
RETURNING id
