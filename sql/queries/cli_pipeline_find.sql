-- A pipeline by id ($1) or by client id ($2) + name ($3).
SELECT id FROM pipelines
WHERE ($1::bigint IS NOT NULL AND id = $1::bigint)
   OR ($1::bigint IS NULL AND client_id = $2::bigint AND name = $3)
