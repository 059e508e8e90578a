-- Per-pipeline daily rollups of runs (issue 19): what the windowed questions
-- (Q1, Q3, Q5, Q7, Q8, Q9) need of one pipeline's runs started on one UTC
-- day, so a question over a window costs pipelines x days, not runs. Derived
-- data, not an entity: every row is what chm_run_days_of() computes from runs,
-- and chm_run_days_rebuild() recomputes them all.
--
-- Kept in chm-load's transaction (lib/engines/loader.c), in two ways:
--   * runs COPYed straight into runs (a first load, a feed of new runs): the
--     loader sums their days itself (lib/engines/rundays.c) into
--     chm_run_days_new, and chm_run_days_refresh() adds those sums to the
--     stored days. PostgreSQL then does a few rows' work a pipeline and day,
--     not a run's: the first load stays near the speed of a bare COPY.
--   * runs upserted (load_runs.sql): the days they touched (a run's day
--     before and after) go to chm_run_days_dirty, and chm_run_days_refresh()
--     recounts those days from runs. A status change, a moved start, a late
--     or replayed event come out exact, and an unchanged replay touches no
--     day, so it writes no rollup row.
-- The loader first locks the batch's pipelines (chm_run_days_lock), so a
-- recount sees every other loader's runs of its days committed.
--
-- A run counts on the UTC day of its started_at; a run without one is in no
-- question's window and in no rollup. No foreign key to pipelines: nothing
-- deletes a pipeline, and on Citus the table is sharded with runs while
-- pipelines is a reference table (sql/citus/distribute.sql).

