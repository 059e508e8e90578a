-- Every pipeline of client $1 with external_id $2, whatever its platform (a
-- run of a feed that serves many platforms, OpenLineage): more than one is
-- ambiguous. Columns as pipelines_all.sql.
SELECT p.id, c.name, p.platform, p.external_id, p.name
FROM pipelines p JOIN clients c ON c.id = p.client_id
WHERE c.name = $1 AND p.external_id = $2
