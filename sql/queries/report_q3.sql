-- Q3. $1 client, $2 limit (NULL: all).
SELECT *
FROM chm_q3_failures_per_client
WHERE ($1::text IS NULL OR client = $1)
ORDER BY client
LIMIT $2::bigint