-- The UTC day of an instant, and the instant a UTC day starts.
CREATE FUNCTION chm_utc_day(at timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (at AT TIME ZONE 'UTC')::date $$;
CREATE FUNCTION chm_day_start(day date) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT day::timestamp AT TIME ZONE 'UTC' $$;

-- Q9's percentiles come from a log-bucketed histogram: bucket b holds the
-- durations in [1.05^b, 1.05^(b+1)) and stands for 1.05^(b+0.5), so a
-- percentile read from it is within 2.5% of the exact one (sqrt(1.05) - 1),
-- and is then clamped to the window's exact min and max. A duration of 0
-- has a bucket of its own (-32768) that stands for exactly 0.
CREATE FUNCTION chm_duration_bucket(seconds double precision) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN seconds > 0
                      THEN greatest(-32767, least(32767, floor(ln(seconds) / ln(1.05::double precision))))::smallint
                      WHEN seconds = 0 THEN (-32768)::smallint END $$;
CREATE FUNCTION chm_duration_bucket_value(bucket smallint) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN bucket = -32768 THEN 0::double precision
                      ELSE power(1.05::double precision, bucket + 0.5) END $$;

CREATE TABLE chm_run_days (
    pipeline_id     bigint NOT NULL,
    day             date NOT NULL,
    runs            integer NOT NULL,      -- every status (Q8)
    running         integer NOT NULL,
    success         integer NOT NULL,
    failed          integer NOT NULL,
    canceled        integer NOT NULL,
    skipped         integer NOT NULL,
    failed_hours    smallint[],            -- the UTC hour of each failed run, sorted (Q1)
    sf_first        run_status,            -- Q7, among success and failed in Q7's
    sf_first_at     timestamptz,           -- order (started_at, status): the day's
    sf_last         run_status,            -- first and last, when they started,
    sf_last_at      timestamptz,           -- and the changes between them
    sf_flips        integer NOT NULL,
    dur_runs        integer NOT NULL,      -- runs with a duration (Q9)
    dur_sum         double precision,
    dur_min         double precision,
    dur_max         double precision,
    hist_10s        integer NOT NULL,
    hist_1m         integer NOT NULL,
    hist_5m         integer NOT NULL,
    hist_15m        integer NOT NULL,
    hist_1h         integer NOT NULL,
    hist_6h         integer NOT NULL,
    hist_inf        integer NOT NULL,
    dur_buckets     smallint[],            -- chm_duration_bucket, ascending
    dur_counts      integer[],             -- runs in each of those buckets
    last_updated_at timestamptz NOT NULL,  -- the newest updated_at of the day's runs
    -- Q7's columns wait for chm_run_days_settle(): new runs fell between the
    -- day's stored outcomes, and only the day's runs in order tell its flips
    sf_stale        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (pipeline_id, day)
);
CREATE INDEX chm_run_days_stale_idx ON chm_run_days (pipeline_id, day) WHERE sf_stale;
-- The questions' whole days, read from the index alone for all but Q1's
-- hours and Q9's durations: a row is wide (its arrays), and reading the
-- table took most of a 30-day question's time.
CREATE INDEX chm_run_days_day_idx ON chm_run_days (day)
    INCLUDE (pipeline_id, runs, success, failed, canceled, sf_first, sf_last, sf_flips, sf_stale);

-- The days a loader's transaction touched, recounted and emptied before its
-- COMMIT: never seen by another session (as chm_stage, 025), so UNLOGGED.
CREATE UNLOGGED TABLE chm_run_days_dirty (
    pipeline_id   bigint NOT NULL,
    day           date NOT NULL,
    outcomes_only boolean NOT NULL DEFAULT false, -- only Q7's columns (chm_run_days_settle)
    PRIMARY KEY (pipeline_id, day)
);

-- What a loader's runs COPYed straight into runs add to their days, summed
-- by the loader as it sends them (lib/engines/rundays.c): one row a pipeline
-- and day of the batch, in chm_run_days's shape but for last_updated_at
-- (the transaction's time). Merged by chm_run_days_refresh() and emptied
-- before COMMIT, never seen by another session (as chm_stage, 025).
CREATE UNLOGGED TABLE chm_run_days_new (
    pipeline_id  bigint NOT NULL,
    day          date NOT NULL,
    runs         integer NOT NULL,
    running      integer NOT NULL,
    success      integer NOT NULL,
    failed       integer NOT NULL,
    canceled     integer NOT NULL,
    skipped      integer NOT NULL,
    failed_hours smallint[],
    sf_first     run_status,
    sf_first_at  timestamptz,
    sf_last      run_status,
    sf_last_at   timestamptz,
    sf_flips     integer NOT NULL,
    dur_runs     integer NOT NULL,
    dur_sum      double precision,
    dur_min      double precision,
    dur_max      double precision,
    hist_10s     integer NOT NULL,
    hist_1m      integer NOT NULL,
    hist_5m      integer NOT NULL,
    hist_15m     integer NOT NULL,
    hist_1h      integer NOT NULL,
    hist_6h      integer NOT NULL,
    hist_inf     integer NOT NULL,
    dur_buckets  smallint[],
    dur_counts   integer[]
);

-- Where chm_run_days_of() and chm_run_days_outcomes() read runs: those
-- started in [$1, $2) (of pipeline $4 when it is not NULL), or (from_at
-- NULL) those of the days in chm_run_days_dirty whose outcomes_only is $3.
CREATE FUNCTION chm_run_days_source(from_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN from_at IS NULL THEN
        'chm_run_days_dirty x JOIN runs r ON r.pipeline_id = x.pipeline_id
            AND r.started_at >= chm_day_start(x.day) AND r.started_at < chm_day_start(x.day + 1)
         WHERE x.outcomes_only = $3'
    ELSE
        'runs r WHERE r.started_at >= $1 AND r.started_at < $2
            AND ($4::bigint IS NULL OR r.pipeline_id = $4::bigint)'
    END
$$;

-- Q7's columns of the rollup rows of runs (chm_run_days_source): among
-- success and failed in Q7's order (started_at, status), each day's first
-- and last outcome, when they started, and the changes between them.
CREATE FUNCTION chm_run_days_outcomes(from_at timestamptz, to_at timestamptz,
                                      outcomes_only boolean DEFAULT false,
                                      pipeline bigint DEFAULT NULL)
RETURNS TABLE (pipeline_id bigint, day date, sf_first run_status, sf_first_at timestamptz,
               sf_last run_status, sf_last_at timestamptz, sf_flips integer)
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp
SET jit TO off SET enable_hashjoin TO on AS $fn$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH sf AS (
        SELECT r.pipeline_id, chm_utc_day(r.started_at) AS day, r.status, r.started_at,
               lag(r.status) OVER (PARTITION BY r.pipeline_id, chm_utc_day(r.started_at)
                                   ORDER BY r.started_at, r.status) AS prev
        FROM %s AND r.status IN ('success', 'failed')
    )
    SELECT pipeline_id, day,
           (array_agg(status ORDER BY started_at, status))[1],
           min(started_at),
           (array_agg(status ORDER BY started_at DESC, status DESC))[1],
           max(started_at),
           count(*) FILTER (WHERE prev <> status)::integer
    FROM sf
    GROUP BY pipeline_id, day
    $q$, chm_run_days_source(from_at)) USING from_at, to_at, outcomes_only, pipeline;
END $fn$;

-- The rollup rows of runs, computed from runs: those started in [from_at,
-- to_at), or (from_at NULL) those of the days in chm_run_days_dirty. A day
-- cut by the range gives a row of the part inside it: the questions read
-- the partial days at their window's edges this way. The one definition of
-- a rollup row; dynamic only in where its runs come from.
CREATE FUNCTION chm_run_days_of(from_at timestamptz, to_at timestamptz)
RETURNS SETOF chm_run_days
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp
-- a few ms of work, which JIT would compile for 40 ms; and hash joins of
-- its CTEs whatever the caller (chm-load turns them off for its upsert)
SET jit TO off SET enable_hashjoin TO on AS $fn$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH r AS (
        SELECT r.pipeline_id, chm_utc_day(r.started_at) AS day, r.status, r.started_at,
               r.duration_seconds, r.updated_at
        FROM %s
    ), sfa AS (
        SELECT * FROM chm_run_days_outcomes($1, $2)
    ), hb AS (
        SELECT pipeline_id, day, chm_duration_bucket(duration_seconds) AS bucket, count(*)::integer AS n
        FROM r
        WHERE duration_seconds IS NOT NULL
        GROUP BY 1, 2, 3
    ), hba AS (
        SELECT pipeline_id, day, array_agg(bucket ORDER BY bucket) AS dur_buckets,
               array_agg(n ORDER BY bucket) AS dur_counts
        FROM hb
        GROUP BY pipeline_id, day
    ), a AS (
        SELECT pipeline_id, day,
               count(*)::integer AS runs,
               count(*) FILTER (WHERE status = 'running')::integer AS running,
               count(*) FILTER (WHERE status = 'success')::integer AS success,
               count(*) FILTER (WHERE status = 'failed')::integer AS failed,
               count(*) FILTER (WHERE status = 'canceled')::integer AS canceled,
               count(*) FILTER (WHERE status = 'skipped')::integer AS skipped,
               array_agg(extract(hour FROM started_at AT TIME ZONE 'UTC')::smallint
                         ORDER BY started_at AT TIME ZONE 'UTC')
                   FILTER (WHERE status = 'failed') AS failed_hours,
               count(duration_seconds)::integer AS dur_runs,
               sum(duration_seconds) AS dur_sum,
               min(duration_seconds) AS dur_min,
               max(duration_seconds) AS dur_max,
               count(*) FILTER (WHERE duration_seconds <= 10)::integer AS hist_10s,
               count(*) FILTER (WHERE duration_seconds > 10 AND duration_seconds <= 60)::integer AS hist_1m,
               count(*) FILTER (WHERE duration_seconds > 60 AND duration_seconds <= 300)::integer AS hist_5m,
               count(*) FILTER (WHERE duration_seconds > 300 AND duration_seconds <= 900)::integer AS hist_15m,
               count(*) FILTER (WHERE duration_seconds > 900 AND duration_seconds <= 3600)::integer AS hist_1h,
               count(*) FILTER (WHERE duration_seconds > 3600 AND duration_seconds <= 21600)::integer AS hist_6h,
               count(*) FILTER (WHERE duration_seconds > 21600)::integer AS hist_inf,
               max(updated_at) AS last_updated_at
        FROM r
        GROUP BY pipeline_id, day
    )
    SELECT a.pipeline_id, a.day, a.runs, a.running, a.success, a.failed, a.canceled, a.skipped,
           a.failed_hours, sfa.sf_first, sfa.sf_first_at, sfa.sf_last, sfa.sf_last_at,
           coalesce(sfa.sf_flips, 0),
           a.dur_runs, a.dur_sum, a.dur_min, a.dur_max,
           a.hist_10s, a.hist_1m, a.hist_5m, a.hist_15m, a.hist_1h, a.hist_6h, a.hist_inf,
           hba.dur_buckets, hba.dur_counts, a.last_updated_at, false
    FROM a
    LEFT JOIN sfa ON sfa.pipeline_id = a.pipeline_id AND sfa.day = a.day
    LEFT JOIN hba ON hba.pipeline_id = a.pipeline_id AND hba.day = a.day
    $q$, chm_run_days_source(from_at)) USING from_at, to_at, false, NULL::bigint;
END $fn$;

-- Adds the loader's new days (chm_run_days_new, when it sent some) to the
-- rollups, recounts the days in chm_run_days_dirty, and empties both. A
-- new day's runs add to a stored day's counts, sums and histograms; its Q7
-- outcomes compose with the stored ones when they all started after the
-- day's last outcome or before its first (a feed in time order, a day cut
-- by two batches). When they fall in between (a feed in another order, as
-- external ids sort), only the day's runs in order tell its flips: the day
-- is marked sf_stale, Q7 reads its outcomes from runs until
-- chm_run_days_settle() recounts them, once at the end of a load instead of
-- once a batch. A day whose runs all moved away loses its row. Returns the
-- days recounted.
CREATE FUNCTION chm_run_days_refresh(new_days boolean DEFAULT true) RETURNS bigint
LANGUAGE plpgsql SET search_path TO public, pg_temp
-- a batch's days: starting parallel workers costs more than they save
SET max_parallel_workers_per_gather TO 0 AS $$
DECLARE
    n bigint;
