-- Two events of one run with the same terminal status (two COMPLETEs of an
-- OpenLineage run, one with every facet and one with a few; a dbt Cloud run
-- polled twice) are of equal standing. The later one used to win, so
-- replaying both flipped the payload back and forth and an unchanged replay
-- wrote rows. Between such events the greater payload, in jsonb's own order
-- (more keys first), now wins whatever their order, so the result is the same
-- for every replay and a replay writes nothing. The other fields still take
-- the event's value when it has one ("terminal -> the same terminal refreshes
-- fields"). The action for them is 'same', which picks like 'merge'.
CREATE OR REPLACE FUNCTION chm_run_action(old_status run_status, old_started timestamptz,
                                          new_status run_status, new_started timestamptz, policy text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN old_status IS NULL THEN 'insert'
        WHEN new_started > old_started THEN 'replace'
        WHEN new_started < old_started THEN 'older'
        WHEN old_status = 'running' THEN 'merge'
        WHEN new_status = old_status THEN 'same'
        WHEN policy = 'accept' THEN 'merge'
        WHEN policy = 'reject' THEN 'reject'
        ELSE 'fill'
    END
$$;

CREATE OR REPLACE FUNCTION chm_run_pick(action text, old_value anyelement, new_value anyelement)
RETURNS anyelement LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE action
        WHEN 'insert' THEN new_value
        WHEN 'replace' THEN new_value
        WHEN 'merge' THEN coalesce(new_value, old_value)
        WHEN 'same' THEN coalesce(new_value, old_value)
        WHEN 'fill' THEN coalesce(old_value, new_value)
        ELSE old_value
    END
$$;

-- The payload after an action: as chm_run_pick, except between events of
-- equal standing.
CREATE FUNCTION chm_run_pick_payload(action text, old_value jsonb, new_value jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN action = 'same' THEN greatest(old_value, new_value)
                ELSE chm_run_pick(action, old_value, new_value) END
$$;
