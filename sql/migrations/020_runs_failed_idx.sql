-- The recent failures of one pipeline, by an index probe whatever the length
-- of its history: chm-alert (sql/queries/alert_eval.sql) reads them for every
-- pipeline a rule covers, each run of its timer. Partial, so a load pays for
-- it only on failed runs.
CREATE INDEX runs_failed_idx ON runs (pipeline_id, started_at DESC) WHERE status = 'failed';
