-- The windowed questions (Q1, Q5, Q7, Q8, Q9) as functions of their window,
-- [window_start, window_end), so a dashboard asks for its own time range:
--   SELECT * FROM chm_q8_failure_rate_per_platform($__timeFrom(), $__timeTo())
-- Each function has the view's name and body (003_report_views.sql); the
-- window's bounds default to the view's window (chm_since(...), chm_until()),
-- and the view is now the function called with those defaults, so each
-- question's logic exists once. Views keep their names, columns and rows.
--
-- PL/pgSQL, as the functions of 022: on Citus a SQL function over a
-- distributed table is refused ("parameterized queries for SQL functions
-- referencing distributed tables are not supported"), while each statement
-- of a PL/pgSQL function is planned by Citus as a query of its own (here
-- pushed down to the shards, as the view's query was). On one node the
-- statement reads the window through runs_started_idx as the view did
-- (t0605).
--
-- SECURITY DEFINER: a function reads its tables with the rights of whoever
-- calls it, a view with its owner's; the dashboards' role reads the views
-- and these functions, never runs itself (README, Grafana). So they run as
-- their owner, with a fixed search_path (CHM's schema, public, as
-- sql/citus/distribute.sql assumes; pg_temp last, so no temporary table can
-- stand in for a table; Citus refuses SET ... FROM CURRENT on a distributed
-- function), and only roles granted EXECUTE may call them (and the views
-- that call them).
--
-- Q9's function also returns sum_seconds (the sum of the counted durations),
-- which the view leaves out: chm-report --format prom needs it for the
-- histogram's _sum.

CREATE FUNCTION chm_q1_failed_runs_hourly(window_start timestamptz DEFAULT chm_since('7 days'),
                                          window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (bucket timestamptz, client text, pipeline text, platform platform, failed_runs bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT date_trunc('hour', r.started_at, 'UTC'),
           c.name,
           p.name,
           p.platform,
           count(*)
    FROM runs r
    JOIN pipelines p ON p.id = r.pipeline_id
    JOIN clients c ON c.id = p.client_id
    WHERE r.status = 'failed'
      AND r.started_at >= window_start
      AND r.started_at < window_end
    GROUP BY 1, 2, 3, 4;
END $$;

CREATE FUNCTION chm_q5_daily_success_rate(window_start timestamptz DEFAULT chm_since('30 days'),
                                          window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (day timestamptz, client text, runs bigint, succeeded bigint, failed bigint,
               success_rate double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT date_trunc('day', r.started_at, 'UTC'),
           c.name,
           count(*),
           count(*) FILTER (WHERE r.status = 'success'),
           count(*) FILTER (WHERE r.status = 'failed'),
           chm_ratio(count(*) FILTER (WHERE r.status = 'success'), count(*))
    FROM runs r
    JOIN pipelines p ON p.id = r.pipeline_id
    JOIN clients c ON c.id = p.client_id
    WHERE r.status IN ('success', 'failed', 'canceled')
      AND r.started_at >= window_start
      AND r.started_at < window_end
    GROUP BY 1, 2;
END $$;

CREATE FUNCTION chm_q7_flaky_pipelines(window_start timestamptz DEFAULT chm_since('30 days'),
                                       window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (rank bigint, client text, pipeline text, platform platform, runs bigint,
               failures bigint, flips bigint, failure_rate double precision,
               flip_rate double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH o AS (
        SELECT r.pipeline_id, r.status,
               lag(r.status) OVER (PARTITION BY r.pipeline_id ORDER BY r.started_at, r.status) AS prev
        FROM runs r
        WHERE r.status IN ('success', 'failed')
          AND r.started_at >= window_start
          AND r.started_at < window_end
    ), a AS (
        SELECT pipeline_id,
               count(*) AS runs,
               count(*) FILTER (WHERE status = 'failed') AS failures,
               count(*) FILTER (WHERE prev IS NOT NULL AND prev <> status) AS flips
        FROM o
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

CREATE FUNCTION chm_q8_failure_rate_per_platform(window_start timestamptz DEFAULT chm_since('30 days'),
                                                 window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (platform platform, runs bigint, failed bigint, failure_rate double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT p.platform,
           count(*),
           count(*) FILTER (WHERE r.status = 'failed'),
           chm_ratio(count(*) FILTER (WHERE r.status = 'failed'), count(*))
    FROM runs r
    JOIN pipelines p ON p.id = r.pipeline_id
    WHERE r.started_at >= window_start
      AND r.started_at < window_end
    GROUP BY p.platform;
END $$;

CREATE FUNCTION chm_q9_duration_distribution(window_start timestamptz DEFAULT chm_since('30 days'),
                                             window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (client text, pipeline text, platform platform, runs bigint,
               p50_seconds double precision, p90_seconds double precision,
               p99_seconds double precision, min_seconds double precision,
               max_seconds double precision, hist_10s bigint, hist_1m bigint, hist_5m bigint,
               hist_15m bigint, hist_1h bigint, hist_6h bigint, hist_inf bigint,
               sum_seconds double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT c.name,
           p.name,
           p.platform,
           d.runs,
           round(d.pct[1]::numeric, 3)::double precision,
           round(d.pct[2]::numeric, 3)::double precision,
           round(d.pct[3]::numeric, 3)::double precision,
           d.min_seconds,
           d.max_seconds,
           d.hist_10s, d.hist_1m, d.hist_5m, d.hist_15m, d.hist_1h, d.hist_6h, d.hist_inf,
           d.sum_seconds
    FROM (
        SELECT r.pipeline_id,
               count(*) AS runs,
               percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY r.duration_seconds) AS pct,
               min(r.duration_seconds) AS min_seconds,
               max(r.duration_seconds) AS max_seconds,
               count(*) FILTER (WHERE r.duration_seconds <= 10) AS hist_10s,
               count(*) FILTER (WHERE r.duration_seconds > 10 AND r.duration_seconds <= 60) AS hist_1m,
               count(*) FILTER (WHERE r.duration_seconds > 60 AND r.duration_seconds <= 300) AS hist_5m,
               count(*) FILTER (WHERE r.duration_seconds > 300 AND r.duration_seconds <= 900) AS hist_15m,
               count(*) FILTER (WHERE r.duration_seconds > 900 AND r.duration_seconds <= 3600) AS hist_1h,
               count(*) FILTER (WHERE r.duration_seconds > 3600 AND r.duration_seconds <= 21600) AS hist_6h,
               count(*) FILTER (WHERE r.duration_seconds > 21600) AS hist_inf,
               sum(r.duration_seconds) AS sum_seconds
        FROM runs r
        WHERE r.duration_seconds IS NOT NULL
          AND r.started_at >= window_start
          AND r.started_at < window_end
        GROUP BY r.pipeline_id) d
    JOIN pipelines p ON p.id = d.pipeline_id
    JOIN clients c ON c.id = p.client_id;
END $$;

REVOKE EXECUTE ON FUNCTION chm_q1_failed_runs_hourly, chm_q5_daily_success_rate,
    chm_q7_flaky_pipelines, chm_q8_failure_rate_per_platform, chm_q9_duration_distribution
    FROM PUBLIC;

CREATE OR REPLACE VIEW chm_q1_failed_runs_hourly AS
SELECT * FROM chm_q1_failed_runs_hourly();

CREATE OR REPLACE VIEW chm_q5_daily_success_rate AS
SELECT * FROM chm_q5_daily_success_rate();

CREATE OR REPLACE VIEW chm_q7_flaky_pipelines AS
SELECT * FROM chm_q7_flaky_pipelines();

CREATE OR REPLACE VIEW chm_q8_failure_rate_per_platform AS
SELECT * FROM chm_q8_failure_rate_per_platform();

CREATE OR REPLACE VIEW chm_q9_duration_distribution AS
SELECT client, pipeline, platform, runs, p50_seconds, p90_seconds, p99_seconds, min_seconds,
       max_seconds, hist_10s, hist_1m, hist_5m, hist_15m, hist_1h, hist_6h, hist_inf
FROM chm_q9_duration_distribution();

-- The latest-run views (Q2, Q4, Q6, Q10) call the probes of 022, which read
-- runs with the caller's rights: a role that could read the views but not
-- runs (the dashboards') was refused. They too run as their owner now, and
-- only roles granted EXECUTE may call them. What they return is what the
-- views show of a run (its status, times, duration and error, never its
-- payload).
ALTER FUNCTION chm_pipeline_runs(bigint, timestamptz, run_status[], integer, boolean, run_status)
    SECURITY DEFINER SET search_path TO public, pg_temp;
ALTER FUNCTION chm_failure_streak(bigint, timestamptz, timestamptz)
    SECURITY DEFINER SET search_path TO public, pg_temp;
REVOKE EXECUTE ON FUNCTION chm_pipeline_runs, chm_failure_streak FROM PUBLIC;
