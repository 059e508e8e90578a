-- After a load that changed a large share of runs: statistics for the
-- planner now, as pg_restore and other bulk loaders leave them, so the
-- first report after a backfill is planned as well as the hundredth. The
-- daily rollups (040) the questions read grew with it.
ANALYZE runs, chm_run_days;