BEGIN
    IF new_days THEN
        -- (a day recounted whole anyway is left to the recount)
        INSERT INTO chm_run_days AS d
        SELECT e.*, now(), false
        FROM chm_run_days_new e
        WHERE NOT EXISTS (SELECT 1 FROM chm_run_days_dirty x
                          WHERE x.pipeline_id = e.pipeline_id AND x.day = e.day)
        ON CONFLICT (pipeline_id, day) DO UPDATE SET
            runs = d.runs + EXCLUDED.runs,
            running = d.running + EXCLUDED.running,
            success = d.success + EXCLUDED.success,
            failed = d.failed + EXCLUDED.failed,
            canceled = d.canceled + EXCLUDED.canceled,
            skipped = d.skipped + EXCLUDED.skipped,
            failed_hours = CASE WHEN d.failed_hours IS NULL THEN EXCLUDED.failed_hours
                                WHEN EXCLUDED.failed_hours IS NULL THEN d.failed_hours
                                ELSE ARRAY(SELECT h FROM unnest(d.failed_hours || EXCLUDED.failed_hours) AS h
                                           ORDER BY h) END,
            sf_first = CASE WHEN d.sf_first IS NULL OR EXCLUDED.sf_first_at < d.sf_first_at
                            THEN EXCLUDED.sf_first ELSE d.sf_first END,
            sf_first_at = least(d.sf_first_at, EXCLUDED.sf_first_at),
            sf_last = CASE WHEN d.sf_last IS NULL OR EXCLUDED.sf_last_at > d.sf_last_at
                           THEN EXCLUDED.sf_last ELSE d.sf_last END,
            sf_last_at = greatest(d.sf_last_at, EXCLUDED.sf_last_at),
            sf_flips = d.sf_flips + EXCLUDED.sf_flips
                       + CASE WHEN d.sf_first IS NULL OR EXCLUDED.sf_first IS NULL THEN 0
                              WHEN EXCLUDED.sf_first_at > d.sf_last_at
                              THEN (d.sf_last <> EXCLUDED.sf_first)::integer
                              ELSE (EXCLUDED.sf_last <> d.sf_first)::integer END,
            dur_runs = d.dur_runs + EXCLUDED.dur_runs,
            dur_sum = CASE WHEN d.dur_sum IS NULL THEN EXCLUDED.dur_sum
                           WHEN EXCLUDED.dur_sum IS NULL THEN d.dur_sum
                           ELSE d.dur_sum + EXCLUDED.dur_sum END,
            dur_min = least(d.dur_min, EXCLUDED.dur_min),
            dur_max = greatest(d.dur_max, EXCLUDED.dur_max),
            hist_10s = d.hist_10s + EXCLUDED.hist_10s,
            hist_1m = d.hist_1m + EXCLUDED.hist_1m,
            hist_5m = d.hist_5m + EXCLUDED.hist_5m,
            hist_15m = d.hist_15m + EXCLUDED.hist_15m,
            hist_1h = d.hist_1h + EXCLUDED.hist_1h,
            hist_6h = d.hist_6h + EXCLUDED.hist_6h,
            hist_inf = d.hist_inf + EXCLUDED.hist_inf,
            (dur_buckets, dur_counts) =
                (SELECT array_agg(b ORDER BY b), array_agg(c ORDER BY b)
                 FROM (SELECT b, sum(c)::integer AS c
                       FROM unnest(coalesce(d.dur_buckets, '{}') || coalesce(EXCLUDED.dur_buckets, '{}'),
                                   coalesce(d.dur_counts, '{}') || coalesce(EXCLUDED.dur_counts, '{}')) AS u(b, c)
                       GROUP BY b) AS m),
            last_updated_at = greatest(d.last_updated_at, EXCLUDED.last_updated_at),
            sf_stale = d.sf_stale
                       OR (d.sf_first IS NOT NULL AND EXCLUDED.sf_first IS NOT NULL
                           AND NOT (EXCLUDED.sf_first_at > d.sf_last_at
                                    OR EXCLUDED.sf_last_at < d.sf_first_at));
        DELETE FROM chm_run_days_new;
    END IF;
    -- an unchanged replay dirties nothing: no statement below writes then
    IF NOT EXISTS (SELECT 1 FROM chm_run_days_dirty) THEN
        RETURN 0;
    END IF;
    DELETE FROM chm_run_days d USING chm_run_days_dirty x
    WHERE d.pipeline_id = x.pipeline_id AND d.day = x.day;
    INSERT INTO chm_run_days SELECT * FROM chm_run_days_of(NULL, NULL);
    DELETE FROM chm_run_days_dirty;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- Recounts Q7's columns of the stale days (sf_stale) from runs: chm-load
