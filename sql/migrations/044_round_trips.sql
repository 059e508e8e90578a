-- A run that meets several of its events in one batch meets them in rounds
-- (load_runs.sql), each round writing what its event changed. When the
-- events, applied in order, end where the stored run already is, those
-- writes only take the row away and back: two `success` events of one cron
-- run with the same start and different finishes ("terminal -> the same
-- terminal refreshes fields") rewrote the run twice in every replay, and
-- its day's rollups with it. Before a round writes such a run, chm-load asks
-- this function whether the run's later events take it back (load_runs.sql),
-- and if so writes none of them.
--
-- Returns what each event would have counted, as the rounds count it:
-- {updated, unchanged, ignored}; NULL when the events end elsewhere, or when
-- one of them is refused (the rounds report it). The steps are the rules of
-- the ON CONFLICT in load_runs.sql: the duration an event brings is the one
-- it gives or its times give, and the run's falls back to its own times.
CREATE FUNCTION chm_run_round_trip(
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
        a := chm_run_action(c_status, c_started, ev_status[i], ev_started_at[i], policy);
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

-- How many events the staged event's key has in its batch (a key's events
-- are its rounds 1..events): load_runs.sql asks about a round trip only for
-- an event with later ones, and finds them by its key alone.
ALTER TABLE chm_stage ADD COLUMN events integer NOT NULL DEFAULT 1;
