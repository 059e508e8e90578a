-- The planner's idea of the size of runs before a load: its row estimate,
-- -1 when it was never analyzed (chm-load decides from it whether to
-- ANALYZE after the load).
SELECT reltuples::bigint FROM pg_class WHERE oid = 'runs'::regclass;
