-- One pipeline by id ($1), by client + platform + external_id ($2, $3, $4),
-- or by client + name ($2, $4 with $3 null). Columns as pipelines_all.sql.
SELECT p.id, c.name, p.platform, p.external_id, p.name
FROM pipelines p JOIN clients c ON c.id = p.client_id
WHERE ($1::bigint IS NOT NULL AND p.id = $1::bigint)
   OR ($1::bigint IS NULL AND c.name = $2 AND $3::platform IS NOT NULL
       AND p.platform = $3::platform AND p.external_id = $4)
   OR ($1::bigint IS NULL AND c.name = $2 AND $3::platform IS NULL AND p.name = $4)
