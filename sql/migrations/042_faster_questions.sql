-- Issue 19, row 7: the questions at 10M runs in 90 days. Same names,
-- arguments, columns, rows and values as before (t0601, t0607 and t0610
-- compare them; Q9's sum_seconds over partial days adds the same doubles in
-- another order); only how they read changes.
--
-- * chm_pipeline_runs (022) read a pipeline's runs from its latest down to
--   `before`: its generic plan had only pipeline_id as the index condition
--   (started_at < before sat in an OR with the unstarted runs), so a probe
--   24 hours back (Q4's previous run) walked a day of runs through the heap.
--   The started runs and the unstarted ones are now two statements, and the
--   first starts its index range at `before`.
-- * Q2 and Q4 make their probes in one function call for all pipelines
--   (chm_pipeline_latest, chm_pipeline_changes), not two calls a pipeline,
--   and Q2 probes the latest success only when the latest run is not one.
-- * Q10's silent pipelines: a pipeline with a run started in the last 1.5
--   hours is within 1.5 times any usual interval (at least an hour), so only
--   the others are probed, and their last 31 starts are read from the index
--   alone (chm_pipeline_starts), not 31 runs from the heap.
-- * Q1 counts a day's failures by hour in the day's sorted hours, without
--   grouping every failure.
-- * Q7 reads its days in (pipeline, day) order from an index that holds its
--   columns, so the window over each pipeline's days needs no sort, when the
--   window has no partial day and no day waits for chm_run_days_settle().
-- * Q9 finds each percentile's bucket with one aggregate over the running
--   sums, not by range joins of the ranks with the buckets.
-- * Q5 groups its days by client id before it names the clients.
-- * The partial days at a window's edges: Q1, Q3, Q5 and Q8 count them
--   from runs_started_idx alone (chm_run_days_count_edges), Q9 reads their
--   durations there (chm_run_days_durations), Q7 their counts and outcomes,
--   none a whole rollup row computed from runs (chm_run_days_edges).

CREATE OR REPLACE FUNCTION chm_pipeline_runs(pid bigint, before timestamptz,
                                             statuses run_status[] DEFAULT NULL, n integer DEFAULT 1,
                                             unstarted boolean DEFAULT false,
                                             not_status run_status DEFAULT NULL)
RETURNS TABLE (id bigint, external_run_id text, status run_status, started_at timestamptz,
               finished_at timestamptz, duration_seconds double precision, error_message text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET plan_cache_mode = force_generic_plan
SET search_path TO public, pg_temp AS $$
DECLARE
    got bigint;
BEGIN
    -- FR-006 order puts the unstarted runs last: they come only after all
    -- the started ones, when fewer than n started before `before`
    RETURN QUERY
    SELECT r.id, r.external_run_id, r.status, r.started_at, r.finished_at, r.duration_seconds,
           r.error_message
    FROM runs r
    WHERE r.pipeline_id = pid
      AND r.started_at < before
      AND (statuses IS NULL OR r.status = ANY (statuses))
      AND (not_status IS NULL OR r.status <> not_status)
    ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT n;
    IF unstarted THEN
        GET DIAGNOSTICS got = ROW_COUNT;
        IF got < n THEN
            RETURN QUERY
            SELECT r.id, r.external_run_id, r.status, r.started_at, r.finished_at,
                   r.duration_seconds, r.error_message
            FROM runs r
            WHERE r.pipeline_id = pid
              AND r.started_at IS NULL
              AND (statuses IS NULL OR r.status = ANY (statuses))
              AND (not_status IS NULL OR r.status <> not_status)
            ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
            LIMIT n - got;
        END IF;
    END IF;
END $$;

-- The starts of a pipeline's latest n runs started before `before`, latest
-- first: Q10's usual interval, read from runs_pipeline_latest_idx alone. As
-- chm_pipeline_runs, a router query on Citus, and only for the roles that
-- may call chm_pipeline_runs (below).
CREATE FUNCTION chm_pipeline_starts(pid bigint, before timestamptz, n integer)
RETURNS TABLE (started_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET plan_cache_mode = force_generic_plan
SET search_path TO public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT r.started_at
    FROM runs r
    WHERE r.pipeline_id = pid AND r.started_at < before
    ORDER BY r.started_at DESC NULLS LAST
    LIMIT n;
END $$;

REVOKE EXECUTE ON FUNCTION chm_pipeline_starts FROM PUBLIC;

-- Q2's and Q4's probes, every active pipeline's in one call: a call of
-- chm_pipeline_runs costs about as much as its probe (a SECURITY DEFINER
-- function's settings, its result set), and these two questions made two a
-- pipeline. Each statement in the loop is still one probe of
-- runs_pipeline_latest_idx, a router query on Citus (pipelines is a
-- reference table, so the loop itself runs on the coordinator).
--
-- Q2: each active pipeline's latest run (FR-006 order, an unstarted run only
-- when none started before `at`) and when its latest success ended; a
-- started latest run that succeeded is that success, so only the others
-- probe for it.
CREATE FUNCTION chm_pipeline_latest(at timestamptz)
RETURNS TABLE (pipeline_id bigint, id bigint, external_run_id text, status run_status,
               started_at timestamptz, finished_at timestamptz, duration_seconds double precision,
               error_message text, last_success_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET plan_cache_mode = force_generic_plan
SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    pid bigint;
    l record;
    started boolean;
BEGIN
    FOR pid IN SELECT p.id FROM pipelines p JOIN clients k ON k.id = p.client_id
               WHERE p.is_active AND k.is_active LOOP
        SELECT r.id, r.external_run_id, r.status, r.started_at, r.finished_at, r.duration_seconds,
               r.error_message INTO l
        FROM runs r
        WHERE r.pipeline_id = pid AND r.started_at < at
        ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
        LIMIT 1;
        started := FOUND;
        IF NOT started THEN
            SELECT r.id, r.external_run_id, r.status, r.started_at, r.finished_at,
                   r.duration_seconds, r.error_message INTO l
            FROM runs r
            WHERE r.pipeline_id = pid AND r.started_at IS NULL
            ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
            LIMIT 1;
        END IF;
        pipeline_id := pid;
        id := l.id;
        external_run_id := l.external_run_id;
        status := l.status;
        started_at := l.started_at;
        finished_at := l.finished_at;
        duration_seconds := l.duration_seconds;
        error_message := l.error_message;
        IF started AND l.status = 'success' THEN
            last_success_at := coalesce(l.finished_at, l.started_at);
        ELSE
            SELECT coalesce(r.finished_at, r.started_at) INTO last_success_at
            FROM runs r
            WHERE r.pipeline_id = pid AND r.started_at < at AND r.status = 'success'
            ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
            LIMIT 1;
        END IF;
        RETURN NEXT;
    END LOOP;
END $$;

-- Q4: the active pipelines whose latest run that is not running (started
-- before `at`) failed where the one before `at` - 24 hours did not, or
-- succeeded where that one failed: both runs. Two statements, not one join
-- of the two probes: Citus routes a generic plan's parameters only in a
-- query of one table.
CREATE FUNCTION chm_pipeline_changes(at timestamptz)
RETURNS TABLE (pipeline_id bigint, status run_status, started_at timestamptz, error_message text,
               previous_status run_status, previous_started_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET plan_cache_mode = force_generic_plan
SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    pid bigint;
    yesterday timestamptz := at - interval '24 hours';
    cur record;
    prev record;
BEGIN
    FOR pid IN SELECT p.id FROM pipelines p JOIN clients k ON k.id = p.client_id
               WHERE p.is_active AND k.is_active LOOP
        SELECT r.status, r.started_at, r.error_message INTO cur
        FROM runs r
        WHERE r.pipeline_id = pid AND r.started_at < at AND r.status <> 'running'
        ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
        LIMIT 1;
        -- (no change to tell without a failure or a success now)
        CONTINUE WHEN cur.status IS NULL OR cur.status NOT IN ('failed', 'success');
        SELECT r.status, r.started_at INTO prev
        FROM runs r
        WHERE r.pipeline_id = pid AND r.started_at < yesterday AND r.status <> 'running'
        ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
        LIMIT 1;
        IF (cur.status = 'failed' AND prev.status IS DISTINCT FROM 'failed')
           OR (cur.status = 'success' AND prev.status = 'failed') THEN
            pipeline_id := pid;
            status := cur.status;
            started_at := cur.started_at;
            error_message := cur.error_message;
            previous_status := prev.status;
            previous_started_at := prev.started_at;
            RETURN NEXT;
        END IF;
    END LOOP;
END $$;

REVOKE EXECUTE ON FUNCTION chm_pipeline_latest, chm_pipeline_changes FROM PUBLIC;

-- Whoever may run Q2, Q4 and Q10 today (EXECUTE on chm_pipeline_runs: the
-- dashboards' role of README) may still run them.
DO $$
DECLARE
    g regrole;
BEGIN
    FOR g IN
        SELECT DISTINCT a.grantee::regrole
        FROM pg_proc p, aclexplode(p.proacl) AS a
        WHERE p.oid = 'chm_pipeline_runs(bigint, timestamptz, run_status[], integer, boolean, run_status)'::regprocedure
          AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION chm_pipeline_starts(bigint, timestamptz, integer),
                        chm_pipeline_latest(timestamptz), chm_pipeline_changes(timestamptz) TO %s', g);
    END LOOP;
END $$;

CREATE OR REPLACE VIEW chm_q2_latest_run_per_pipeline AS
SELECT c.name AS client,
       p.name AS pipeline,
       p.platform,
       p.environment,
       l.status,
       l.external_run_id AS run_id,
       l.started_at,
       l.finished_at,
       l.duration_seconds,
       l.error_message,
       l.last_success_at,
       chm_seconds(l.last_success_at, chm_now()) AS seconds_since_success
FROM chm_pipeline_latest(chm_now()) l
JOIN pipelines p ON p.id = l.pipeline_id
JOIN clients c ON c.id = p.client_id;

CREATE OR REPLACE VIEW chm_q4_changes_since_yesterday AS
SELECT CASE WHEN x.status = 'failed' THEN 'new_failure' ELSE 'recovery' END AS change,
       c.name AS client,
       p.name AS pipeline,
       p.platform,
       x.previous_status,
       x.previous_started_at,
       x.status AS current_status,
       x.started_at AS current_started_at,
       x.error_message
FROM chm_pipeline_changes(chm_now()) x
JOIN pipelines p ON p.id = x.pipeline_id
JOIN clients c ON c.id = p.client_id;

CREATE OR REPLACE VIEW chm_q10_governance AS
SELECT 'silent'::text AS finding,
       c.name AS client,
       p.name AS pipeline,
       p.platform,
       h.last_run_at,
       NULL::bigint AS runs_in_window,
       h.usual AS usual_interval_seconds,
       chm_seconds(h.last_run_at, chm_now()) AS silent_seconds,
       chm_seconds(h.last_run_at, chm_now()) - h.usual AS late_seconds
FROM pipelines p
JOIN clients c ON c.id = p.client_id
CROSS JOIN LATERAL (
    SELECT max(x.started_at) AS last_run_at,
           greatest(coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.gap), 86400), 3600)
               AS usual
    FROM (
        SELECT y.started_at,
               chm_seconds(y.started_at, lag(y.started_at) OVER (ORDER BY y.started_at DESC)) AS gap
        FROM chm_pipeline_starts(p.id, chm_now(), 31) y) x) h
WHERE p.is_active AND c.is_active
  -- silent means more than 1.5 usual intervals, and one is at least an hour
  AND p.id NOT IN (SELECT r.pipeline_id FROM runs r
                   WHERE r.started_at >= chm_now() - interval '5400 seconds'
                     AND r.started_at < chm_now())
  AND h.last_run_at IS NOT NULL
  AND chm_seconds(h.last_run_at, chm_now()) > 1.5 * h.usual
UNION ALL
SELECT 'disabled_runs',
       c.name,
       p.name,
       p.platform,
       max(r.started_at),
       count(*),
       NULL, NULL, NULL
FROM runs r
JOIN pipelines p ON p.id = r.pipeline_id
JOIN clients c ON c.id = p.client_id
WHERE NOT (p.is_active AND c.is_active)
  AND r.started_at >= chm_since('7 days')
  AND r.started_at < chm_until()
GROUP BY c.name, p.name, p.platform
UNION ALL
SELECT 'no_alert_rule',
       c.name,
       p.name,
       p.platform,
       NULL, NULL, NULL, NULL, NULL
FROM pipelines p
JOIN clients c ON c.id = p.client_id
WHERE p.is_active AND c.is_active
  -- two anti-joins by hash, not one nested loop over an OR
  AND NOT EXISTS (SELECT 1 FROM alert_rules a WHERE a.is_enabled AND a.pipeline_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM alert_rules a
                  WHERE a.is_enabled AND a.pipeline_id IS NULL AND a.client_id = p.client_id);

-- The partial days at a window's edges, for the questions that read only
-- counts of them (Q1, Q3, Q5, Q8): runs_started_idx holds pipeline_id and
-- status, so the counts come from the index alone, not from a whole rollup
-- row computed from runs (chm_run_days_of: Q7's outcomes, Q9's histograms),
-- about five times the work. failed_only: the failed runs and their hours
-- (Q1, Q3), runs, success and canceled NULL; else the counts (Q5, Q8),
-- failed_hours NULL (sorting every failure's hour costs more than the rest).
CREATE FUNCTION chm_run_days_counts(from_at timestamptz, to_at timestamptz, failed_only boolean)
RETURNS TABLE (pipeline_id bigint, day date, runs integer, success integer, failed integer,
               canceled integer, failed_hours smallint[])
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp SET jit TO off AS $$
#variable_conflict use_column
BEGIN
    IF failed_only THEN
        RETURN QUERY
        SELECT r.pipeline_id, chm_utc_day(r.started_at), NULL::integer, NULL::integer,
               count(*)::integer, NULL::integer,
               array_agg(extract(hour FROM r.started_at AT TIME ZONE 'UTC')::smallint
                         ORDER BY r.started_at)
        FROM runs r
        WHERE r.status = 'failed' AND r.started_at >= from_at AND r.started_at < to_at
        GROUP BY 1, 2;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT r.pipeline_id, chm_utc_day(r.started_at),
           count(*)::integer,
           count(*) FILTER (WHERE r.status = 'success')::integer,
           count(*) FILTER (WHERE r.status = 'failed')::integer,
           count(*) FILTER (WHERE r.status = 'canceled')::integer,
           NULL::smallint[]
    FROM runs r
    WHERE r.started_at >= from_at AND r.started_at < to_at
    GROUP BY 1, 2;
END $$;

-- The partial days of [window_start, window_end) as the ranges of runs that
-- chm_run_days_edges (041) computes rollup rows of: none, one or two.
CREATE FUNCTION chm_run_days_edge_ranges(window_start timestamptz, window_end timestamptz)
RETURNS TABLE (from_at timestamptz, to_at timestamptz)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT window_start, window_end
    FROM chm_whole_days(window_start, window_end) w
    WHERE w.first_day >= w.end_day AND window_start < window_end
    UNION ALL
    SELECT window_start, chm_day_start(w.first_day)
    FROM chm_whole_days(window_start, window_end) w
    WHERE w.first_day < w.end_day AND window_start < chm_day_start(w.first_day)
    UNION ALL
    SELECT chm_day_start(w.end_day), window_end
    FROM chm_whole_days(window_start, window_end) w
    WHERE w.first_day < w.end_day AND chm_day_start(w.end_day) < window_end
$$;

-- chm_run_days_edges (041) in those counts.
CREATE FUNCTION chm_run_days_count_edges(window_start timestamptz, window_end timestamptz,
                                         failed_only boolean)
RETURNS TABLE (pipeline_id bigint, day date, runs integer, success integer, failed integer,
               canceled integer, failed_hours smallint[])
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT x.*
    FROM chm_run_days_edge_ranges(window_start, window_end) AS e,
         chm_run_days_counts(e.from_at, e.to_at, failed_only) AS x;
END $$;

-- Q9's columns of the rollup rows of runs started in [from_at, to_at), as
-- chm_run_days_of computes them, from runs_started_idx alone (it holds the
-- durations): Q9's partial days.
CREATE FUNCTION chm_run_days_durations(from_at timestamptz, to_at timestamptz)
RETURNS TABLE (pipeline_id bigint, day date, dur_runs integer, dur_sum double precision,
               dur_min double precision, dur_max double precision, hist_10s integer,
               hist_1m integer, hist_5m integer, hist_15m integer, hist_1h integer,
               hist_6h integer, hist_inf integer, dur_buckets smallint[], dur_counts integer[])
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp SET jit TO off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH r AS (
        SELECT r.pipeline_id, chm_utc_day(r.started_at) AS day, r.duration_seconds AS s
        FROM runs r
        WHERE r.started_at >= from_at AND r.started_at < to_at AND r.duration_seconds IS NOT NULL
    ), hb AS (
        SELECT r.pipeline_id, r.day, chm_duration_bucket(r.s) AS bucket, count(*)::integer AS n
        FROM r
        GROUP BY 1, 2, 3
    ), hba AS (
        SELECT hb.pipeline_id, hb.day, array_agg(hb.bucket ORDER BY hb.bucket) AS buckets,
               array_agg(hb.n ORDER BY hb.bucket) AS counts
        FROM hb
        GROUP BY 1, 2
    ), a AS (
        SELECT r.pipeline_id, r.day, count(*)::integer AS n, sum(r.s) AS total,
               min(r.s) AS lo, max(r.s) AS hi,
               count(*) FILTER (WHERE r.s <= 10)::integer AS h1,
               count(*) FILTER (WHERE r.s > 10 AND r.s <= 60)::integer AS h2,
               count(*) FILTER (WHERE r.s > 60 AND r.s <= 300)::integer AS h3,
               count(*) FILTER (WHERE r.s > 300 AND r.s <= 900)::integer AS h4,
               count(*) FILTER (WHERE r.s > 900 AND r.s <= 3600)::integer AS h5,
               count(*) FILTER (WHERE r.s > 3600 AND r.s <= 21600)::integer AS h6,
               count(*) FILTER (WHERE r.s > 21600)::integer AS h7
        FROM r
        GROUP BY 1, 2
    )
    SELECT a.pipeline_id, a.day, a.n, a.total, a.lo, a.hi, a.h1, a.h2, a.h3, a.h4, a.h5, a.h6,
           a.h7, hba.buckets, hba.counts
    FROM a
    JOIN hba ON hba.pipeline_id = a.pipeline_id AND hba.day = a.day;
END $$;

-- A window widened to the midnights around it where the widening holds no
-- run: the same runs, so the same answer, but whole days that the questions
-- read from the rollups rather than from runs. A dashboard's window ends at
-- now, and the rest of today has no run yet: only its start is a partial
-- day then. Two probes of runs_started_idx. PL/pgSQL: on Citus a SQL
-- function may not read a distributed table.
CREATE FUNCTION chm_window_snap(from_at timestamptz, to_at timestamptz,
                                OUT snap_from timestamptz, OUT snap_to timestamptz)
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
DECLARE
    first_midnight timestamptz;
    last_midnight timestamptz;
BEGIN
    snap_from := from_at;
    snap_to := to_at;
    IF NOT (from_at < to_at AND isfinite(from_at) AND isfinite(to_at)) THEN
        RETURN;
    END IF;
    first_midnight := chm_day_start(chm_utc_day(from_at));
    last_midnight := chm_day_start(chm_utc_day(to_at) + 1);
    IF chm_day_start(chm_utc_day(to_at)) <> to_at
       AND NOT EXISTS (SELECT 1 FROM runs WHERE started_at >= to_at AND started_at < last_midnight) THEN
        snap_to := last_midnight;
    END IF;
    IF first_midnight <> from_at
       AND NOT EXISTS (SELECT 1 FROM runs WHERE started_at >= first_midnight AND started_at < from_at) THEN
        snap_from := first_midnight;
    END IF;
END $$;

-- A day's failed_hours are sorted (040): an hour's count there is where it
-- ends less where the hour before ends (width_bucket, a binary search), read
-- at the hour's last element, so each (pipeline, day, hour) comes out once.
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
        SELECT pipeline_id, day, failed_hours FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day AND failed > 0
        UNION ALL
        SELECT pipeline_id, day, failed_hours FROM chm_run_days_count_edges(window_start, window_end, true)
    ), e AS (
        SELECT d.day, c.name AS client, p.name AS pipeline, p.platform,
               d.failed_hours AS hours,
               unnest(d.failed_hours) AS hour, unnest(d.failed_hours[2:]) AS next
        FROM d
        JOIN pipelines p ON p.id = d.pipeline_id
        JOIN clients c ON c.id = p.client_id
    )
    SELECT chm_day_start(e.day) + e.hour * interval '1 hour',
           e.client,
           e.pipeline,
           e.platform,
           (width_bucket(e.hour, e.hours) - width_bucket((e.hour - 1)::smallint, e.hours))::bigint
    FROM e
    WHERE e.next IS DISTINCT FROM e.hour;
END $$;

-- Q5 groups by client id, and names the 600 groups, not the 30,000 days.
CREATE OR REPLACE FUNCTION chm_q5_daily_success_rate(window_start timestamptz DEFAULT chm_since('30 days'),
                                                     window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (day timestamptz, client text, runs bigint, succeeded bigint, failed bigint,
               success_rate double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w record;
BEGIN
    SELECT * INTO window_start, window_end FROM chm_window_snap(window_start, window_end);
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, day, success, failed, canceled FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day
        UNION ALL
        SELECT pipeline_id, day, success, failed, canceled
        FROM chm_run_days_count_edges(window_start, window_end, false)
    ), a AS (
        SELECT d.day, p.client_id,
               sum(d.success + d.failed + d.canceled)::bigint AS runs,
               sum(d.success)::bigint AS succeeded,
               sum(d.failed)::bigint AS failed
        FROM d
        JOIN pipelines p ON p.id = d.pipeline_id
        WHERE d.success + d.failed + d.canceled > 0
        GROUP BY d.day, p.client_id
    )
    SELECT chm_day_start(a.day), c.name, a.runs, a.succeeded, a.failed, chm_ratio(a.succeeded, a.runs)
    FROM a
    JOIN clients c ON c.id = a.client_id;
END $$;

CREATE OR REPLACE FUNCTION chm_q8_failure_rate_per_platform(window_start timestamptz DEFAULT chm_since('30 days'),
                                                            window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (platform platform, runs bigint, failed bigint, failure_rate double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w record;
BEGIN
    SELECT * INTO window_start, window_end FROM chm_window_snap(window_start, window_end);
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, runs, failed FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day
        UNION ALL
        SELECT pipeline_id, runs, failed FROM chm_run_days_count_edges(window_start, window_end, false)
    )
    SELECT p.platform,
           sum(d.runs)::bigint,
           sum(d.failed)::bigint,
           chm_ratio(sum(d.failed)::bigint, sum(d.runs)::bigint)
    FROM d
    JOIN pipelines p ON p.id = d.pipeline_id
    GROUP BY p.platform;
END $$;

-- Q3 (041) with its edges counted as above.
CREATE OR REPLACE FUNCTION chm_q3_failures_per_client(at timestamptz DEFAULT chm_now())
RETURNS TABLE (client text, failed_24h bigint, failed_7d bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w7 record;
    w1 record;
    s7 timestamptz;
    e7 timestamptz;
    s1 timestamptz;
    e1 timestamptz;
BEGIN
    SELECT * INTO s7, e7 FROM chm_window_snap(at - interval '7 days', at);
    SELECT * INTO s1, e1 FROM chm_window_snap(at - interval '24 hours', at);
    SELECT * INTO w7 FROM chm_whole_days(s7, e7);
    SELECT * INTO w1 FROM chm_whole_days(s1, e1);
    RETURN QUERY
    WITH d7 AS (
        SELECT pipeline_id, failed FROM chm_run_days
        WHERE day >= w7.first_day AND day < w7.end_day AND failed > 0
        UNION ALL
        SELECT pipeline_id, failed FROM chm_run_days_count_edges(s7, e7, true)
        WHERE failed > 0
    ), d1 AS (
        SELECT pipeline_id, failed FROM chm_run_days
        WHERE day >= w1.first_day AND day < w1.end_day AND failed > 0
        UNION ALL
        SELECT pipeline_id, failed FROM chm_run_days_count_edges(s1, e1, true)
        WHERE failed > 0
    ), f AS (
        SELECT p.client_id, sum(d.failed) FILTER (WHERE d.w = 1)::bigint AS f1,
               sum(d.failed) FILTER (WHERE d.w = 7)::bigint AS f7
        FROM (SELECT pipeline_id, failed, 7 AS w FROM d7
              UNION ALL
              SELECT pipeline_id, failed, 1 AS w FROM d1) AS d
        JOIN pipelines p ON p.id = d.pipeline_id
        GROUP BY p.client_id
    )
    SELECT c.name, coalesce(f.f1, 0), coalesce(f.f7, 0)
    FROM clients c
    LEFT JOIN f ON f.client_id = c.id
    WHERE c.is_active;
END $$;

-- Q7's columns in (pipeline, day) order: read for the window's days of each
-- pipeline (pipeline_id = ANY: one range a pipeline, in order), so the lag
-- over a pipeline's days needs no sort of all of them. The primary key
-- carries them (INCLUDE), not an index of its own on the same key: every
-- index is one more write for each day row chm-load stores.
ALTER TABLE chm_run_days
    DROP CONSTRAINT chm_run_days_pkey,
    ADD CONSTRAINT chm_run_days_pkey PRIMARY KEY (pipeline_id, day)
        INCLUDE (success, failed, sf_first, sf_last, sf_flips, sf_stale);

-- Flips: each day's own, plus one wherever a day's first outcome differs from
-- the last of the pipeline's previous day with an outcome in the window. A
-- day whose outcomes wait for chm_run_days_settle() gives them from runs.
-- A window of whole days without such a day (the usual case) reads the
-- rollups alone, in (pipeline, day) order from the primary key, so the lag
-- needs no sort; the others read the rollups, the stale days and the edges
-- (`fast`: a one-time filter, the other branch is never run).
CREATE OR REPLACE FUNCTION chm_q7_flaky_pipelines(window_start timestamptz DEFAULT chm_since('30 days'),
                                                  window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (rank bigint, client text, pipeline text, platform platform, runs bigint,
               failures bigint, flips bigint, failure_rate double precision,
               flip_rate double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w record;
    fast boolean;
BEGIN
    SELECT * INTO window_start, window_end FROM chm_window_snap(window_start, window_end);
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    fast := w.first_day < w.end_day
            AND chm_day_start(w.first_day) = window_start AND chm_day_start(w.end_day) = window_end
            AND NOT EXISTS (SELECT 1 FROM chm_run_days x
                            WHERE x.sf_stale AND x.day >= w.first_day AND x.day < w.end_day);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, day, success, failed, sf_first, sf_last, sf_flips FROM chm_run_days
        WHERE NOT fast AND day >= w.first_day AND day < w.end_day AND success + failed > 0
          AND NOT sf_stale
        UNION ALL
        SELECT pipeline_id, day, success, failed, sf_first, sf_last, sf_flips
        FROM chm_run_days_stale(w.first_day, w.end_day)
        WHERE NOT fast
        UNION ALL
        -- the partial days: their counts and outcomes, not whole rollup rows
        SELECT x.pipeline_id, x.day, x.success, x.failed, o.sf_first, o.sf_last, o.sf_flips
        FROM chm_run_days_edge_ranges(window_start, window_end) AS e
        CROSS JOIN LATERAL chm_run_days_counts(e.from_at, e.to_at, false) AS x
        JOIN LATERAL chm_run_days_outcomes(e.from_at, e.to_at) AS o
          ON o.pipeline_id = x.pipeline_id AND o.day = x.day
        WHERE NOT fast AND x.success + x.failed > 0
    ), s AS (
        SELECT pipeline_id, success, failed, sf_flips, sf_first,
               lag(sf_last) OVER (PARTITION BY pipeline_id ORDER BY day) AS prev_last
        FROM chm_run_days
        WHERE fast AND pipeline_id = ANY (ARRAY(SELECT x.id FROM pipelines x ORDER BY x.id))
          AND day >= w.first_day AND day < w.end_day AND success + failed > 0
        UNION ALL
        SELECT pipeline_id, success, failed, sf_flips, sf_first,
               lag(sf_last) OVER (PARTITION BY pipeline_id ORDER BY day) AS prev_last
        FROM d
    ), a AS (
        SELECT pipeline_id,
               sum(success + failed)::bigint AS runs,
               sum(failed)::bigint AS failures,
               (sum(sf_flips) + count(*) FILTER (WHERE prev_last <> sf_first))::bigint AS flips
        FROM s
        GROUP BY pipeline_id
    )
    SELECT row_number() OVER (ORDER BY a.flips DESC, a.failures DESC,
                                       chm_ratio(a.failures, a.runs) DESC, c.name, p.name),
           c.name,
           p.name,
           p.platform,
           a.runs,
           a.failures,
           a.flips,
           chm_ratio(a.failures, a.runs),
           chm_ratio(a.flips, a.runs - 1)
    FROM a
    JOIN pipelines p ON p.id = a.pipeline_id
    JOIN clients c ON c.id = p.client_id
    WHERE a.flips > 0;
END $$;

-- Percentile p of `runs` durations (percentile_cont: the values at ranks
-- floor(p * (runs - 1)) and the next, interpolated) whose two ranks fall in
-- histogram buckets lo and hi, each read as its bucket's value, then kept
-- within the exact min and max.
CREATE FUNCTION chm_duration_percentile(p double precision, runs bigint,
                                        min_seconds double precision, max_seconds double precision,
                                        lo smallint, hi smallint)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT greatest(min_seconds, least(max_seconds,
               (1 - (p * (runs - 1) - floor(p * (runs - 1)))) * chm_duration_bucket_value(lo)
               + (p * (runs - 1) - floor(p * (runs - 1))) * chm_duration_bucket_value(hi)))
$$;

-- A rank's bucket is the first whose running sum of counts exceeds it: six
-- min() FILTERs in one aggregate over each pipeline's buckets.
CREATE OR REPLACE FUNCTION chm_q9_duration_distribution(window_start timestamptz DEFAULT chm_since('30 days'),
                                                        window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (client text, pipeline text, platform platform, runs bigint,
               p50_seconds double precision, p90_seconds double precision,
               p99_seconds double precision, min_seconds double precision,
               max_seconds double precision, hist_10s bigint, hist_1m bigint, hist_5m bigint,
               hist_15m bigint, hist_1h bigint, hist_6h bigint, hist_inf bigint,
               sum_seconds double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w record;
BEGIN
    SELECT * INTO window_start, window_end FROM chm_window_snap(window_start, window_end);
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, dur_runs, dur_sum, dur_min, dur_max, hist_10s, hist_1m, hist_5m,
               hist_15m, hist_1h, hist_6h, hist_inf, dur_buckets, dur_counts
        FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day AND dur_runs > 0
        UNION ALL
        SELECT x.pipeline_id, x.dur_runs, x.dur_sum, x.dur_min, x.dur_max, x.hist_10s, x.hist_1m,
               x.hist_5m, x.hist_15m, x.hist_1h, x.hist_6h, x.hist_inf, x.dur_buckets, x.dur_counts
        FROM chm_run_days_edge_ranges(window_start, window_end) AS e,
             chm_run_days_durations(e.from_at, e.to_at) AS x
    ), a AS (
        SELECT pipeline_id,
               sum(dur_runs)::bigint AS runs,
               min(dur_min) AS min_seconds,
               max(dur_max) AS max_seconds,
               sum(hist_10s)::bigint AS hist_10s, sum(hist_1m)::bigint AS hist_1m,
               sum(hist_5m)::bigint AS hist_5m, sum(hist_15m)::bigint AS hist_15m,
               sum(hist_1h)::bigint AS hist_1h, sum(hist_6h)::bigint AS hist_6h,
               sum(hist_inf)::bigint AS hist_inf,
               sum(dur_sum) AS sum_seconds
        FROM d
        GROUP BY pipeline_id
    ), k AS (
        SELECT a.*,
               floor(0.5::double precision * (a.runs - 1))::bigint AS lo1,
               floor(0.9::double precision * (a.runs - 1))::bigint AS lo2,
               floor(0.99::double precision * (a.runs - 1))::bigint AS lo3
        FROM a
    ), h AS (
        SELECT pipeline_id, bucket, sum(n)::bigint AS n
        FROM (SELECT pipeline_id, unnest(dur_buckets) AS bucket, unnest(dur_counts) AS n
              FROM d) AS u
        GROUP BY 1, 2
    ), cum AS (
        SELECT pipeline_id, bucket, sum(n) OVER (PARTITION BY pipeline_id ORDER BY bucket) AS upto
        FROM h
    ), pb AS (
        SELECT c.pipeline_id,
               min(c.bucket) FILTER (WHERE c.upto > k.lo1) AS l1,
               min(c.bucket) FILTER (WHERE c.upto > least(k.lo1 + 1, k.runs - 1)) AS h1,
               min(c.bucket) FILTER (WHERE c.upto > k.lo2) AS l2,
               min(c.bucket) FILTER (WHERE c.upto > least(k.lo2 + 1, k.runs - 1)) AS h2,
               min(c.bucket) FILTER (WHERE c.upto > k.lo3) AS l3,
               min(c.bucket) FILTER (WHERE c.upto > least(k.lo3 + 1, k.runs - 1)) AS h3
        FROM cum c JOIN k ON k.pipeline_id = c.pipeline_id
        GROUP BY c.pipeline_id
    )
    SELECT c.name,
           p.name,
           p.platform,
           k.runs,
           round(chm_duration_percentile(0.5, k.runs, k.min_seconds, k.max_seconds, pb.l1, pb.h1)::numeric, 3)::double precision,
           round(chm_duration_percentile(0.9, k.runs, k.min_seconds, k.max_seconds, pb.l2, pb.h2)::numeric, 3)::double precision,
           round(chm_duration_percentile(0.99, k.runs, k.min_seconds, k.max_seconds, pb.l3, pb.h3)::numeric, 3)::double precision,
           k.min_seconds,
           k.max_seconds,
           k.hist_10s, k.hist_1m, k.hist_5m, k.hist_15m, k.hist_1h, k.hist_6h, k.hist_inf,
           k.sum_seconds
    FROM k
    JOIN pb ON pb.pipeline_id = k.pipeline_id
    JOIN pipelines p ON p.id = k.pipeline_id
    JOIN clients c ON c.id = p.client_id;
END $$;

ANALYZE chm_run_days;
