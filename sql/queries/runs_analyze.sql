-- After a load that changed a large share of runs: statistics for the
-- planner now, as pg_restore and other bulk loaders leave them, so the
-- first report after a backfill is planned as well as the hundredth. The
-- daily rollups (040) the questions read grew with it.
--
-- Only the columns the questions filter, join and group by: sampling the
-- payloads and messages was 40% of this ANALYZE (0.13 s of 0.34 at 1M
-- runs), and no query of ours plans with them. Analyzing a column list
-- leaves autovacuum's count of changes as it was (PostgreSQL resets it
-- only for a whole-table ANALYZE), so autovacuum still analyzes every
-- column after the load, as it does after any COPY.
ANALYZE runs (pipeline_id, external_run_id, status, started_at, finished_at, duration_seconds),
        chm_run_days;
