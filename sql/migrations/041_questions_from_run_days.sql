-- The windowed questions read whole UTC days from the daily rollups (040)
-- and only the partial days at their window's edges from runs, so a question
-- costs pipelines x days (issue 19). Same names, arguments, columns and rows
-- as 030's functions and 003's Q3: counts and rates are exactly those of
-- runs; Q9's percentiles come from the rollups' histograms, within 2.5% of
-- the exact ones (040), and its min, max, histogram and sum are exact.
-- tests/t0607-report-rollups.bats compares every question with its plain
-- body over runs (tests/sql/plain_questions.sql).
--
-- Each question reads two sets of rollup-shaped rows: chm_run_days for the
-- whole days of [window_start, window_end), and chm_run_days_edges() for the
-- rest, computed from runs as a rollup is. A window without a whole day is
-- all edge.

-- The whole UTC days of [window_start, window_end) as [first_day, end_day);
-- first_day = end_day when there is none.
CREATE FUNCTION chm_whole_days(window_start timestamptz, window_end timestamptz,
                               OUT first_day date, OUT end_day date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT f, greatest(f, chm_utc_day(window_end))
    FROM (SELECT CASE WHEN chm_day_start(chm_utc_day(window_start)) = window_start
                      THEN chm_utc_day(window_start)
                      ELSE chm_utc_day(window_start) + 1 END AS f) AS s
$$;

-- The rollup rows of the window's partial days, from runs.
CREATE FUNCTION chm_run_days_edges(window_start timestamptz, window_end timestamptz)
RETURNS SETOF chm_run_days
LANGUAGE plpgsql STABLE SET search_path TO public, pg_temp AS $$
DECLARE
    w record;
BEGIN
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    IF w.first_day >= w.end_day THEN
        IF window_start < window_end THEN
            RETURN QUERY SELECT * FROM chm_run_days_of(window_start, window_end);
        END IF;
        RETURN;
    END IF;
    IF window_start < chm_day_start(w.first_day) THEN
        RETURN QUERY SELECT * FROM chm_run_days_of(window_start, chm_day_start(w.first_day));
    END IF;
    IF chm_day_start(w.end_day) < window_end THEN
        RETURN QUERY SELECT * FROM chm_run_days_of(chm_day_start(w.end_day), window_end);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION chm_q1_failed_runs_hourly(window_start timestamptz DEFAULT chm_since('7 days'),
                                                     window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (bucket timestamptz, client text, pipeline text, platform platform, failed_runs bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w record;
BEGIN
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, day, failed_hours FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day AND failed > 0
        UNION ALL
        SELECT pipeline_id, day, failed_hours FROM chm_run_days_edges(window_start, window_end)
        WHERE failed > 0
    )
    SELECT chm_day_start(d.day) + make_interval(hours => h.hour),
           c.name,
           p.name,
           p.platform,
           count(*)
    FROM d
    CROSS JOIN LATERAL unnest(d.failed_hours) AS h(hour)
    JOIN pipelines p ON p.id = d.pipeline_id
    JOIN clients c ON c.id = p.client_id
    GROUP BY 1, 2, 3, 4;
END $$;

CREATE OR REPLACE FUNCTION chm_q5_daily_success_rate(window_start timestamptz DEFAULT chm_since('30 days'),
                                                     window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (day timestamptz, client text, runs bigint, succeeded bigint, failed bigint,
               success_rate double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w record;
BEGIN
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, day, success, failed, canceled FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day
        UNION ALL
        SELECT pipeline_id, day, success, failed, canceled
        FROM chm_run_days_edges(window_start, window_end)
    )
    SELECT chm_day_start(d.day),
           c.name,
           sum(d.success + d.failed + d.canceled)::bigint,
           sum(d.success)::bigint,
           sum(d.failed)::bigint,
           chm_ratio(sum(d.success)::bigint, sum(d.success + d.failed + d.canceled)::bigint)
    FROM d
    JOIN pipelines p ON p.id = d.pipeline_id
    JOIN clients c ON c.id = p.client_id
    WHERE d.success + d.failed + d.canceled > 0
    GROUP BY d.day, c.name;
END $$;

-- Flips: each day's own, plus one wherever a day's first outcome differs from
-- the last of the pipeline's previous day with an outcome in the window. A
-- day whose outcomes wait for chm_run_days_settle() gives them from runs.
CREATE OR REPLACE FUNCTION chm_q7_flaky_pipelines(window_start timestamptz DEFAULT chm_since('30 days'),
                                                  window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (rank bigint, client text, pipeline text, platform platform, runs bigint,
               failures bigint, flips bigint, failure_rate double precision,
               flip_rate double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w record;
BEGIN
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, day, success, failed, sf_first, sf_last, sf_flips FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day AND success + failed > 0 AND NOT sf_stale
        UNION ALL
        SELECT pipeline_id, day, success, failed, sf_first, sf_last, sf_flips
        FROM chm_run_days_stale(w.first_day, w.end_day)
        UNION ALL
        SELECT pipeline_id, day, success, failed, sf_first, sf_last, sf_flips
        FROM chm_run_days_edges(window_start, window_end)
        WHERE success + failed > 0
    ), s AS (
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

CREATE OR REPLACE FUNCTION chm_q8_failure_rate_per_platform(window_start timestamptz DEFAULT chm_since('30 days'),
                                                            window_end timestamptz DEFAULT chm_until())
RETURNS TABLE (platform platform, runs bigint, failed bigint, failure_rate double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w record;
BEGIN
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, runs, failed FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day
        UNION ALL
        SELECT pipeline_id, runs, failed FROM chm_run_days_edges(window_start, window_end)
    )
    SELECT p.platform,
           sum(d.runs)::bigint,
           sum(d.failed)::bigint,
           chm_ratio(sum(d.failed)::bigint, sum(d.runs)::bigint)
    FROM d
    JOIN pipelines p ON p.id = d.pipeline_id
    GROUP BY p.platform;
END $$;

-- Percentiles as percentile_cont takes them (the values at ranks
-- floor(p * (n - 1)) and the next, interpolated), each value read as its
-- histogram bucket's, then kept within the exact min and max.
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
    SELECT * INTO w FROM chm_whole_days(window_start, window_end);
    RETURN QUERY
    WITH d AS (
        SELECT pipeline_id, dur_runs, dur_sum, dur_min, dur_max, hist_10s, hist_1m, hist_5m,
               hist_15m, hist_1h, hist_6h, hist_inf, dur_buckets, dur_counts
        FROM chm_run_days
        WHERE day >= w.first_day AND day < w.end_day AND dur_runs > 0
        UNION ALL
        SELECT pipeline_id, dur_runs, dur_sum, dur_min, dur_max, hist_10s, hist_1m, hist_5m,
               hist_15m, hist_1h, hist_6h, hist_inf, dur_buckets, dur_counts
        FROM chm_run_days_edges(window_start, window_end)
        WHERE dur_runs > 0
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
    ), h AS (
        SELECT d.pipeline_id, u.bucket, sum(u.n)::bigint AS n
        FROM d CROSS JOIN LATERAL unnest(d.dur_buckets, d.dur_counts) AS u(bucket, n)
        GROUP BY 1, 2
    ), cum AS (
        SELECT pipeline_id, bucket, n,
               sum(n) OVER (PARTITION BY pipeline_id ORDER BY bucket) - n AS below
        FROM h
    ), want AS (
        SELECT a.pipeline_id, q.i, a.min_seconds, a.max_seconds,
               floor(q.p * (a.runs - 1))::bigint AS lo,
               least(floor(q.p * (a.runs - 1))::bigint + 1, a.runs - 1) AS hi,
               q.p * (a.runs - 1) - floor(q.p * (a.runs - 1)) AS frac
        FROM a CROSS JOIN unnest('{0.5,0.9,0.99}'::double precision[]) WITH ORDINALITY AS q(p, i)
    ), pct AS (
        SELECT w2.pipeline_id,
               array_agg(greatest(w2.min_seconds, least(w2.max_seconds,
                   (1 - w2.frac) * chm_duration_bucket_value(l.bucket)
                   + w2.frac * chm_duration_bucket_value(u.bucket))) ORDER BY w2.i) AS v
        FROM want w2
        JOIN cum l ON l.pipeline_id = w2.pipeline_id AND w2.lo >= l.below AND w2.lo < l.below + l.n
        JOIN cum u ON u.pipeline_id = w2.pipeline_id AND w2.hi >= u.below AND w2.hi < u.below + u.n
        GROUP BY w2.pipeline_id
    )
    SELECT c.name,
           p.name,
           p.platform,
           a.runs,
           round(pct.v[1]::numeric, 3)::double precision,
           round(pct.v[2]::numeric, 3)::double precision,
           round(pct.v[3]::numeric, 3)::double precision,
           a.min_seconds,
           a.max_seconds,
           a.hist_10s, a.hist_1m, a.hist_5m, a.hist_15m, a.hist_1h, a.hist_6h, a.hist_inf,
           a.sum_seconds
    FROM a
    JOIN pct ON pct.pipeline_id = a.pipeline_id
    JOIN pipelines p ON p.id = a.pipeline_id
    JOIN clients c ON c.id = p.client_id;
END $$;

-- Q3 (003's view) as a function of its instant, reading rollups as the others.
CREATE FUNCTION chm_q3_failures_per_client(at timestamptz DEFAULT chm_now())
RETURNS TABLE (client text, failed_24h bigint, failed_7d bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    w7 record;
    w1 record;
BEGIN
    SELECT * INTO w7 FROM chm_whole_days(at - interval '7 days', at);
    SELECT * INTO w1 FROM chm_whole_days(at - interval '24 hours', at);
    RETURN QUERY
    WITH d7 AS (
        SELECT pipeline_id, failed FROM chm_run_days
        WHERE day >= w7.first_day AND day < w7.end_day AND failed > 0
        UNION ALL
        SELECT pipeline_id, failed FROM chm_run_days_edges(at - interval '7 days', at)
        WHERE failed > 0
    ), d1 AS (
        SELECT pipeline_id, failed FROM chm_run_days
        WHERE day >= w1.first_day AND day < w1.end_day AND failed > 0
        UNION ALL
        SELECT pipeline_id, failed FROM chm_run_days_edges(at - interval '24 hours', at)
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

REVOKE EXECUTE ON FUNCTION chm_q3_failures_per_client FROM PUBLIC;

CREATE OR REPLACE VIEW chm_q3_failures_per_client AS
SELECT * FROM chm_q3_failures_per_client();
