-- Q6. $1 client, $2 pipeline (name or client/name), $3 platform, $4 limit (NULL: all).
SELECT *
FROM chm_q6_failing_now
WHERE ($1::text IS NULL OR client = $1)
  AND ($2::text IS NULL OR pipeline = $2 OR client || '/' || pipeline = $2)
  AND ($3::text IS NULL OR platform::text = $3)
ORDER BY failure_streak DESC, client, pipeline
LIMIT $4::bigint
