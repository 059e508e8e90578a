-- chm client create: $1 name, $2 description.
INSERT INTO clients (name, description) VALUES ($1, $2) RETURNING id