-- calls it when its load is done, in a transaction of its own. Returns the
-- days settled.
CREATE FUNCTION chm_run_days_settle() RETURNS bigint
LANGUAGE plpgsql SET search_path TO public, pg_temp
SET max_parallel_workers_per_gather TO 0 AS $$
DECLARE
    n bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM chm_run_days WHERE sf_stale) THEN
        RETURN 0;
    END IF;
    PERFORM chm_run_days_lock(ARRAY(SELECT DISTINCT pipeline_id FROM chm_run_days WHERE sf_stale));
    INSERT INTO chm_run_days_dirty (pipeline_id, day, outcomes_only)
    SELECT pipeline_id, day, true FROM chm_run_days WHERE sf_stale
    ON CONFLICT DO NOTHING;
    UPDATE chm_run_days d
    SET (sf_first, sf_first_at, sf_last, sf_last_at, sf_flips, sf_stale) =
        (o.sf_first, o.sf_first_at, o.sf_last, o.sf_last_at, o.sf_flips, false)
    -- (a subquery of its own: on Citus the function then runs on the
    -- coordinator, its query a distributed one, not nested in a shard's)
    FROM (SELECT * FROM chm_run_days_outcomes(NULL, NULL, true) OFFSET 0) AS o
    WHERE d.pipeline_id = o.pipeline_id AND d.day = o.day;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM chm_run_days_dirty;
    RETURN n;
END $$;

-- Q7's rows of the stale whole days in [first_day, end_day), their outcomes
-- from runs (a load in progress, or one that stopped before it settled).
CREATE FUNCTION chm_run_days_stale(first_day date, end_day date)
RETURNS TABLE (pipeline_id bigint, day date, success integer, failed integer,
               sf_first run_status, sf_last run_status, sf_flips integer)
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    s record;
BEGIN
    FOR s IN SELECT d.pipeline_id, d.day, d.success, d.failed FROM chm_run_days d
             WHERE d.sf_stale AND d.day >= first_day AND d.day < end_day LOOP
        RETURN QUERY
        SELECT s.pipeline_id, s.day, s.success, s.failed, o.sf_first, o.sf_last, o.sf_flips
        FROM chm_run_days_outcomes(chm_day_start(s.day), chm_day_start(s.day + 1), false,
                                   s.pipeline_id) AS o;
    END LOOP;
END $$;

-- Serialises the writers of these pipelines' runs until COMMIT, in one order
-- (so two loaders never wait on each other in a cycle): a recount reads runs
-- as committed when it starts, so another transaction's uncommitted runs of
-- the same day would be lost from the rollup its own recount then replaces.
CREATE FUNCTION chm_run_days_lock(pipeline_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1128811859, h) -- 'CHMS'
    FROM (SELECT DISTINCT hashint8(p) AS h FROM unnest(pipeline_ids) AS u(p) ORDER BY 1) AS s
$$;

-- Every rollup row again from runs (chm migrate builds them this way for a
-- history loaded before this migration, or by COPY).
CREATE FUNCTION chm_run_days_rebuild() RETURNS bigint
LANGUAGE plpgsql SET search_path TO public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM chm_run_days;
    INSERT INTO chm_run_days SELECT * FROM chm_run_days_of('-infinity', 'infinity');
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

SELECT chm_run_days_rebuild();
ANALYZE chm_run_days;
