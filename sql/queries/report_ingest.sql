-- chm_last_ingest_timestamp_seconds{source}: when CHM last stored a run of
-- each source, for an alert on a feed that went quiet. A source is the
-- platform of the run's pipeline (airflow, dbt, cron, vendor_api, custom):
-- the schema does not record which feed format or program loaded a run, and
-- every feed but OpenLineage loads the pipelines of one platform (README,
-- chm-normalize). A run is stored when created (its created_at, the
-- ingestion time) and again when an event changes it (updated_at); the later
-- counts. Wall-clock facts: --now does not move them. A platform without
-- runs has no sample. Reads the daily rollups (040: each day's newest
-- updated_at), a row a pipeline and day, and the runs without a start, which
-- are in no day (by runs_started_idx): not all of runs.
SELECT p.platform::text AS source, max(t.at) AS ingest
FROM (SELECT d.pipeline_id, d.last_updated_at AS at FROM chm_run_days d
      UNION ALL
      SELECT r.pipeline_id, r.updated_at FROM runs r WHERE r.started_at IS NULL) AS t
JOIN pipelines p ON p.id = t.pipeline_id
GROUP BY p.platform
ORDER BY p.platform
