-- One round of chm-load's batch upsert: the staged events of round $1
-- (the n-th event of each key in the batch) against runs, under the
-- regression policy $2 (ignore | reject | accept). The transition rules are
-- the chm_run_* functions of migrations/002_run_transitions.sql, as 012 left
-- them (events of equal standing: the greater payload) and 048 (a later
-- start inside a finished attempt is a late event of it, not a new attempt).
--
-- A duration no event gave is derived from the run's times (chm_run_duration):
-- an event with both times has the duration they give, as the INSERT below
-- writes it (EXCLUDED), so the filter and the write agree.
--
-- Events that would change nothing are filtered out before the INSERT, so an
-- unchanged replay neither locks nor writes a row (an ON CONFLICT whose WHERE
-- refuses still locks and logs every row). ON CONFLICT re-applies the rules
-- against the row as it is then, so concurrent loaders converge.
--
-- An event that equals its stored run field by field is unchanged whatever
-- the rules pick, since they pick between equal values: that one comparison
-- comes first, and the rules are evaluated only for events that differ
-- (in an unchanged replay they were a third of the server's time).
--
-- An event that would change its stored run, when its key has later events
-- in the batch, is asked first whether those events together take the run
-- away and back to what it is (chm_run_round_trip, 044_round_trips.sql: two
-- finishes of one cron run, replayed). Such a round trip writes nothing: its
-- later events are taken out of the staging table, and all of them are
-- counted as the rounds would have counted them.
--
-- The days the writes touched go to chm_run_days_dirty, whose rollups
-- chm_run_days_refresh() recounts before the batch commits (040).
--
-- Returns one row: candidates, inserted, updated, unchanged, ignored, and the
-- staged seqs refused as stale regressions (comma-separated).
WITH staged AS (
    SELECT s.*,
           chm_run_action(r.status, r.started_at, r.finished_at, s.status, s.started_at, $2) AS action,
           r.status AS old_status, r.started_at AS old_started_at,
           r.finished_at AS old_finished_at, r.duration_seconds AS old_duration_seconds,
           r.rows_processed AS old_rows_processed, r.error_message AS old_error_message,
           r.status_reason AS old_status_reason, r.payload AS old_payload
    FROM chm_stage s
    LEFT JOIN runs r ON r.pipeline_id = s.pipeline_id AND r.external_run_id = s.external_run_id
    WHERE s.round = $1::integer
),
compared AS (
    SELECT st.*,
           action NOT IN ('insert', 'reject') AND
           ((status, started_at, finished_at,
             coalesce(duration_seconds, chm_run_duration(started_at, finished_at)),
             rows_processed, error_message, status_reason, payload)
            IS NOT DISTINCT FROM
            (old_status, old_started_at, old_finished_at, old_duration_seconds,
             old_rows_processed, old_error_message, old_status_reason, old_payload)
            OR
            (chm_run_pick_status(action, old_status, status),
             chm_run_pick(action, old_started_at, started_at),
             chm_run_pick(action, old_finished_at, finished_at),
             coalesce(chm_run_pick(action, old_duration_seconds,
                                   coalesce(duration_seconds, chm_run_duration(started_at, finished_at))),
                      chm_run_duration(chm_run_pick(action, old_started_at, started_at),
                                       chm_run_pick(action, old_finished_at, finished_at))),
             chm_run_pick(action, old_rows_processed, rows_processed),
             chm_run_pick(action, old_error_message, error_message),
             chm_run_pick(action, old_status_reason, status_reason),
             chm_run_pick_payload(action, old_payload, payload))
            IS NOT DISTINCT FROM
            (old_status, old_started_at, old_finished_at, old_duration_seconds,
             old_rows_processed, old_error_message, old_status_reason, old_payload))
           AS unchanged
    FROM staged st
),
-- decided is read four times (written, dirty, later, the counts), so it is
-- materialized: only the columns those read go in. The stored run's other
-- columns served the comparison and the round trip only, and a replay
-- wrote all of them for every event (10a's unchanged replay: 1.34 s with
-- them, 1.30 s without, alternating). `unchanged` is named once more, in
-- trip's CASE after a test that is false for most events: it is an
-- expression, evaluated at each naming.
decided AS (
    SELECT c.seq, c.pipeline_id, c.external_run_id, c.status, c.started_at, c.finished_at,
           c.duration_seconds, c.rows_processed, c.error_message, c.status_reason, c.payload,
           c.action, c.unchanged, c.old_started_at,
           CASE WHEN c.events > c.round AND NOT c.unchanged AND c.action NOT IN ('insert', 'reject')
           THEN (SELECT chm_run_round_trip($2, c.old_status, c.old_started_at, c.old_finished_at,
                                           c.old_duration_seconds, c.old_rows_processed,
                                           c.old_error_message, c.old_status_reason, c.old_payload,
                                           array_prepend(c.status, array_agg(x.status ORDER BY x.round)),
                                           array_prepend(c.started_at, array_agg(x.started_at ORDER BY x.round)),
                                           array_prepend(c.finished_at, array_agg(x.finished_at ORDER BY x.round)),
                                           array_prepend(c.duration_seconds, array_agg(x.duration_seconds ORDER BY x.round)),
                                           array_prepend(c.rows_processed, array_agg(x.rows_processed ORDER BY x.round)),
                                           array_prepend(c.error_message, array_agg(x.error_message ORDER BY x.round)),
                                           array_prepend(c.status_reason, array_agg(x.status_reason ORDER BY x.round)),
                                           array_prepend(c.payload, array_agg(x.payload ORDER BY x.round)))
                 -- the key's later events, by the index of later events
                 -- (046: round > 1), not a scan of the batch for each event
                 FROM chm_stage x
                 WHERE x.pipeline_id = c.pipeline_id AND x.external_run_id = c.external_run_id
                   AND x.round > c.round AND x.round > 1)
           END AS trip
    FROM compared c
),
written AS (
    INSERT INTO runs AS r (pipeline_id, external_run_id, status, started_at, finished_at,
                           duration_seconds, rows_processed, error_message, status_reason, payload)
    SELECT pipeline_id, external_run_id, status, started_at, finished_at,
           coalesce(duration_seconds, chm_run_duration(started_at, finished_at)),
           rows_processed, error_message, status_reason, payload
    FROM decided
    WHERE action <> 'reject' AND NOT unchanged AND trip IS NULL
    ORDER BY pipeline_id, external_run_id
    ON CONFLICT (pipeline_id, external_run_id) DO UPDATE SET
        (status, started_at, finished_at, duration_seconds, rows_processed,
         error_message, status_reason, payload) =
        (SELECT chm_run_pick_status(a, r.status, EXCLUDED.status),
                chm_run_pick(a, r.started_at, EXCLUDED.started_at),
                chm_run_pick(a, r.finished_at, EXCLUDED.finished_at),
                coalesce(chm_run_pick(a, r.duration_seconds, EXCLUDED.duration_seconds),
                         chm_run_duration(chm_run_pick(a, r.started_at, EXCLUDED.started_at),
                                          chm_run_pick(a, r.finished_at, EXCLUDED.finished_at))),
                chm_run_pick(a, r.rows_processed, EXCLUDED.rows_processed),
                chm_run_pick(a, r.error_message, EXCLUDED.error_message),
                chm_run_pick(a, r.status_reason, EXCLUDED.status_reason),
                chm_run_pick_payload(a, r.payload, EXCLUDED.payload)
         FROM (SELECT chm_run_action(r.status, r.started_at, r.finished_at, EXCLUDED.status,
                                     EXCLUDED.started_at, $2) AS a) AS x),
        updated_at = EXCLUDED.updated_at  -- the default, now() (021_updated_at_in_sql.sql)
    -- a conflict here means another loader wrote the row since our snapshot
    WHERE chm_run_action(r.status, r.started_at, r.finished_at, EXCLUDED.status, EXCLUDED.started_at, $2)
          NOT IN ('reject', 'older')
    RETURNING r.pipeline_id, r.external_run_id, r.started_at, (r.xmax = 0) AS inserted
),
-- the days whose rollups (040) the writes changed: a written run's day, and
-- the day a stored run the round set out to change started on before (under
-- chm_run_days_lock, so the snapshot's row is the row as it was); recounted
-- before COMMIT. The old days come from the candidates, not from the rows
-- written joined back to them: with hash joins off that join was a nested
-- loop over two CTE scans, 4 s for a batch of 5,000 updates. A candidate a
-- concurrent loader changed first (not written here) only costs a recount.
dirty AS (
    INSERT INTO chm_run_days_dirty (pipeline_id, day)
    SELECT DISTINCT t.pipeline_id, chm_utc_day(t.started_at)
    FROM (SELECT w.pipeline_id, w.started_at FROM written w
          UNION ALL
          SELECT d.pipeline_id, d.old_started_at
          FROM decided d
          WHERE d.action NOT IN ('insert', 'reject') AND NOT d.unchanged AND d.trip IS NULL) AS t
    WHERE t.started_at IS NOT NULL
    ON CONFLICT DO NOTHING
),
-- a round trip's later events, which its first one answers for: each found
-- by its key in the index of later events (046); no scan of the staging
-- table when the round has none
later AS (
    DELETE FROM chm_stage x
    USING (SELECT DISTINCT pipeline_id, external_run_id FROM decided WHERE trip IS NOT NULL) AS t
    WHERE x.pipeline_id = t.pipeline_id AND x.external_run_id = t.external_run_id
      AND x.round > $1::integer AND x.round > 1
)
-- a round trip's changes count as updates, and as candidates written, so
-- that chm-load's candidates - inserted - updated (those a concurrent loader
-- wrote first) leaves them out
SELECT count(*) FILTER (WHERE action <> 'reject' AND NOT unchanged AND trip IS NULL)
           + coalesce(sum(trip[1]), 0) AS candidates,
       (SELECT count(*) FILTER (WHERE inserted) FROM written) AS inserted,
       (SELECT count(*) FILTER (WHERE NOT inserted) FROM written) + coalesce(sum(trip[1]), 0) AS updated,
       count(*) FILTER (WHERE unchanged AND action NOT IN ('fill', 'older'))
           + coalesce(sum(trip[2]), 0) AS unchanged,
       count(*) FILTER (WHERE unchanged AND action IN ('fill', 'older'))
           + coalesce(sum(trip[3]), 0) AS ignored,
       coalesce(string_agg(seq::text, ',') FILTER (WHERE action = 'reject'), '') AS rejected
FROM decided
