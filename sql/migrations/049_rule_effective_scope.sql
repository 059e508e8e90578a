-- One enabled rule per scope, type, channel and destination, where the
-- scope is the rule's effective one: a rule that names a pipeline is that
-- pipeline's, whether or not it also names the pipeline's client (README,
-- "rule"; the seed's recommended unique active rule). The index of 001 keyed
-- the raw pair, so a rule on (acme, acme/orders) and one on (acme/orders)
-- were both enabled, and the destination got every alert twice under two
-- keys.
--
-- Enabled rules that already share an effective scope make the migration
-- refuse with SQLSTATE CHM01 (chm migrate: exit 78), naming them; its
-- transaction rolls back, so the database stays as it was.
DO $$
DECLARE
    groups integer;
    list text;
BEGIN
    SELECT count(*), string_agg(line, '; ' ORDER BY n) FILTER (WHERE n <= 5)
    INTO groups, list
    FROM (SELECT row_number() OVER (ORDER BY min(a.id)) AS n,
                 format('rules %s (%s, %s to %s)', string_agg(a.id::text, ' and ' ORDER BY a.id),
                        a.rule_type, a.channel, a.destination) AS line
          FROM alert_rules a
          WHERE a.is_enabled
          GROUP BY CASE WHEN a.pipeline_id IS NULL THEN a.client_id END, a.pipeline_id,
                   a.rule_type, a.channel, a.destination
          HAVING count(*) > 1) x;
    IF groups > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'CHM01',
            MESSAGE = format('enabled alert rules share an effective scope, type, channel and '
                             'destination: %s%s', list,
                             CASE WHEN groups > 5 THEN format(' (and %s more)', groups - 5)
                                  ELSE '' END),
            HINT = 'disable or delete all but one rule of each group (chm rule disable ID), '
                   'then run chm migrate again; nothing was changed';
    END IF;
END $$;

-- On a cluster alert_rules is a reference table, and Citus sends its index
-- DDL on to the workers as the query string it came in: this script's
-- several statements, which a worker refuses. EXECUTE gives each its own.
DO $$
BEGIN
    EXECUTE 'DROP INDEX alert_rules_enabled_key';
    EXECUTE 'CREATE UNIQUE INDEX alert_rules_enabled_key
                 ON alert_rules ((CASE WHEN pipeline_id IS NULL THEN client_id END), pipeline_id,
                                 rule_type, channel, destination) NULLS NOT DISTINCT
                 WHERE is_enabled';
END $$;
