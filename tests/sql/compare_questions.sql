-- Compares the question functions (chm_q*) with their plain reference
-- (plain_questions.sql, loaded first) for one window: every row that is in
-- one answer and not the other, as jsonb, so a failing test shows the
-- difference itself. No row: the same answers.
--
-- Multisets (EXCEPT ALL both ways), so the row counts agree too. Counts and
-- rates must be exactly equal. Q9: min, max and the hist_* counts exactly;
-- sum_seconds within 1e-9 relative (a sum of the same doubles in another
-- order); p50/p90/p99 within 5% relative (the error the issue allows the
-- rollups' estimate) plus 0.0005, half the unit of their rounding to 3
-- decimals, which a relative bound cannot express near 0.

CREATE FUNCTION plain.q9_close(got double precision, want double precision, rel double precision,
                               slack double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(got IS NULL AND want IS NULL OR abs(got - want) <= rel * abs(want) + slack, false)
$$;

CREATE FUNCTION plain.diff(ws timestamptz, we timestamptz)
RETURNS TABLE (question text, problem text, answer jsonb)
LANGUAGE sql STABLE AS $$
    SELECT 'q1', 'only in chm_q1', to_jsonb(x) FROM (
        SELECT * FROM chm_q1_failed_runs_hourly(ws, we) EXCEPT ALL SELECT * FROM plain.q1(ws, we)) x
    UNION ALL
    SELECT 'q1', 'only in plain.q1', to_jsonb(x) FROM (
        SELECT * FROM plain.q1(ws, we) EXCEPT ALL SELECT * FROM chm_q1_failed_runs_hourly(ws, we)) x
    UNION ALL
    SELECT 'q5', 'only in chm_q5', to_jsonb(x) FROM (
        SELECT * FROM chm_q5_daily_success_rate(ws, we) EXCEPT ALL SELECT * FROM plain.q5(ws, we)) x
    UNION ALL
    SELECT 'q5', 'only in plain.q5', to_jsonb(x) FROM (
        SELECT * FROM plain.q5(ws, we) EXCEPT ALL SELECT * FROM chm_q5_daily_success_rate(ws, we)) x
    UNION ALL
    SELECT 'q7', 'only in chm_q7', to_jsonb(x) FROM (
        SELECT * FROM chm_q7_flaky_pipelines(ws, we) EXCEPT ALL SELECT * FROM plain.q7(ws, we)) x
    UNION ALL
    SELECT 'q7', 'only in plain.q7', to_jsonb(x) FROM (
        SELECT * FROM plain.q7(ws, we) EXCEPT ALL SELECT * FROM chm_q7_flaky_pipelines(ws, we)) x
    UNION ALL
    SELECT 'q8', 'only in chm_q8', to_jsonb(x) FROM (
        SELECT * FROM chm_q8_failure_rate_per_platform(ws, we) EXCEPT ALL SELECT * FROM plain.q8(ws, we)) x
    UNION ALL
    SELECT 'q8', 'only in plain.q8', to_jsonb(x) FROM (
        SELECT * FROM plain.q8(ws, we) EXCEPT ALL SELECT * FROM chm_q8_failure_rate_per_platform(ws, we)) x
    UNION ALL
    SELECT 'q9', 'only in chm_q9 (exact columns)', to_jsonb(x) FROM (
        SELECT client, pipeline, platform, runs, min_seconds, max_seconds, hist_10s, hist_1m,
               hist_5m, hist_15m, hist_1h, hist_6h, hist_inf
        FROM chm_q9_duration_distribution(ws, we)
        EXCEPT ALL
        SELECT client, pipeline, platform, runs, min_seconds, max_seconds, hist_10s, hist_1m,
               hist_5m, hist_15m, hist_1h, hist_6h, hist_inf
        FROM plain.q9(ws, we)) x
    UNION ALL
    SELECT 'q9', 'only in plain.q9 (exact columns)', to_jsonb(x) FROM (
        SELECT client, pipeline, platform, runs, min_seconds, max_seconds, hist_10s, hist_1m,
               hist_5m, hist_15m, hist_1h, hist_6h, hist_inf
        FROM plain.q9(ws, we)
        EXCEPT ALL
        SELECT client, pipeline, platform, runs, min_seconds, max_seconds, hist_10s, hist_1m,
               hist_5m, hist_15m, hist_1h, hist_6h, hist_inf
        FROM chm_q9_duration_distribution(ws, we)) x
    UNION ALL
    -- a pipeline is one row of Q9 (client and name are its key)
    SELECT 'q9', 'percentile beyond 5% or sum beyond 1e-9',
           jsonb_build_object('client', b.client, 'pipeline', b.pipeline,
                              'got', jsonb_build_array(a.p50_seconds, a.p90_seconds, a.p99_seconds, a.sum_seconds),
                              'want', jsonb_build_array(b.p50_seconds, b.p90_seconds, b.p99_seconds, b.sum_seconds))
    FROM chm_q9_duration_distribution(ws, we) a
    JOIN plain.q9(ws, we) b ON a.client = b.client AND a.pipeline = b.pipeline
    WHERE NOT (plain.q9_close(a.p50_seconds, b.p50_seconds, 0.05, 0.0005)
               AND plain.q9_close(a.p90_seconds, b.p90_seconds, 0.05, 0.0005)
               AND plain.q9_close(a.p99_seconds, b.p99_seconds, 0.05, 0.0005)
               AND plain.q9_close(a.sum_seconds, b.sum_seconds, 1e-9, 0))
$$;

-- The default windows (chm_since/chm_until of the session's clock) of the
-- functions and of the views that call them, and Q3, whose windows are the
-- 24 hours and 7 days before chm_now(). Call after chm_set_clock() in the
-- same transaction.
CREATE FUNCTION plain.diff_defaults()
RETURNS TABLE (question text, problem text, answer jsonb)
LANGUAGE sql STABLE AS $$
    SELECT 'q1()', 'only in chm_q1()', to_jsonb(x) FROM (
        SELECT * FROM chm_q1_failed_runs_hourly() EXCEPT ALL SELECT * FROM plain.q1()) x
    UNION ALL
    SELECT 'q1()', 'only in plain.q1()', to_jsonb(x) FROM (
        SELECT * FROM plain.q1() EXCEPT ALL SELECT * FROM chm_q1_failed_runs_hourly()) x
    UNION ALL
    SELECT 'q1 view', 'view differs', to_jsonb(x) FROM (
        (SELECT * FROM chm_q1_failed_runs_hourly EXCEPT ALL SELECT * FROM plain.q1())
        UNION ALL
        (SELECT * FROM plain.q1() EXCEPT ALL SELECT * FROM chm_q1_failed_runs_hourly)) x
    UNION ALL
    SELECT 'q5()', 'only in chm_q5()', to_jsonb(x) FROM (
        SELECT * FROM chm_q5_daily_success_rate() EXCEPT ALL SELECT * FROM plain.q5()) x
    UNION ALL
    SELECT 'q5()', 'only in plain.q5()', to_jsonb(x) FROM (
        SELECT * FROM plain.q5() EXCEPT ALL SELECT * FROM chm_q5_daily_success_rate()) x
    UNION ALL
    SELECT 'q5 view', 'view differs', to_jsonb(x) FROM (
        (SELECT * FROM chm_q5_daily_success_rate EXCEPT ALL SELECT * FROM plain.q5())
        UNION ALL
        (SELECT * FROM plain.q5() EXCEPT ALL SELECT * FROM chm_q5_daily_success_rate)) x
    UNION ALL
    SELECT 'q7()', 'only in chm_q7()', to_jsonb(x) FROM (
        SELECT * FROM chm_q7_flaky_pipelines() EXCEPT ALL SELECT * FROM plain.q7()) x
    UNION ALL
    SELECT 'q7()', 'only in plain.q7()', to_jsonb(x) FROM (
        SELECT * FROM plain.q7() EXCEPT ALL SELECT * FROM chm_q7_flaky_pipelines()) x
    UNION ALL
    SELECT 'q7 view', 'view differs', to_jsonb(x) FROM (
        (SELECT * FROM chm_q7_flaky_pipelines EXCEPT ALL SELECT * FROM plain.q7())
        UNION ALL
        (SELECT * FROM plain.q7() EXCEPT ALL SELECT * FROM chm_q7_flaky_pipelines)) x
    UNION ALL
    SELECT 'q8()', 'only in chm_q8()', to_jsonb(x) FROM (
        SELECT * FROM chm_q8_failure_rate_per_platform() EXCEPT ALL SELECT * FROM plain.q8()) x
    UNION ALL
    SELECT 'q8()', 'only in plain.q8()', to_jsonb(x) FROM (
        SELECT * FROM plain.q8() EXCEPT ALL SELECT * FROM chm_q8_failure_rate_per_platform()) x
    UNION ALL
    SELECT 'q8 view', 'view differs', to_jsonb(x) FROM (
        (SELECT * FROM chm_q8_failure_rate_per_platform EXCEPT ALL SELECT * FROM plain.q8())
        UNION ALL
        (SELECT * FROM plain.q8() EXCEPT ALL SELECT * FROM chm_q8_failure_rate_per_platform)) x
    UNION ALL
    SELECT 'q9()', 'differs', d.answer FROM plain.diff(chm_since('30 days'), chm_until()) d
    WHERE d.question = 'q9'
    UNION ALL
    -- the window of the no-argument call is the one compared just above
    SELECT 'q9()', 'not the answer of its default window', to_jsonb(x) FROM (
        (SELECT * FROM chm_q9_duration_distribution()
         EXCEPT ALL SELECT * FROM chm_q9_duration_distribution(chm_since('30 days'), chm_until()))
        UNION ALL
        (SELECT * FROM chm_q9_duration_distribution(chm_since('30 days'), chm_until())
         EXCEPT ALL SELECT * FROM chm_q9_duration_distribution())) x
    UNION ALL
    SELECT 'q9 view', 'not the function''s answer', to_jsonb(x) FROM (
        (SELECT * FROM chm_q9_duration_distribution
         EXCEPT ALL
         SELECT client, pipeline, platform, runs, p50_seconds, p90_seconds, p99_seconds, min_seconds,
                max_seconds, hist_10s, hist_1m, hist_5m, hist_15m, hist_1h, hist_6h, hist_inf
         FROM chm_q9_duration_distribution())
        UNION ALL
        (SELECT client, pipeline, platform, runs, p50_seconds, p90_seconds, p99_seconds, min_seconds,
                max_seconds, hist_10s, hist_1m, hist_5m, hist_15m, hist_1h, hist_6h, hist_inf
         FROM chm_q9_duration_distribution()
         EXCEPT ALL
         SELECT * FROM chm_q9_duration_distribution)) x
    UNION ALL
    SELECT 'q3', 'only in chm_q3_failures_per_client', to_jsonb(x) FROM (
        SELECT * FROM chm_q3_failures_per_client EXCEPT ALL SELECT * FROM plain.q3()) x
    UNION ALL
    SELECT 'q3', 'only in plain.q3()', to_jsonb(x) FROM (
        SELECT * FROM plain.q3() EXCEPT ALL SELECT * FROM chm_q3_failures_per_client) x
$$;

-- A rollup table's rows as comparable values: every column exactly but
-- dur_sum, a sum of doubles whose order differs between a day summed batch
-- by batch and the same day recounted (compared within 1e-9 relative).
-- Column-agnostic (jsonb), so a column added to chm_run_days is compared too.
CREATE FUNCTION plain.days_diff(got regclass, want regclass)
RETURNS TABLE (problem text, answer jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        WITH g AS (SELECT to_jsonb(t) AS j FROM %1$s t),
             w AS (SELECT to_jsonb(t) AS j FROM %2$s t)
        SELECT 'only in %1$s', x.j FROM (SELECT j - 'dur_sum' AS j FROM g EXCEPT ALL SELECT j - 'dur_sum' FROM w) x
        UNION ALL
        SELECT 'only in %2$s', x.j FROM (SELECT j - 'dur_sum' AS j FROM w EXCEPT ALL SELECT j - 'dur_sum' FROM g) x
        UNION ALL
        SELECT 'dur_sum beyond 1e-9',
               jsonb_build_object('pipeline_id', g.j->'pipeline_id', 'day', g.j->'day',
                                  'got', g.j->'dur_sum', 'want', w.j->'dur_sum')
        FROM g JOIN w ON g.j->'pipeline_id' = w.j->'pipeline_id' AND g.j->'day' = w.j->'day'
        WHERE NOT plain.q9_close((g.j->>'dur_sum')::double precision, (w.j->>'dur_sum')::double precision, 1e-9, 0)
    $q$, got, want);
END $$;
