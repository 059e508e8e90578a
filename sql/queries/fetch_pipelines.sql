-- The pipelines chm-fetch reads from a partner: active (and of an active
-- client), with an external_id, on the source's platform ($1, given by
-- lib/fetch.c chm_fetch_source_platform); $2 / $3 narrow to
-- one client / pipeline name when not null.
SELECT c.name, p.name, p.external_id
FROM pipelines p JOIN clients c ON c.id = p.client_id
WHERE p.is_active AND c.is_active
  AND p.external_id IS NOT NULL
  AND p.platform = $1::platform
  AND ($2::text IS NULL OR c.name = $2::text)
  AND ($3::text IS NULL OR p.name = $3::text)
ORDER BY c.name, p.name
