-- Q9 for --format prom: the view's columns and sum_seconds (the histogram's
-- _sum), from the view's function with its default window.
-- $1 client, $2 pipeline (name or client/name), $3 platform, $4 limit (NULL: all).
SELECT *
FROM chm_q9_duration_distribution()
WHERE ($1::text IS NULL OR client = $1)
  AND ($2::text IS NULL OR pipeline = $2 OR client || '/' || pipeline = $2)
  AND ($3::text IS NULL OR platform::text = $3)
ORDER BY client, pipeline
LIMIT $4::bigint
