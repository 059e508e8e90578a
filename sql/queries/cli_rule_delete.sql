-- chm rule delete: $1 id. Rules have no history of their own; runs keep theirs.
DELETE FROM alert_rules WHERE id = $1::bigint RETURNING id
