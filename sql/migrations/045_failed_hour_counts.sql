-- Q1's hours as counts (issue 19). A rollup row kept the UTC hour of every
-- failed run of its day (040: failed_hours, sorted, one element a failure),
-- and Q1 unnested them all to count each hour again: at 10M runs in 90
-- days a week's window is 68,000 failures for 21,000 (pipeline, hour)
-- answers, and the unnest and its counting were two thirds of Q1. Now a
-- day keeps each hour with failures once (failed_hours, ascending) and how
-- many failed then (failed_counts, in step), as Q9's durations are kept
-- (dur_buckets, dur_counts): Q1 reads one element an answer.
--
-- What changes with the format: the one definition of a row
-- (chm_run_days_of), the merge of a loader's new days into stored ones
-- (chm_run_days_refresh: the hours add up as the duration buckets do, by
-- chm_counts_add, one function for both), the edges' counts
-- (chm_run_days_counts and chm_run_days_count_edges, whose rows gain a
-- column) and Q1; the loader's own sums (lib/engines/rundays.c) write the
-- same two arrays. The rows are then recounted from runs.

ALTER TABLE chm_run_days ADD COLUMN failed_counts integer[];
ALTER TABLE chm_run_days_new ADD COLUMN failed_counts integer[];
-- No statistics, as for the other arrays (043), but on a table Citus has
-- distributed already (`chm migrate --citus` before this migration): it
-- refuses SET STATISTICS there, and its shards keep the default.
DO $$
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
                   WHERE logicalrelid = 'chm_run_days'::regclass) THEN
            RETURN;
        END IF;
    END IF;
    ALTER TABLE chm_run_days ALTER COLUMN failed_counts SET STATISTICS 0;
END $$;

CREATE OR REPLACE FUNCTION chm_run_days_of(from_at timestamptz, to_at timestamptz)
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
    ), fh AS (
        SELECT pipeline_id, day, array_agg(hour ORDER BY hour) AS failed_hours,
               array_agg(n ORDER BY hour) AS failed_counts
        FROM (SELECT pipeline_id, day, extract(hour FROM started_at AT TIME ZONE 'UTC')::smallint AS hour,
                     count(*)::integer AS n
              FROM r
              WHERE status = 'failed'
              GROUP BY 1, 2, 3) AS h
        GROUP BY pipeline_id, day
    ), a AS (
        SELECT pipeline_id, day,
               count(*)::integer AS runs,
               count(*) FILTER (WHERE status = 'running')::integer AS running,
               count(*) FILTER (WHERE status = 'success')::integer AS success,
               count(*) FILTER (WHERE status = 'failed')::integer AS failed,
               count(*) FILTER (WHERE status = 'canceled')::integer AS canceled,
               count(*) FILTER (WHERE status = 'skipped')::integer AS skipped,
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
           fh.failed_hours, sfa.sf_first, sfa.sf_first_at, sfa.sf_last, sfa.sf_last_at,
           coalesce(sfa.sf_flips, 0),
           a.dur_runs, a.dur_sum, a.dur_min, a.dur_max,
           a.hist_10s, a.hist_1m, a.hist_5m, a.hist_15m, a.hist_1h, a.hist_6h, a.hist_inf,
           hba.dur_buckets, hba.dur_counts, a.last_updated_at, false, fh.failed_counts
    FROM a
    LEFT JOIN sfa ON sfa.pipeline_id = a.pipeline_id AND sfa.day = a.day
    LEFT JOIN hba ON hba.pipeline_id = a.pipeline_id AND hba.day = a.day
    LEFT JOIN fh ON fh.pipeline_id = a.pipeline_id AND fh.day = a.day
    $q$, chm_run_days_source(from_at)) USING from_at, to_at, false, NULL::bigint;
END $fn$;

-- The sum of two counted sets of keys, each as its keys ascending and their
-- counts in step (a day's failed hours, its duration buckets): each key once,
-- ascending, with its counts added; NULLs when both are empty. A set of one
-- row so that PostgreSQL inlines it into the caller's query.
CREATE FUNCTION chm_counts_add(a_keys smallint[], a_counts integer[],
                               b_keys smallint[], b_counts integer[])
RETURNS TABLE (keys smallint[], counts integer[])
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(k ORDER BY k), array_agg(c ORDER BY k)
    FROM (SELECT k, sum(c)::integer AS c
          FROM unnest(coalesce(a_keys, '{}') || coalesce(b_keys, '{}'),
                      coalesce(a_counts, '{}') || coalesce(b_counts, '{}')) AS u(k, c)
          GROUP BY k) AS m
$$;

CREATE OR REPLACE FUNCTION chm_run_days_refresh(new_days boolean DEFAULT true) RETURNS bigint
LANGUAGE plpgsql SET search_path TO public, pg_temp
-- a batch's days: starting parallel workers costs more than they save
SET max_parallel_workers_per_gather TO 0 AS $$
DECLARE
    n bigint;
BEGIN
    IF new_days THEN
        -- (a day recounted whole anyway is left to the recount)
        INSERT INTO chm_run_days AS d
            (pipeline_id, day, runs, running, success, failed, canceled, skipped, failed_hours,
             sf_first, sf_first_at, sf_last, sf_last_at, sf_flips, dur_runs, dur_sum, dur_min,
             dur_max, hist_10s, hist_1m, hist_5m, hist_15m, hist_1h, hist_6h, hist_inf,
             dur_buckets, dur_counts, failed_counts, last_updated_at, sf_stale)
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
            (failed_hours, failed_counts) =
                (SELECT * FROM chm_counts_add(d.failed_hours, d.failed_counts,
                                              EXCLUDED.failed_hours, EXCLUDED.failed_counts)),
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
                (SELECT * FROM chm_counts_add(d.dur_buckets, d.dur_counts,
                                              EXCLUDED.dur_buckets, EXCLUDED.dur_counts)),
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

-- The edges' rows gain failed_counts: dropped and made again (a function's
-- result type cannot change in place), the callers' queries unchanged.
DROP FUNCTION chm_run_days_count_edges(timestamptz, timestamptz, boolean);
DROP FUNCTION chm_run_days_counts(timestamptz, timestamptz, boolean);

