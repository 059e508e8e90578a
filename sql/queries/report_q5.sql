-- Q5. $1 client, $2 limit (NULL: all).
SELECT *
FROM chm_q5_daily_success_rate
WHERE ($1::text IS NULL OR client = $1)
ORDER BY day, client
LIMIT $2::bigint
