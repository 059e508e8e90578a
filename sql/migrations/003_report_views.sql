-- The dashboard questions Q1-Q10, one view each. chm-report,
-- Grafana and Metabase all read these views, so a question has one definition.
--
-- Every window is taken from the clock at query time, so a dashboard can
-- select from a view directly. Three session settings move the clock and the
-- window without changing the SQL (chm-report sets them with set_config(),
-- as parameters; tests use them for a fixed "now"):
--   chm.now    the instant the questions are asked (default now())
--   chm.since  start of the window of the windowed questions (default: the
--              view's window length before chm.until)
--   chm.until  end of that window, exclusive (default chm.now)
-- The functions are STABLE, so a comparison like started_at >= chm_since(...)
-- is an index condition, evaluated once per query.
--
-- Buckets and days are UTC whatever the session's TimeZone.

CREATE FUNCTION chm_now() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(current_setting('chm.now', true), '')::timestamptz, now()) $$;

CREATE FUNCTION chm_until() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(current_setting('chm.until', true), '')::timestamptz, chm_now()) $$;

-- Without chm.since a window is the default length before its end, so
-- chm.until alone moves the whole window back.
CREATE FUNCTION chm_since(default_window interval) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(current_setting('chm.since', true), '')::timestamptz,
                          chm_until() - default_window) $$;