-- The partial days at a window's edges, for the questions that read only
-- counts of them (Q1, Q3, Q5, Q8): runs_started_idx holds pipeline_id and
-- status, so the counts come from the index alone, not from a whole rollup
-- row computed from runs (chm_run_days_of: Q7's outcomes, Q9's histograms),
-- about five times the work. failed_only: the failed runs and their hours
-- (Q1, Q3), runs, success and canceled NULL; else the counts (Q5, Q8), the
-- hours NULL.
CREATE FUNCTION chm_run_days_counts(from_at timestamptz, to_at timestamptz, failed_only boolean)
RETURNS TABLE (pipeline_id bigint, day date, runs integer, success integer, failed integer,
               canceled integer, failed_hours smallint[], failed_counts integer[])
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp SET jit TO off AS $$
#variable_conflict use_column
BEGIN
    IF failed_only THEN
        RETURN QUERY
        SELECT h.pipeline_id, h.day, NULL::integer, NULL::integer, sum(h.n)::integer,
               NULL::integer, array_agg(h.hour ORDER BY h.hour), array_agg(h.n ORDER BY h.hour)
        FROM (SELECT r.pipeline_id, chm_utc_day(r.started_at) AS day,
                     extract(hour FROM r.started_at AT TIME ZONE 'UTC')::smallint AS hour,
                     count(*)::integer AS n
              FROM runs r
              WHERE r.status = 'failed' AND r.started_at >= from_at AND r.started_at < to_at
              GROUP BY 1, 2, 3) AS h
        GROUP BY 1, 2;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT r.pipeline_id, chm_utc_day(r.started_at),
           count(*)::integer,
           count(*) FILTER (WHERE r.status = 'success')::integer,
           count(*) FILTER (WHERE r.status = 'failed')::integer,
           count(*) FILTER (WHERE r.status = 'canceled')::integer,
           NULL::smallint[], NULL::integer[]
    FROM runs r
    WHERE r.started_at >= from_at AND r.started_at < to_at
    GROUP BY 1, 2;
END $$;

-- chm_run_days_edges (041) in those counts.
CREATE FUNCTION chm_run_days_count_edges(window_start timestamptz, window_end timestamptz,
                                         failed_only boolean)
RETURNS TABLE (pipeline_id bigint, day date, runs integer, success integer, failed integer,
               canceled integer, failed_hours smallint[], failed_counts integer[])
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT x.*
    FROM chm_run_days_edge_ranges(window_start, window_end) AS e,
         chm_run_days_counts(e.from_at, e.to_at, failed_only) AS x;
END $$;

-- A (pipeline, day) is one row of d (the edges are other days), and a
-- pipeline one (client, name, platform), so no group is needed; the names
-- join the days, not their hours, and only the counted hours get a time.
CREATE OR REPLACE FUNCTION chm_q1_failed_runs_hourly(window_start timestamptz DEFAULT chm_since('7 days'),
                                                     window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (bucket timestamptz, client text, pipeline text, platform platform, failed_runs bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w record;
BEGIN
    SELECT * INTO window_start, window_end FROM chm_window_snap(window_start, window_end);
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, day, failed_hours, failed_counts FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day AND failed > 0
        UNION ALL
        SELECT pipeline_id, day, failed_hours, failed_counts
        FROM chm_run_days_count_edges(window_start, window_end, true)
    ), e AS (
        SELECT d.day, c.name AS client, p.name AS pipeline, p.platform,
               unnest(d.failed_hours) AS hour, unnest(d.failed_counts) AS n
        FROM d
        JOIN pipelines p ON p.id = d.pipeline_id
        JOIN clients c ON c.id = p.client_id
    )
    SELECT chm_day_start(e.day) + e.hour * interval '1 hour', e.client, e.pipeline, e.platform,
           e.n::bigint
    FROM e;
END $$;

SELECT chm_run_days_rebuild();
ANALYZE chm_run_days;
