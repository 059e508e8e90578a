-- chm migrate --citus, on a Citus coordinator after the migrations: runs
-- sharded by pipeline_id (every unique key on runs includes it, and every
-- question reads runs per pipeline), clients, pipelines and alert_rules as
-- reference tables (small, joined to everything, copied to every node).
-- chm-load's staging table is sharded like runs (colocate_with), so the
-- upsert's join of staged events to runs is pushed down to the shards.
-- One transaction, idempotent: each step is done only when it is missing, so
-- it runs on an empty database, on one holding data (distributing in place)
-- and again after later migrations.
--
-- Order matters. Foreign keys between the four tables are dropped first and
-- re-created last: making `pipelines` a reference table while the plain table
-- runs still references it would turn runs into a Citus local table, which
-- then refuses to distribute because of its identity column. Distributed ->
-- reference foreign keys are what Citus supports, so all of them come back.
-- A table holding data is copied to its shards; the coordinator's own copy
-- is then emptied (truncate_local_data_after_distributing_table), or it
-- would sit there unread, as large as the history.
-- CHM's own SQL functions are distributed too: the workers evaluate them
-- (the run transitions in chm-load's upsert, the clock of the report views).
-- Raises SQLSTATE CH001 (a refusal for the user to fix) without Citus.
DO $$
DECLARE
    fk record;
    fks text[] := '{}';
    fn regprocedure;
    changed integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'the citus extension is not installed in this database'
            USING ERRCODE = 'CH001',
                  HINT = 'on the coordinator (shared_preload_libraries = ''citus''): CREATE EXTENSION citus; then add the workers (citus_add_node)';
    END IF;
    -- sequential: reference tables and foreign keys to them in one transaction
    SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

    IF EXISTS (SELECT 1 FROM unnest(ARRAY['clients', 'pipelines', 'runs', 'alert_rules']) t(name)
               WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition d
                                 WHERE d.logicalrelid = t.name::regclass)) THEN
        FOR fk IN
            SELECT c.conrelid::regclass AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
            FROM pg_constraint c
            WHERE c.contype = 'f'
              AND c.conrelid IN ('clients'::regclass, 'pipelines'::regclass,
                                 'runs'::regclass, 'alert_rules'::regclass)
            ORDER BY c.conrelid::regclass::text, c.conname
        LOOP
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
            fks := fks || format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.tbl, fk.conname, fk.def);
        END LOOP;
    END IF;

    -- the functions before the tables: a distributed table's shards are
    -- created on the workers with whatever they depend on. Not those whose
    -- rows are a table's (chm_run_days_of, chm_run_days_edges: 040, 041):
    -- Citus refuses them before their table, and only the coordinator calls
    -- them, each statement of theirs a distributed query of its own.
    FOR fn IN
        SELECT p.oid::regprocedure
        FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
          AND p.proname LIKE 'chm\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_type t ON t.oid = d.refobjid
                          WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                            AND d.refclassid = 'pg_type'::regclass AND t.typrelid <> 0)
          AND NOT EXISTS (SELECT 1 FROM pg_dist_object o
                          WHERE o.classid = 'pg_proc'::regclass AND o.objid = p.oid)
        ORDER BY p.oid
    LOOP
        PERFORM create_distributed_function(fn);
        changed := changed + 1;
    END LOOP;

    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'runs'::regclass) THEN
        PERFORM create_distributed_table('runs', 'pipeline_id');
        PERFORM truncate_local_data_after_distributing_table('runs');
        changed := changed + 1;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chm_stage'::regclass) THEN
        PERFORM create_distributed_table('chm_stage', 'pipeline_id', colocate_with => 'runs');
        changed := changed + 1;
    END IF;
    -- the daily rollups (040), and the days a loader adds or recounts:
    -- sharded with runs, so a recount and a question read a pipeline's runs
    -- and rollups on one node
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chm_run_days'::regclass) THEN
        PERFORM create_distributed_table('chm_run_days', 'pipeline_id', colocate_with => 'runs');
        PERFORM truncate_local_data_after_distributing_table('chm_run_days');
        changed := changed + 1;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chm_run_days_new'::regclass) THEN
        PERFORM create_distributed_table('chm_run_days_new', 'pipeline_id', colocate_with => 'runs');
        changed := changed + 1;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'chm_run_days_dirty'::regclass) THEN
        PERFORM create_distributed_table('chm_run_days_dirty', 'pipeline_id', colocate_with => 'runs');
        changed := changed + 1;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'clients'::regclass) THEN
        PERFORM create_reference_table('clients');
        PERFORM truncate_local_data_after_distributing_table('clients');
        changed := changed + 1;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'pipelines'::regclass) THEN
        PERFORM create_reference_table('pipelines');
        PERFORM truncate_local_data_after_distributing_table('pipelines');
        changed := changed + 1;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'alert_rules'::regclass) THEN
        PERFORM create_reference_table('alert_rules');
        PERFORM truncate_local_data_after_distributing_table('alert_rules');
        changed := changed + 1;
    END IF;

    FOR i IN 1 .. coalesce(array_length(fks, 1), 0) LOOP
        EXECUTE fks[i];
    END LOOP;
    PERFORM set_config('chm.citus_changed', changed::text, true);
END $$;

-- What the cluster holds now: one row per CHM table (how it is spread,
-- its shard count) and how many steps this run took.
SELECT d.logicalrelid::text AS table_name,
       CASE d.partmethod WHEN 'h' THEN 'distributed' WHEN 'n' THEN 'reference' ELSE 'other' END AS kind,
       (SELECT count(*) FROM pg_dist_shard s WHERE s.logicalrelid = d.logicalrelid) AS shards,
       current_setting('chm.citus_changed')::integer AS changed
FROM pg_dist_partition d
WHERE d.logicalrelid IN ('clients'::regclass, 'pipelines'::regclass,
                         'runs'::regclass, 'alert_rules'::regclass, 'chm_stage'::regclass,
                         'chm_run_days'::regclass, 'chm_run_days_dirty'::regclass,
                         'chm_run_days_new'::regclass)
ORDER BY 1;
