-- A run's duration when no event gave one: finished - started, once both are
-- known (OpenLineage sends the start and the end in separate events). Never
-- negative: a finish before the start gives none.
CREATE FUNCTION chm_run_duration(started timestamptz, finished timestamptz)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN finished >= started THEN extract(epoch FROM finished - started)::double precision END
$$;
