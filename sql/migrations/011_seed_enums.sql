-- The enum values of the seed data model, exactly:
--   platform       airflow, dbt, cron, vendor_api, custom
--   pipeline_type  ingestion, transform, quality, export, healthcheck
-- A feed format (chm-normalize's source: dbt_cloud, dbt_artifact, openlineage,
-- vendor, ...) is no longer a platform. Every stored value is converted, no
-- row is lost; the mapping (README, "Seed enums: the values before them"):
--   platform       airflow -> airflow, dbt_cloud -> dbt, dbt_core -> dbt,
--                  openlineage -> custom, vendor -> vendor_api, cron -> cron,
--                  other -> custom
--   pipeline_type  ingestion -> ingestion, transformation -> transform,
--                  export -> export, data_quality -> quality,
--                  orchestration -> transform, reporting -> export,
--                  other -> transform
--
-- Two pipelines of a client that the mapping would give the same platform
-- and external_id (a dbt Cloud job and a dbt-core project both named
-- "nightly") would break the unique key feeds name pipelines by. The
-- migration then refuses with SQLSTATE CHM01 (chm migrate: exit 78), naming
-- them; its transaction rolls back, so the database stays as it was.
--
-- A column type cannot change under a view: the views that read these
-- columns or types (the Q1-Q10 views of 003, and any a user built on them)
-- are taken down and put back from their own stored definitions, with their
-- options, indexes, owner, comment and grants, so no view definition is
-- repeated here.

