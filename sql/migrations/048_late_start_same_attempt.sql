-- A START that arrives after its run finished (an OpenLineage producer that
-- re-sends START with a later eventTime, Marquez #2264 and #2408; a late
-- event from a retried HTTP transport) has a later start time than the
-- stored run, and chm_run_action (002, 012) took any later start for a
-- newer attempt: the finished run went back to `running` and lost its
-- finish. The seed's rule is that a terminal run does not regress to
-- running unless the source is trusted to (--regressions).
--
-- A newer attempt of a run (Airflow keeps the run id when a run is
-- cleared and run again) starts once the stored attempt has finished; a
-- later start inside the stored attempt is a late event of that attempt.
-- So a later start replaces only when the stored run is running, has no
-- finish, or finished by then; otherwise the event is judged as one of the
-- same attempt: the same terminal status merges, another status is a stale
-- regression under --regressions (ignore: status and times stay, fields
-- the run lacks are filled).
--
-- The rule takes the stored finish, so it is a new function beside the old
-- one, which stays for a chm-load that predates this migration and is still
-- running while it applies; load_runs.sql and chm_run_round_trip (044) call
-- this one, and lib/engines/transition.c is its C twin.
CREATE FUNCTION chm_run_action(old_status run_status, old_started timestamptz, old_finished timestamptz,
                               new_status run_status, new_started timestamptz, policy text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN old_status IS NULL THEN 'insert'
        WHEN new_started > old_started
             AND (old_status = 'running' OR old_finished IS NULL OR new_started >= old_finished)
            THEN 'replace'
        WHEN new_started < old_started THEN 'older'
        WHEN old_status = 'running' THEN 'merge'
        WHEN new_status = old_status THEN 'same'
        WHEN policy = 'accept' THEN 'merge'
        WHEN policy = 'reject' THEN 'reject'
        ELSE 'fill'
    END
$$;

-- 044's round trip, judging each event by the rule above against the run
-- as the events before it leave it (c_finished included).
CREATE OR REPLACE FUNCTION chm_run_round_trip(
    policy text,
    status run_status, started_at timestamptz, finished_at timestamptz,
    duration_seconds double precision, rows_processed bigint, error_message text,
    status_reason text, payload jsonb,
    ev_status run_status[], ev_started_at timestamptz[], ev_finished_at timestamptz[],
    ev_duration_seconds double precision[], ev_rows_processed bigint[], ev_error_message text[],
    ev_status_reason text[], ev_payload jsonb[])
RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    -- the run as the events so far leave it
    c_status run_status := status;
    c_started timestamptz := started_at;
    c_finished timestamptz := finished_at;
    c_duration double precision := duration_seconds;
    c_rows bigint := rows_processed;
    c_error text := error_message;
    c_reason text := status_reason;
    c_payload jsonb := payload;
    -- after the event at hand
    n_status run_status;
    n_started timestamptz;
    n_finished timestamptz;
    n_duration double precision;
    n_rows bigint;
    n_error text;
    n_reason text;
    n_payload jsonb;
    a text;
    counts integer[] := '{0,0,0}';
BEGIN
    FOR i IN 1 .. coalesce(array_length(ev_status, 1), 0) LOOP
        a := chm_run_action(c_status, c_started, c_finished, ev_status[i], ev_started_at[i], policy);
        IF a = 'reject' THEN
            RETURN NULL;
        END IF;
        n_status := chm_run_pick_status(a, c_status, ev_status[i]);
        n_started := chm_run_pick(a, c_started, ev_started_at[i]);
        n_finished := chm_run_pick(a, c_finished, ev_finished_at[i]);
        n_duration := coalesce(chm_run_pick(a, c_duration,
                                            coalesce(ev_duration_seconds[i],
                                                     chm_run_duration(ev_started_at[i], ev_finished_at[i]))),
                               chm_run_duration(n_started, n_finished));
        n_rows := chm_run_pick(a, c_rows, ev_rows_processed[i]);
        n_error := chm_run_pick(a, c_error, ev_error_message[i]);
        n_reason := chm_run_pick(a, c_reason, ev_status_reason[i]);
        n_payload := chm_run_pick_payload(a, c_payload, ev_payload[i]);
        IF (n_status, n_started, n_finished, n_duration, n_rows, n_error, n_reason, n_payload)
           IS NOT DISTINCT FROM
           (c_status, c_started, c_finished, c_duration, c_rows, c_error, c_reason, c_payload) THEN
            IF a IN ('fill', 'older') THEN
                counts[3] := counts[3] + 1;
            ELSE
                counts[2] := counts[2] + 1;
            END IF;
        ELSE
            counts[1] := counts[1] + 1;
            c_status := n_status;
            c_started := n_started;
            c_finished := n_finished;
            c_duration := n_duration;
            c_rows := n_rows;
            c_error := n_error;
            c_reason := n_reason;
            c_payload := n_payload;
        END IF;
    END LOOP;
    IF (c_status, c_started, c_finished, c_duration, c_rows, c_error, c_reason, c_payload)
       IS NOT DISTINCT FROM
       (status, started_at, finished_at, duration_seconds, rows_processed, error_message,
        status_reason, payload) THEN
        RETURN counts;
    END IF;
    RETURN NULL;
END $$;
