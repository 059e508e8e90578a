-- The whole inventory for chm-load's pipeline cache (lib/resolve.c).
SELECT p.id, c.name, p.platform, p.external_id, p.name
FROM pipelines p JOIN clients c ON c.id = p.client_id
