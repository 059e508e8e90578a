-- Q1 re-bucketed. $1 client, $2 pipeline (name or client/name), $3 platform,
-- $4 limit (NULL: all), $5 bucket: hour, day or week (weeks start on Monday, UTC).
SELECT date_trunc($5::text, bucket, 'UTC') AS bucket, client, pipeline, platform,
       sum(failed_runs)::bigint AS failed_runs
FROM chm_q1_failed_runs_hourly
WHERE ($1::text IS NULL OR client = $1)
  AND ($2::text IS NULL OR pipeline = $2 OR client || '/' || pipeline = $2)
  AND ($3::text IS NULL OR platform::text = $3)
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3
LIMIT $4::bigint
