-- A run that failed before it started (queued, then failed; canceled by an
-- upstream failure; a dbt Cloud job refused at its first step) has no
-- started_at, and chm_alert_failures (024) counted only runs with one: such
-- a failure never fired on_failure nor counted in a window. Its finish, or
-- else when chm-load first stored it, says when it happened.
--
-- The runs with a start are still read by a range of runs_failed_idx; those
-- without one are the index's NULL end of the same pipeline (few), a
-- second branch rather than a coalesce that would read every failure of
-- the pipeline.
CREATE OR REPLACE FUNCTION chm_alert_failures(pid bigint, rule alert_rule_type, window_minutes integer,
                                              first_eval timestamptz, at timestamptz,
                                              OUT failures bigint, OUT oldest timestamptz,
                                              OUT last_failed_at timestamptz, OUT run_ids text[],
                                              OUT last_error text)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    after timestamptz;
BEGIN
    IF rule = 'on_failure' THEN
        SELECT r.started_at INTO after
        FROM runs r
        WHERE r.pipeline_id = pid AND r.status = 'success'
          AND coalesce(r.finished_at, r.started_at) <= at
        ORDER BY r.started_at DESC NULLS LAST
        LIMIT 1;
    ELSE
        after := at - make_interval(mins => window_minutes);
    END IF;
    after := coalesce(after, '-infinity');
    SELECT count(*), min(x.began), max(x.ended),
           (array_agg(x.external_run_id ORDER BY x.began DESC, x.id DESC))[1:10],
           (array_agg(x.error_message ORDER BY x.began DESC, x.id DESC))[1]
    INTO failures, oldest, last_failed_at, run_ids, last_error
    FROM (SELECT r.id, r.started_at AS began, coalesce(r.finished_at, r.started_at) AS ended,
                 r.external_run_id, r.error_message
          FROM runs r
          WHERE r.pipeline_id = pid
            AND r.started_at > after
            AND r.started_at >= first_eval
            AND r.status = 'failed'
            AND coalesce(r.finished_at, r.started_at) <= at
          UNION ALL
          SELECT r.id, w.t, w.t, r.external_run_id, r.error_message
          FROM runs r
          CROSS JOIN LATERAL (SELECT coalesce(r.finished_at, r.created_at) AS t) w
          WHERE r.pipeline_id = pid
            AND r.started_at IS NULL
            AND r.status = 'failed'
            AND w.t > after
            AND w.t >= first_eval
            AND w.t <= at) x;
END $$;
