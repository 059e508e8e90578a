-- Which of the migrations $1 (the ones a program carries, in order) the
-- database has not applied, as their places in $1 (from 1), in order: a
-- program refuses a schema behind it (chm_migrate_connect,
-- engines/migrate.c) rather than fail half-way through its work on a table
-- or column that is not there yet.
SELECT e.i
FROM unnest($1::text[]) WITH ORDINALITY AS e(version, i)
WHERE NOT EXISTS (SELECT 1 FROM schema_migrations m WHERE m.version = e.version)
ORDER BY e.i;
