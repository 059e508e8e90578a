-- A run that failed before it started (queued, then failed; canceled by an
-- upstream failure; a dbt Cloud job refused at its first step) has no
-- started_at, and chm_alert_failures (024) counted only runs with one: such
-- a failure never fired on_failure nor counted in a window. Its finish, or
-- else when chm-load first stored it, says when it happened.
--
-- The runs with a start are still read by a range of runs_failed_idx; those
-- without one are the index's NULL end of the same pipeline (few): one
-- scan with an OR of the two (a bitmap OR of the two index ranges), rather
-- than a coalesce that would read every failure of the pipeline. One
-- SELECT straight from runs, not a UNION or a subquery: Citus routes a
-- single-table query by its pipeline_id parameter (its fast path), and
-- refuses to plan the others in a generic plan.
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
    -- began: the start, else when it ended; ended: the finish, else the start
    SELECT count(*), min(coalesce(x.started_at, x.finished_at, x.created_at)),
           max(coalesce(x.finished_at, x.started_at, x.created_at)),
           (array_agg(x.external_run_id ORDER BY coalesce(x.started_at, x.finished_at, x.created_at) DESC,
                      x.id DESC))[1:10],
           (array_agg(x.error_message ORDER BY coalesce(x.started_at, x.finished_at, x.created_at) DESC,
                      x.id DESC))[1]
    INTO failures, oldest, last_failed_at, run_ids, last_error
    FROM runs x
    WHERE x.pipeline_id = pid
      AND x.status = 'failed'
      AND ((x.started_at > after AND x.started_at >= first_eval) OR x.started_at IS NULL)
      AND coalesce(x.started_at, x.finished_at, x.created_at) > after
      AND coalesce(x.started_at, x.finished_at, x.created_at) >= first_eval
      AND coalesce(x.finished_at, x.started_at, x.created_at) <= at;
END $$;