CREATE FUNCTION pg_temp.chm_seed_platform(old text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE old
        WHEN 'dbt_cloud' THEN 'dbt'
        WHEN 'dbt_core' THEN 'dbt'
        WHEN 'openlineage' THEN 'custom'
        WHEN 'vendor' THEN 'vendor_api'
        WHEN 'other' THEN 'custom'
        ELSE old   -- airflow, cron
    END
$$;

CREATE FUNCTION pg_temp.chm_seed_pipeline_type(old text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE old
        WHEN 'transformation' THEN 'transform'
        WHEN 'data_quality' THEN 'quality'
        WHEN 'orchestration' THEN 'transform'
        WHEN 'reporting' THEN 'export'
        WHEN 'other' THEN 'transform'
        ELSE old   -- ingestion, export
    END
$$;

DO $$
DECLARE
    groups int;
    list text;
BEGIN
    SELECT count(*),
           string_agg(x.line, '; ' ORDER BY x.client, x.external_id) FILTER (WHERE x.n <= 5)
    INTO groups, list
    FROM (
        SELECT c.name AS client, p.external_id,
               row_number() OVER (ORDER BY c.name, p.external_id) AS n,
               format('%s would share platform %s and external_id "%s"',
                      string_agg(format('%s/%s (%s)', c.name, p.name, p.platform),
                                 ' and ' ORDER BY p.name),
                      pg_temp.chm_seed_platform(p.platform::text), p.external_id) AS line
        FROM pipelines p
        JOIN clients c ON c.id = p.client_id
        WHERE p.external_id IS NOT NULL
        GROUP BY c.name, pg_temp.chm_seed_platform(p.platform::text), p.external_id
        HAVING count(*) > 1) x;
    IF groups > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CHM01',
            MESSAGE = format('pipelines of one client would share platform and external_id '
                             'under the seed platforms: %s%s', list,
                             CASE WHEN groups > 5 THEN format(' (and %s more)', groups - 5)
                                  ELSE '' END),
            HINT = 'give all but one pipeline of each group another external_id '
                   '(chm pipeline update CLIENT/NAME --external-id NEW_ID, or --external-id "" '
                   'to clear it), then run chm '
                   'migrate again; nothing was changed';
    END IF;
END $$;

-- The views that depend on the columns or on the types, and the views on
-- those, deepest last.
CREATE TEMP TABLE chm_seed_views ON COMMIT DROP AS
WITH RECURSIVE dep (oid, depth) AS (
    SELECT r.ev_class, 1
    FROM pg_depend d
    JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass
      AND ((d.refclassid = 'pg_class'::regclass AND d.refobjid = 'pipelines'::regclass
            AND d.refobjsubid IN (SELECT attnum FROM pg_attribute
                                  WHERE attrelid = 'pipelines'::regclass
                                    AND attname IN ('platform', 'pipeline_type')))
           OR (d.refclassid = 'pg_type'::regclass
               AND d.refobjid IN ('platform'::regtype, 'pipeline_type'::regtype)))
    UNION
    SELECT r.ev_class, dep.depth + 1
    FROM dep
    JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = dep.oid
                    AND d.classid = 'pg_rewrite'::regclass
    JOIN pg_rewrite r ON r.oid = d.objid
    WHERE r.ev_class <> dep.oid
)
SELECT c.oid,
       max(dep.depth) AS depth,
       format('%I.%I', n.nspname, c.relname) AS name,
       CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END AS kind,
       pg_get_viewdef(c.oid) AS definition,
       c.reloptions,
       c.relacl,
       c.relowner,
       obj_description(c.oid, 'pg_class') AS comment,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
             WHERE i.indrelid = c.oid ORDER BY i.indexrelid) AS indexes
FROM dep
JOIN pg_class c ON c.oid = dep.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm')
GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.reloptions, c.relacl, c.relowner;

DO $$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT * FROM chm_seed_views ORDER BY depth DESC, name LOOP
        EXECUTE format('DROP %s %s', v.kind, v.name);
    END LOOP;
END $$;

ALTER TYPE platform RENAME TO platform_before_seed;
ALTER TYPE pipeline_type RENAME TO pipeline_type_before_seed;
CREATE TYPE platform AS ENUM ('airflow', 'dbt', 'cron', 'vendor_api', 'custom');
CREATE TYPE pipeline_type AS ENUM ('ingestion', 'transform', 'quality', 'export', 'healthcheck');

-- One rewrite of pipelines; its indexes (the unique one on client_id,
-- platform, external_id among them) are rebuilt and checked on the way.
ALTER TABLE pipelines
    ALTER COLUMN platform TYPE platform
        USING pg_temp.chm_seed_platform(platform::text)::platform,
    ALTER COLUMN pipeline_type TYPE pipeline_type
        USING pg_temp.chm_seed_pipeline_type(pipeline_type::text)::pipeline_type;

DROP TYPE platform_before_seed;
DROP TYPE pipeline_type_before_seed;

DO $$
DECLARE
    v record;
    g record;
    i int;
BEGIN
    FOR v IN SELECT * FROM chm_seed_views ORDER BY depth, name LOOP
        EXECUTE format('CREATE %s %s%s AS %s', v.kind, v.name,
                       CASE WHEN v.reloptions IS NOT NULL
                            THEN format(' WITH (%s)', array_to_string(v.reloptions, ', '))
                            ELSE '' END,
                       rtrim(v.definition, ';'));
        FOR i IN 1 .. coalesce(array_length(v.indexes, 1), 0) LOOP
            EXECUTE v.indexes[i];   -- a materialized view's indexes
        END LOOP;
        IF v.comment IS NOT NULL THEN
            EXECUTE format('COMMENT ON %s %s IS %L', v.kind, v.name, v.comment);
        END IF;
        IF v.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user) THEN
            EXECUTE format('ALTER %s %s OWNER TO %I', v.kind, v.name, pg_get_userbyid(v.relowner));
        END IF;
        FOR g IN SELECT a.privilege_type, a.grantee, a.is_grantable
                 FROM aclexplode(v.relacl) a
                 WHERE a.grantee <> v.relowner LOOP
            EXECUTE format('GRANT %s ON %s TO %s%s', g.privilege_type, v.name,
                           CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                                ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
                           CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
        END LOOP;
    END LOOP;
END $$;
