-- chm-alert's reading of one covered pipeline (sql/queries/alert_eval.sql)
-- as a function, for the reason of 022_pipeline_probes.sql: on Citus a
-- correlated subquery over runs next to the rule CTEs cannot be pushed down,
-- while a call is a router query to the one shard holding the pipeline; on
-- one node it is the same probes of runs_pipeline_latest_idx as before,
-- planned once (a generic plan, as in 022).
--
-- The failures of pipeline pid that count for a rule evaluated at `at`:
-- on_failure counts the failures since the pipeline's last success (the
-- current streak), failures_in_window those in the last window_minutes; none
-- started before first_eval (no alert storm for history), none finished
-- after `at`. Returns how many, the oldest start, the last finish, the
-- latest 10 external run ids (newest first) and the latest error.
CREATE FUNCTION chm_alert_failures(pid bigint, rule alert_rule_type, window_minutes integer,
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
    SELECT count(*), min(x.started_at), max(coalesce(x.finished_at, x.started_at)),
           (array_agg(x.external_run_id ORDER BY x.started_at DESC, x.id DESC))[1:10],
           (array_agg(x.error_message ORDER BY x.started_at DESC, x.id DESC))[1]
    INTO failures, oldest, last_failed_at, run_ids, last_error
    FROM runs x
    WHERE x.pipeline_id = pid
      AND x.started_at > after
      AND x.started_at >= first_eval
      AND x.status = 'failed'
      AND coalesce(x.finished_at, x.started_at) <= at;
END $$;
