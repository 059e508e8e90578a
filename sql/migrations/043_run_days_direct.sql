-- chm-load COPYs a batch's days that have no rollup row yet straight into
-- chm_run_days (sql/queries/run_days_stored.sql), and only merges the stored
-- ones: a first load then stores each day once at the cost of a COPY, not of
-- an INSERT ... ON CONFLICT that merges arrays. Such a row's runs were written
-- by the same transaction, so its last_updated_at is the transaction's start,
-- as chm_run_days_refresh() gives a new day.
ALTER TABLE chm_run_days ALTER COLUMN last_updated_at SET DEFAULT now();

-- chm-load ANALYZEs chm_run_days after a large load (runs_analyze.sql), and
-- the statistics of its arrays, times and durations took two thirds of that
-- (0.5 s at 83k rows): no question filters or joins on them.
ALTER TABLE chm_run_days
    ALTER COLUMN failed_hours SET STATISTICS 0,
    ALTER COLUMN dur_buckets SET STATISTICS 0,
    ALTER COLUMN dur_counts SET STATISTICS 0,
    ALTER COLUMN sf_first_at SET STATISTICS 0,
    ALTER COLUMN sf_last_at SET STATISTICS 0,
    ALTER COLUMN dur_sum SET STATISTICS 0,
    ALTER COLUMN dur_min SET STATISTICS 0,
    ALTER COLUMN dur_max SET STATISTICS 0,
    ALTER COLUMN last_updated_at SET STATISTICS 0;

-- Settles the stale days one at a time, each from its own runs by the index
-- on (pipeline_id, started_at). 040's one statement joined the stale days to
-- runs as a set, and the planner, which knows nothing of a staging table just
-- filled, hashed all of runs: 205 stale days of a busy fleet took 1.25 s, and
-- now 0.4 s. Each day's outcomes are read first, as Q7 reads a stale day
-- (chm_run_days_stale), then written: on Citus an UPDATE of one pipeline's
-- day runs on its shard, where the outcomes' query over runs may not.
CREATE OR REPLACE FUNCTION chm_run_days_settle() RETURNS bigint
LANGUAGE plpgsql SET search_path TO public, pg_temp
SET max_parallel_workers_per_gather TO 0 AS $$
DECLARE
    n bigint := 0;
    s record;
    o record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM chm_run_days WHERE sf_stale) THEN
        RETURN 0;
    END IF;
    PERFORM chm_run_days_lock(ARRAY(SELECT DISTINCT pipeline_id FROM chm_run_days WHERE sf_stale));
    FOR s IN SELECT pipeline_id, day FROM chm_run_days WHERE sf_stale LOOP
        SELECT * INTO o
        FROM chm_run_days_outcomes(chm_day_start(s.day), chm_day_start(s.day + 1), false, s.pipeline_id);
        CONTINUE WHEN NOT FOUND;
        UPDATE chm_run_days
        SET (sf_first, sf_first_at, sf_last, sf_last_at, sf_flips, sf_stale) =
            (o.sf_first, o.sf_first_at, o.sf_last, o.sf_last_at, o.sf_flips, false)
        WHERE pipeline_id = s.pipeline_id AND day = s.day;
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- The dirty days' runs, one index range of (pipeline_id, started_at) a day
-- (LATERAL, kept from being flattened by OFFSET 0). 040's join left the plan
-- to the planner, which knows nothing of a staging table just filled and
-- prices a probe of a busy pipeline's day at a third of its runs: it hashed
-- all of runs instead. An upsert batch that changed one run of a pipeline
-- with 25,000 runs recounted its day in 0.3-0.5 s (10b's replay), and more
-- as runs grows; now in 5-11 ms.
CREATE OR REPLACE FUNCTION chm_run_days_source(from_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN from_at IS NULL THEN
        'chm_run_days_dirty x CROSS JOIN LATERAL
            (SELECT * FROM runs r WHERE r.pipeline_id = x.pipeline_id
                AND r.started_at >= chm_day_start(x.day) AND r.started_at < chm_day_start(x.day + 1)
             OFFSET 0) AS r
         WHERE x.outcomes_only = $3'
    ELSE
        'runs r WHERE r.started_at >= $1 AND r.started_at < $2
            AND ($4::bigint IS NULL OR r.pipeline_id = $4::bigint)'
    END
$$;
