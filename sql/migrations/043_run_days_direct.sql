-- chm-load COPYs a batch's days that have no rollup row yet straight into
-- chm_run_days (sql/queries/run_days_stored.sql), and only merges the stored
-- ones: a first load then stores each day once at the cost of a COPY, not of
-- an INSERT ... ON CONFLICT that merges arrays. Such a row's runs were written
-- by the same transaction, so its last_updated_at is the transaction's start,
-- as chm_run_days_refresh() gives a new day.
ALTER TABLE chm_run_days ALTER COLUMN last_updated_at SET DEFAULT now();

-- chm-load ANALYZEs chm_run_days after a large load (runs_analyze.sql), and
-- the statistics of its arrays, times and durations took two thirds of that
-- (0.5 s at 83k rows): no question filters or joins on them.
ALTER TABLE chm_run_days
    ALTER COLUMN failed_hours SET STATISTICS 0,
    ALTER COLUMN dur_buckets SET STATISTICS 0,
    ALTER COLUMN dur_counts SET STATISTICS 0,
    ALTER COLUMN sf_first_at SET STATISTICS 0,
    ALTER COLUMN sf_last_at SET STATISTICS 0,
    ALTER COLUMN dur_sum SET STATISTICS 0,
    ALTER COLUMN dur_min SET STATISTICS 0,
    ALTER COLUMN dur_max SET STATISTICS 0,
    ALTER COLUMN last_updated_at SET STATISTICS 0;
