-- Concurrent inventory loads of the same pipeline or alert rule: one at a time per
-- natural key ($1), until the transaction ends, so the second load sees the
-- first one's row (READ COMMITTED takes a new snapshot a statement) instead
-- of inserting a second rule or failing on the enabled-rule key.
SELECT pg_advisory_xact_lock(hashtextextended($1, 0))
