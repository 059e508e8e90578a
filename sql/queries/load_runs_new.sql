-- chm-load's fast path for the first round of a batch whose keys are all new
-- (a first load, or a feed of new runs): a plain INSERT, without the probe of
-- runs for each staged key and without ON CONFLICT's speculative insertion,
-- which together cost about as much as the insert itself (make bench, row 1).
-- chm-load takes it when the previous batch's first round inserted every key;
-- if a key exists after all (the stream turned to known runs, or another
-- loader got there first), the unique index refuses the INSERT, the batch
-- rolls back and runs again through load_runs.sql.
--
-- Returns the same row as load_runs.sql.
WITH written AS (
    INSERT INTO runs (pipeline_id, external_run_id, status, started_at, finished_at,
                      duration_seconds, rows_processed, error_message, status_reason, payload)
    SELECT pipeline_id, external_run_id, status, started_at, finished_at,
           coalesce(duration_seconds, chm_run_duration(started_at, finished_at)),
           rows_processed, error_message, status_reason, payload
    FROM chm_stage
    WHERE round = 1
    ORDER BY pipeline_id, external_run_id
    RETURNING 1
)
SELECT count(*) AS candidates, count(*) AS inserted, 0 AS updated, 0 AS unchanged,
       0 AS ignored, '' AS rejected
FROM written