-- A ratio as a plain double with 4 decimals (0.5, not 0.5000); null for 0/0.
CREATE FUNCTION chm_ratio(num bigint, den bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN den > 0 THEN round(num::numeric / den, 4)::double precision END $$;

-- Seconds from a to b, whole seconds and microseconds kept (double).
CREATE FUNCTION chm_seconds(a timestamptz, b timestamptz) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT extract(epoch FROM b - a)::double precision $$;

-- Q1: failed runs per hour, client and pipeline over the window (default the
-- last 7 days). Hours add up to days and weeks: chm-report --bucket re-buckets.
-- Reads runs_status_started_idx (status, started_at) for the window only.
CREATE VIEW chm_q1_failed_runs_hourly AS
SELECT date_trunc('hour', r.started_at, 'UTC') AS bucket,
       c.name AS client,
       p.name AS pipeline,
       p.platform,
       count(*) AS failed_runs
FROM runs r
JOIN pipelines p ON p.id = r.pipeline_id
JOIN clients c ON c.id = p.client_id
WHERE r.status = 'failed'
  AND r.started_at >= chm_since('7 days')
  AND r.started_at < chm_until()
GROUP BY 1, 2, 3, 4;

-- Q2: the latest run of every active pipeline (FR-006: started_at desc,
-- finished_at desc, nulls last, then id desc) as of now, with its last success.
-- One index probe per pipeline on runs_pipeline_latest_idx, never a scan of
-- all runs. A pipeline that never ran is listed with a null status.
CREATE VIEW chm_q2_latest_run_per_pipeline AS
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
       s.at AS last_success_at,
       chm_seconds(s.at, chm_now()) AS seconds_since_success
FROM pipelines p
JOIN clients c ON c.id = p.client_id
LEFT JOIN LATERAL (
    SELECT r.status, r.external_run_id, r.started_at, r.finished_at, r.duration_seconds,
           r.error_message
    FROM runs r
    WHERE r.pipeline_id = p.id AND (r.started_at < chm_now() OR r.started_at IS NULL)
    ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT 1) l ON true
LEFT JOIN LATERAL (
    SELECT coalesce(r.finished_at, r.started_at) AS at
    FROM runs r
    WHERE r.pipeline_id = p.id AND r.status = 'success' AND r.started_at < chm_now()
    ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT 1) s ON true
WHERE p.is_active AND c.is_active;

-- Q3: failed runs per active client in the 24 hours and 7 days before now.
-- Clients without failures are listed with zeros.
CREATE VIEW chm_q3_failures_per_client AS
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

-- Q4: what changed since yesterday. For each active pipeline, the latest
-- finished run (status other than running) as of 24 hours ago and as of now:
-- new_failure when it failed now and did not then (or there was none),
-- recovery when it succeeds now and failed then. Two index probes a pipeline.
CREATE VIEW chm_q4_changes_since_yesterday AS
SELECT CASE WHEN cur.status = 'failed' THEN 'new_failure' ELSE 'recovery' END AS change,
       c.name AS client,
       p.name AS pipeline,
       p.platform,
       prev.status AS previous_status,
       prev.started_at AS previous_started_at,
       cur.status AS current_status,
       cur.started_at AS current_started_at,
       cur.error_message
FROM pipelines p
JOIN clients c ON c.id = p.client_id
JOIN LATERAL (
    SELECT r.status, r.started_at, r.error_message
    FROM runs r
    WHERE r.pipeline_id = p.id AND r.status <> 'running' AND r.started_at < chm_now()
    ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT 1) cur ON true
LEFT JOIN LATERAL (
    SELECT r.status, r.started_at
    FROM runs r
    WHERE r.pipeline_id = p.id AND r.status <> 'running'
      AND r.started_at < chm_now() - interval '24 hours'
    ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT 1) prev ON true
WHERE p.is_active AND c.is_active
  AND ((cur.status = 'failed' AND prev.status IS DISTINCT FROM 'failed')
       OR (cur.status = 'success' AND prev.status = 'failed'));

-- Q5: daily success rate per client over the window (default 30 days):
-- success / (success + failed + canceled); running and skipped runs are not
-- outcomes. Days without an outcome are left out.
CREATE VIEW chm_q5_daily_success_rate AS
SELECT date_trunc('day', r.started_at, 'UTC') AS day,
       c.name AS client,
       count(*) AS runs,
       count(*) FILTER (WHERE r.status = 'success') AS succeeded,
       count(*) FILTER (WHERE r.status = 'failed') AS failed,
       chm_ratio(count(*) FILTER (WHERE r.status = 'success'), count(*)) AS success_rate
FROM runs r
JOIN pipelines p ON p.id = r.pipeline_id
JOIN clients c ON c.id = p.client_id
WHERE r.status IN ('success', 'failed', 'canceled')
  AND r.started_at >= chm_since('30 days')
  AND r.started_at < chm_until()
GROUP BY 1, 2;

-- Q6: triage. Active pipelines whose latest run (FR-006) failed, with the
-- failure streak (failed runs since the last success, cancel or skip), the
-- first failure of the streak, the last error and the time since the last
-- success (null: never succeeded).
CREATE VIEW chm_q6_failing_now AS
SELECT c.name AS client,
       p.name AS pipeline,
       p.platform,
       k.streak AS failure_streak,
       k.first_failed_at AS failing_since,
       l.started_at AS last_failed_at,
       l.error_message AS last_error,
       s.at AS last_success_at,
       chm_seconds(s.at, chm_now()) AS seconds_since_success
FROM pipelines p
JOIN clients c ON c.id = p.client_id
JOIN LATERAL (
    SELECT r.status, r.started_at, r.error_message
    FROM runs r
    WHERE r.pipeline_id = p.id AND (r.started_at < chm_now() OR r.started_at IS NULL)
    ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT 1) l ON l.status = 'failed'
LEFT JOIN LATERAL (
    SELECT r.started_at
    FROM runs r
    WHERE r.pipeline_id = p.id AND r.status IN ('success', 'canceled', 'skipped')
      AND r.started_at < chm_now()
    ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT 1) b ON true
LEFT JOIN LATERAL (
    SELECT coalesce(r.finished_at, r.started_at) AS at
    FROM runs r
    WHERE r.pipeline_id = p.id AND r.status = 'success' AND r.started_at < chm_now()
    ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
    LIMIT 1) s ON true
CROSS JOIN LATERAL (
    SELECT count(*) AS streak, min(r.started_at) AS first_failed_at
    FROM runs r
    WHERE r.pipeline_id = p.id AND r.status = 'failed' AND r.started_at < chm_now()
      -- a range on runs_pipeline_latest_idx: only the streak is read
      AND r.started_at > coalesce(b.started_at, '-infinity')) k
WHERE p.is_active AND c.is_active;

-- Q7: flaky pipelines over the window (default 30 days). Outcomes are
-- success and failed only, in start order; a flip is an outcome that differs
-- from the one before. Flaky = flips: a pipeline that always fails is broken
-- (Q6), not flaky; one that keeps flipping pages people for nothing. Ranked
-- by flips, then failures, then failure rate. Pipelines without a flip are
-- left out. Reads only the window (index-only on runs_started_idx).
CREATE VIEW chm_q7_flaky_pipelines AS
WITH o AS (
    SELECT r.pipeline_id, r.status,
           lag(r.status) OVER (PARTITION BY r.pipeline_id ORDER BY r.started_at, r.status) AS prev
    FROM runs r
    WHERE r.status IN ('success', 'failed')
      AND r.started_at >= chm_since('30 days')
      AND r.started_at < chm_until()
), a AS (
    SELECT pipeline_id,
           count(*) AS runs,
           count(*) FILTER (WHERE status = 'failed') AS failures,
           count(*) FILTER (WHERE prev IS NOT NULL AND prev <> status) AS flips
    FROM o
    GROUP BY pipeline_id
)
SELECT row_number() OVER (ORDER BY a.flips DESC, a.failures DESC,
                                   chm_ratio(a.failures, a.runs) DESC, c.name, p.name) AS rank,
       c.name AS client,
       p.name AS pipeline,
       p.platform,
       a.runs,
       a.failures,
       a.flips,
       chm_ratio(a.failures, a.runs) AS failure_rate,
       chm_ratio(a.flips, a.runs - 1) AS flip_rate
FROM a
JOIN pipelines p ON p.id = a.pipeline_id
JOIN clients c ON c.id = p.client_id
WHERE a.flips > 0;

-- Q8: failure rate per platform over the window (default 30 days):
-- failed / total runs started in it, whatever their status.
CREATE VIEW chm_q8_failure_rate_per_platform AS
SELECT p.platform,
       count(*) AS runs,
       count(*) FILTER (WHERE r.status = 'failed') AS failed,
       chm_ratio(count(*) FILTER (WHERE r.status = 'failed'), count(*)) AS failure_rate
FROM runs r
JOIN pipelines p ON p.id = r.pipeline_id
WHERE r.started_at >= chm_since('30 days')
  AND r.started_at < chm_until()
GROUP BY p.platform;

-- Q9: run durations per pipeline over the window (default 30 days):
-- percentiles (continuous, in seconds, 3 decimals) and a histogram with fixed
-- bounds so pipelines compare: each hist_X counts durations above the previous
-- bound and up to X (10s, 1m, 5m, 15m, 1h, 6h, then above). Runs without a
-- duration are not counted; pipelines with none are left out.
CREATE VIEW chm_q9_duration_distribution AS
SELECT c.name AS client,
       p.name AS pipeline,
       p.platform,
       d.runs,
       round(d.pct[1]::numeric, 3)::double precision AS p50_seconds,
       round(d.pct[2]::numeric, 3)::double precision AS p90_seconds,
       round(d.pct[3]::numeric, 3)::double precision AS p99_seconds,
       d.min_seconds,
       d.max_seconds,
       d.hist_10s, d.hist_1m, d.hist_5m, d.hist_15m, d.hist_1h, d.hist_6h, d.hist_inf
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
           count(*) FILTER (WHERE r.duration_seconds > 21600) AS hist_inf
    FROM runs r
    WHERE r.duration_seconds IS NOT NULL
      AND r.started_at >= chm_since('30 days')
      AND r.started_at < chm_until()
    GROUP BY r.pipeline_id) d
