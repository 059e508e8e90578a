-- The clock and window of the report views (chm.now, chm.since, chm.until;
-- 003_report_views.sql) for the rest of the transaction, on every node that
-- evaluates them. set_config() changes only the session it runs in; on a
-- Citus cluster the workers evaluate chm_now() and chm_since() in the
-- windowed questions (Q1, Q3, Q5, Q7-Q9 are pushed down to the shards), so
-- the settings must reach them too. Citus forwards SET LOCAL statements to
-- the workers of the transaction when citus.propagate_set_commands is 'local'
-- (on one node that setting is an unused placeholder); hence SET LOCAL,
-- built here from the values (%L quotes them), rather than set_config().
-- Returns the instant the questions are asked. A null or '' keeps the default.
CREATE FUNCTION chm_set_clock(now_at text, since text, until text) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM set_config('citus.propagate_set_commands', 'local', true);
    EXECUTE format('SET LOCAL chm.now TO %L', coalesce(now_at, ''));
    EXECUTE format('SET LOCAL chm.since TO %L', coalesce(since, ''));
    EXECUTE format('SET LOCAL chm.until TO %L', coalesce(until, ''));
    RETURN chm_now();
END $$;
