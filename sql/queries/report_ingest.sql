-- chm_last_ingest_timestamp_seconds{source}: when CHM last stored a run of
-- each source, for an alert on a feed that went quiet. A source is the
-- platform of the run's pipeline (airflow, dbt, cron, vendor_api, custom):
-- the schema does not record which feed format or program loaded a run, and
-- every feed but OpenLineage loads the pipelines of one platform (README,
-- chm-normalize). A run is stored when created (its created_at, the
-- ingestion time) and again when an event changes it (updated_at); the later
-- counts. Wall-clock facts: --now does not move them. A platform without
-- runs has no sample. Reads all of runs (one aggregate, no index on
-- updated_at: a scrape is rare next to the loads an index would slow).
SELECT p.platform::text AS source, max(r.updated_at) AS ingest
FROM runs r
JOIN pipelines p ON p.id = r.pipeline_id
GROUP BY p.platform
ORDER BY p.platform
