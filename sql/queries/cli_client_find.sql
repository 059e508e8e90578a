-- A client by id ($1, null when the reference is not a number) or name ($2);
-- an id match wins over a client whose name is those digits.
SELECT id FROM clients
WHERE id = $1::bigint OR name = $2
ORDER BY coalesce(id = $1::bigint, false) DESC
LIMIT 1
