-- Q8. $1 platform, $2 limit (NULL: all).
SELECT *
FROM chm_q8_failure_rate_per_platform
WHERE ($1::text IS NULL OR platform::text = $1)
ORDER BY platform
LIMIT $2::bigint
