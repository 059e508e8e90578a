-- How a stored run changes when an event for it arrives (chm-records(5),
-- under "run"). chm-load's upsert (sql/queries/load_runs.sql) calls
-- these both to filter out events that change nothing (so an unchanged replay
-- writes no row version) and in ON CONFLICT DO UPDATE against the row as it is
-- at that moment (so concurrent loaders converge). They are plain SQL
-- expressions the planner inlines.
--
-- The action for an event (new_*) against a stored run (old_*):
--   insert   no stored run
--   replace  a newer attempt: the event started later than the stored run
--            (Airflow keeps the run id when a run is cleared and run again);
--            the attempt's fields are the event's
--   older    an event of an earlier attempt (it started before the stored
--            run): history, it changes nothing
--   merge    running -> anything, terminal -> the same terminal status, or a
--            stale regression under policy 'accept': status from the event,
--            every other field from the event unless the event lacks it
--   fill     a stale regression under policy 'ignore': status stays; only
--            fields the stored run lacks are taken from the event (a START
--            arriving after its COMPLETE still gives the start time)
--   reject   a stale regression under policy 'reject': nothing changes
-- Fields: insert and replace take the event's; merge the event's unless it
-- lacks one; fill the stored one unless it lacks one; older and reject keep.
CREATE FUNCTION chm_run_action(old_status run_status, old_started timestamptz,
                               new_status run_status, new_started timestamptz, policy text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN old_status IS NULL THEN 'insert'
        WHEN new_started > old_started THEN 'replace'
        WHEN new_started < old_started THEN 'older'
        WHEN old_status = 'running' OR new_status = old_status THEN 'merge'
        WHEN policy = 'accept' THEN 'merge'
        WHEN policy = 'reject' THEN 'reject'
        ELSE 'fill'
    END
$$;

-- The value of one field after an action.
CREATE FUNCTION chm_run_pick(action text, old_value anyelement, new_value anyelement)
RETURNS anyelement LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE action
        WHEN 'insert' THEN new_value
        WHEN 'replace' THEN new_value
        WHEN 'merge' THEN coalesce(new_value, old_value)
        WHEN 'fill' THEN coalesce(old_value, new_value)
        ELSE old_value
    END
$$;

-- The status after an action: fill, older and reject keep the stored one.
CREATE FUNCTION chm_run_pick_status(action text, old_status run_status, new_status run_status)
RETURNS run_status LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN action IN ('fill', 'older', 'reject') THEN old_status ELSE new_status END
$$;
