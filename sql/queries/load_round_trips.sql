-- Before the rounds of chm-load's batch upsert (load_runs.sql), the round
-- trips: keys with several staged events that, applied in order under the
-- regression policy $1, would leave their stored run as it is
-- (044_round_trips.sql). They are taken out of the staging table, so the
-- rounds neither write the run away and back nor touch its day's rollups.
--
-- Only a key with an event that alone would change the stored run is asked:
-- when each event is older than the run or equal to it field by field, every
-- round leaves the run as it is, and the rounds find that as cheaply.
--
-- Returns one row: what the events taken out count, as the rounds would
-- have counted them (updated, unchanged, ignored).
WITH staged AS (
    SELECT s.*,
           chm_run_action(r.status, r.started_at, s.status, s.started_at, $1) <> 'older'
           AND (s.status, s.started_at, s.finished_at,
                coalesce(s.duration_seconds, chm_run_duration(s.started_at, s.finished_at)),
                s.rows_processed, s.error_message, s.status_reason, s.payload)
               IS DISTINCT FROM
               (r.status, r.started_at, r.finished_at, r.duration_seconds,
                r.rows_processed, r.error_message, r.status_reason, r.payload) AS moves
    FROM chm_stage s
    JOIN runs r ON r.pipeline_id = s.pipeline_id AND r.external_run_id = s.external_run_id
    WHERE s.events > 1
),
round_trips AS (
    SELECT e.pipeline_id, e.external_run_id,
           chm_run_round_trip($1, r.status, r.started_at, r.finished_at, r.duration_seconds,
                                  r.rows_processed, r.error_message, r.status_reason, r.payload,
                                  e.status, e.started_at, e.finished_at, e.duration_seconds,
                                  e.rows_processed, e.error_message, e.status_reason, e.payload)
               AS counts
    FROM (SELECT pipeline_id, external_run_id,
                 array_agg(status ORDER BY round) AS status,
                 array_agg(started_at ORDER BY round) AS started_at,
                 array_agg(finished_at ORDER BY round) AS finished_at,
                 array_agg(duration_seconds ORDER BY round) AS duration_seconds,
                 array_agg(rows_processed ORDER BY round) AS rows_processed,
                 array_agg(error_message ORDER BY round) AS error_message,
                 array_agg(status_reason ORDER BY round) AS status_reason,
                 array_agg(payload ORDER BY round) AS payload
          FROM staged
          GROUP BY pipeline_id, external_run_id
          HAVING bool_or(moves)) AS e
    JOIN runs r ON r.pipeline_id = e.pipeline_id AND r.external_run_id = e.external_run_id
    OFFSET 0  -- each key's counts once, not once per staged row below
),
taken AS (
    DELETE FROM chm_stage s
    USING round_trips t
    WHERE t.counts IS NOT NULL
      AND s.pipeline_id = t.pipeline_id AND s.external_run_id = t.external_run_id
    RETURNING s.round, t.counts
)
SELECT coalesce(sum(counts[1]), 0) AS updated,
       coalesce(sum(counts[2]), 0) AS unchanged,
       coalesce(sum(counts[3]), 0) AS ignored
FROM taken
WHERE round = 1
