-- After a load that changed a large share of runs: statistics for the
-- planner now, so the first report after a backfill is planned as well as
-- the hundredth (without them a first report of a fresh 300k-run history
-- took 23 s, 1.2 s after this). The daily rollups (040) the questions read
-- grew with it.
--
-- Only the columns the questions filter, join and group by: sampling the
-- payloads and messages was 40% of this ANALYZE (0.13 s of 0.34 at 1M
-- runs), and no query of ours plans with them. And a sample of 3,000 rows
-- (statistics target 10), not 30,000: enough for row counts, the statuses
-- and a coarse histogram of starts, at a fifth of the time (22 ms against
-- 113-131 ms at 200k runs). Analyzing a column list leaves autovacuum's
-- count of changes as it was (PostgreSQL resets it only for a whole-table
-- ANALYZE), so autovacuum still analyzes every column at the full target
-- after the load, as it does after any COPY.
DO $$
BEGIN
    PERFORM set_config('default_statistics_target', '10', true);
    ANALYZE runs (pipeline_id, external_run_id, status, started_at, finished_at, duration_seconds),
            chm_run_days;
END $$;
