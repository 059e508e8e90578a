-- Every pipeline as CLIENT/NAME and as NAME: --pipeline takes either.
SELECT c.name || '/' || p.name FROM pipelines p JOIN clients c ON c.id = p.client_id
UNION
SELECT p.name FROM pipelines p
ORDER BY 1
