-- chm-load's staging table: one per session, emptied at every commit.
CREATE TEMP TABLE IF NOT EXISTS chm_stage (
    round            integer NOT NULL,
    seq              integer NOT NULL,
    pipeline_id      bigint NOT NULL,
    external_run_id  text NOT NULL,
    status           run_status NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    duration_seconds double precision,
    rows_processed   bigint,
    error_message    text,
    status_reason    text,
    payload          jsonb
) ON COMMIT DELETE ROWS
