-- Whether none of the pipelines $1 has a stored run: chm-load's first batch
-- then goes straight into runs, as later batches do once a batch found
-- every key new (a first load of a history, a new client's pipelines).
-- One probe of runs' unique index a pipeline.
SELECT NOT EXISTS (SELECT 1 FROM runs WHERE pipeline_id = ANY ($1::bigint[]));
