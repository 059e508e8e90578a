-- chm-load's staging table, now one table for every loader instead of a
-- temporary table a session. On Citus `chm migrate --citus` distributes it
-- by pipeline_id co-located with runs, so the upsert's join of the staged
-- events to the stored runs (sql/queries/load_runs.sql) runs shard by shard
-- on the workers. A temporary table lives only on the coordinator, and a
-- join of it to runs made Citus pull every run to the coordinator for every
-- round of every batch (an unchanged replay of 20k runs: 121 s; now 5 s).
--
-- A loader's rows never outlive its transaction: it COPYs a batch in, runs
-- the rounds, and deletes its rows before COMMIT (a failed batch rolls
-- back). No other session ever sees them, so loaders need no key of their
-- own and `DELETE FROM chm_stage` removes only the loader's rows. UNLOGGED:
-- rows that never commit need no WAL.
CREATE UNLOGGED TABLE chm_stage (
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
);
