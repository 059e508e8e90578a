-- updated_at is now written by the statements that update a row, not by
-- BEFORE UPDATE triggers: each UPDATE in sql/queries sets updated_at = now(),
-- each ON CONFLICT DO UPDATE sets EXCLUDED.updated_at (the column default,
-- now(): Citus allows only immutable functions in DO UPDATE SET). Citus (chm migrate --citus) refuses to
-- distribute a table with triggers unless citus.enable_unsafe_triggers is on,
-- and a trigger on a shard would run on a worker, outside the coordinator's
-- transaction snapshot of now(). One schema for one node and for a cluster:
-- the statements are the only writers (chm-load, the chm commands), so
-- nothing is lost. now() is the transaction's start, as the trigger gave.
DROP TRIGGER IF EXISTS clients_touch ON clients;
DROP TRIGGER IF EXISTS pipelines_touch ON pipelines;
DROP TRIGGER IF EXISTS runs_touch ON runs;
DROP TRIGGER IF EXISTS alert_rules_touch ON alert_rules;
DROP FUNCTION IF EXISTS chm_touch_updated_at();
