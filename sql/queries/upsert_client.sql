-- An inventory `client` record: insert by name, or update the fields given
-- ($2 description, $3 is_active; null keeps). No row back: nothing changed.
INSERT INTO clients AS c (name, description, is_active)
VALUES ($1, $2, coalesce($3::boolean, true))
ON CONFLICT (name) DO UPDATE SET
    description = coalesce(EXCLUDED.description, c.description),
    is_active = coalesce($3::boolean, c.is_active),
    updated_at = EXCLUDED.updated_at  -- the default, now() (021_updated_at_in_sql.sql)
WHERE (coalesce(EXCLUDED.description, c.description), coalesce($3::boolean, c.is_active))
      IS DISTINCT FROM (c.description, c.is_active)
RETURNING id, (xmax = 0) AS inserted
