-- The windowed questions (Q1, Q5, Q7, Q8, Q9) as functions of their window,
-- [window_start, window_end), so a dashboard asks for its own time range:
--   SELECT * FROM chm_q8_failure_rate_per_platform($__timeFrom(), $__timeTo())
-- Each function has the view's name and body (003_report_views.sql); the
-- window's bounds default to the view's window (chm_since(...), chm_until()),
-- and the view is now the function called with those defaults, so each
-- question's logic exists once. Views keep their names, columns and rows.
--
-- LANGUAGE sql, STABLE, not STRICT, no SET: PostgreSQL inlines each call
-- into the query that makes it, so a view's plan is the plan it had (its
-- window through runs_started_idx / runs_status_started_idx, t0605), and on
-- Citus the inlined query is pushed down to the shards as before.
--
-- Q9's function also returns sum_seconds (the sum of the counted durations),
-- which the view leaves out: chm-report --format prom needs it for the
-- histogram's _sum.

CREATE FUNCTION chm_q1_failed_runs_hourly(window_start timestamptz DEFAULT chm_since('7 days'),
                                          window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (bucket timestamptz, client text, pipeline text, platform platform, failed_runs bigint)
LANGUAGE sql STABLE AS $$
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
GROUP BY 1, 2, 3, 4
$$;

CREATE FUNCTION chm_q5_daily_success_rate(window_start timestamptz DEFAULT chm_since('30 days'),
                                          window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (day timestamptz, client text, runs bigint, succeeded bigint, failed bigint,
               success_rate double precision)
LANGUAGE sql STABLE AS $$
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
GROUP BY 1, 2
$$;

CREATE FUNCTION chm_q7_flaky_pipelines(window_start timestamptz DEFAULT chm_since('30 days'),
                                       window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (rank bigint, client text, pipeline text, platform platform, runs bigint,
               failures bigint, flips bigint, failure_rate double precision,
               flip_rate double precision)
LANGUAGE sql STABLE AS $$
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
WHERE a.flips > 0
$$;

CREATE FUNCTION chm_q8_failure_rate_per_platform(window_start timestamptz DEFAULT chm_since('30 days'),
                                                 window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (platform platform, runs bigint, failed bigint, failure_rate double precision)
LANGUAGE sql STABLE AS $$
SELECT p.platform,
       count(*),
       count(*) FILTER (WHERE r.status = 'failed'),
       chm_ratio(count(*) FILTER (WHERE r.status = 'failed'), count(*))
FROM runs r
JOIN pipelines p ON p.id = r.pipeline_id
WHERE r.started_at >= window_start
  AND r.started_at < window_end
GROUP BY p.platform
$$;

CREATE FUNCTION chm_q9_duration_distribution(window_start timestamptz DEFAULT chm_since('30 days'),
                                             window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (client text, pipeline text, platform platform, runs bigint,
               p50_seconds double precision, p90_seconds double precision,
               p99_seconds double precision, min_seconds double precision,
               max_seconds double precision, hist_10s bigint, hist_1m bigint, hist_5m bigint,
               hist_15m bigint, hist_1h bigint, hist_6h bigint, hist_inf bigint,
               sum_seconds double precision)
LANGUAGE sql STABLE AS $$
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
JOIN clients c ON c.id = p.client_id
$$;

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
