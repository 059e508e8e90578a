-- chm-load COPYs a batch's days that have no rollup row yet straight into
-- chm_run_days (sql/queries/run_days_stored.sql), and only merges the stored
-- ones: a first load then stores each day once at the cost of a COPY, not of
-- an INSERT ... ON CONFLICT that merges arrays. Such a row's runs were written
-- by the same transaction, so its last_updated_at is the transaction's start,
-- as chm_run_days_refresh() gives a new day.
ALTER TABLE chm_run_days ALTER COLUMN last_updated_at SET DEFAULT now();
