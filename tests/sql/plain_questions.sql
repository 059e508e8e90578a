-- The windowed questions answered the plain way, straight from runs, as the
-- reference the rollups (issue 19: chm_run_days, migrations 040 and 041) must
-- reproduce: tests/t0607-report-rollups.bats loads this file and compares.
--
-- The bodies are COPIES, made when the question functions were still plain
-- (before 041), of:
--   plain.q1, q5, q7, q8, q9: sql/migrations/030_window_functions.sql
--     (chm_q1_failed_runs_hourly, chm_q5_daily_success_rate,
--     chm_q7_flaky_pipelines, chm_q8_failure_rate_per_platform,
--     chm_q9_duration_distribution), same arguments, defaults and columns,
--     without SECURITY DEFINER (the test runs as the owner);
--   plain.q3(): the view chm_q3_failures_per_client of
--     sql/migrations/003_report_views.sql, as a function of chm_now().
-- They call no chm_q* function and read no rollup, so they stay the
-- reference whatever a later migration does to the questions. Should a
-- question's meaning change on purpose, change its copy here with it.

CREATE SCHEMA plain;

CREATE FUNCTION plain.q1(window_start timestamptz DEFAULT chm_since('7 days'),
                         window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (bucket timestamptz, client text, pipeline text, platform platform, failed_runs bigint)
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
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

CREATE FUNCTION plain.q5(window_start timestamptz DEFAULT chm_since('30 days'),
                         window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (day timestamptz, client text, runs bigint, succeeded bigint, failed bigint,
               success_rate double precision)
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
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

CREATE FUNCTION plain.q7(window_start timestamptz DEFAULT chm_since('30 days'),
                         window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (rank bigint, client text, pipeline text, platform platform, runs bigint,
               failures bigint, flips bigint, failure_rate double precision,
               flip_rate double precision)
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
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

CREATE FUNCTION plain.q8(window_start timestamptz DEFAULT chm_since('30 days'),
                         window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (platform platform, runs bigint, failed bigint, failure_rate double precision)
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
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

CREATE FUNCTION plain.q9(window_start timestamptz DEFAULT chm_since('30 days'),
                         window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (client text, pipeline text, platform platform, runs bigint,
               p50_seconds double precision, p90_seconds double precision,
               p99_seconds double precision, min_seconds double precision,
               max_seconds double precision, hist_10s bigint, hist_1m bigint, hist_5m bigint,
               hist_15m bigint, hist_1h bigint, hist_6h bigint, hist_inf bigint,
               sum_seconds double precision)
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
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

CREATE FUNCTION plain.q3()
RETURNS TABLE (client text, failed_24h bigint, failed_7d bigint)
LANGUAGE sql STABLE SET search_path TO public, pg_temp AS $$
SELECT c.name AS client,
       count(f.started_at) FILTER (WHERE f.started_at >= chm_now() - interval '24 hours') AS failed_24h,
       count(f.started_at) AS failed_7d
FROM clients c
LEFT JOIN (
    SELECT p.client_id, r.started_at
    FROM runs r
    JOIN pipelines p ON p.id = r.pipeline_id
    WHERE r.status = 'failed'
      AND r.started_at >= chm_now() - interval '7 days'
      AND r.started_at < chm_now()) f ON f.client_id = c.id
WHERE c.is_active
GROUP BY c.name;
$$;