JOIN pipelines p ON p.id = d.pipeline_id
JOIN clients c ON c.id = p.client_id;

-- Q10: governance findings, one row each:
--  silent           an active pipeline whose last run started longer ago than
--                   1.5 times its usual interval (the median gap between its
--                   last 31 run starts, at least 1 hour; 1 day when it has a
--                   single run). late_seconds = silence - usual interval.
--  disabled_runs    runs in the window (default 7 days) of a disabled pipeline
--                   or of a pipeline of a disabled client.
--  no_alert_rule    an active pipeline no enabled alert rule covers (a rule
--                   covers its pipeline, or every pipeline of its client when
--                   it names no pipeline).
CREATE VIEW chm_q10_governance AS
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
        FROM (
            SELECT r.started_at
            FROM runs r
            WHERE r.pipeline_id = p.id AND r.started_at < chm_now()
            ORDER BY r.started_at DESC NULLS LAST, r.finished_at DESC NULLS LAST, r.id DESC
            LIMIT 31) y) x) h
WHERE p.is_active AND c.is_active
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
  AND NOT EXISTS (
      SELECT 1 FROM alert_rules a
      WHERE a.is_enabled
        AND (a.pipeline_id = p.id OR (a.pipeline_id IS NULL AND a.client_id = p.client_id)));
