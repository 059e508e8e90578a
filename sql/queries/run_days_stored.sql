-- Which of a batch's new days already have a rollup row (lib/engines/rundays.c):
-- those are merged (chm_run_days_new, chm_run_days_refresh), and the others
-- COPYed straight into chm_run_days, which costs a third of a merge. $1 the
-- days' pipelines, $2 their days as UTC days since 1970-01-01; every
-- pipeline x day asked, so the answer may pair more than the batch has. Run
-- after chm_run_days_lock: no other loader adds a day of these pipelines
-- until COMMIT.
SELECT pipeline_id, day - date '1970-01-01'
FROM chm_run_days
WHERE pipeline_id = ANY($1::bigint[])
  AND day = ANY(ARRAY(SELECT date '1970-01-01' + d FROM unnest($2::integer[]) AS u(d)))
