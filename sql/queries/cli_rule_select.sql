-- chm rule get/list: one JSON object a row, with the effective scope: the
-- pipeline when the rule names one (client and pipeline: the pipeline wins),
-- else the client. $1 id; $2 client id (rules naming the client or one of its
-- pipelines); $3 pipeline id; $4 rule_type; $5 channel; $6 is_enabled.
SELECT json_build_object(
           'id', a.id,
           'effective_scope', CASE WHEN a.pipeline_id IS NOT NULL THEN 'pipeline' ELSE 'client' END,
           'effective_scope_id', coalesce(a.pipeline_id, a.client_id),
           'effective_scope_name', CASE WHEN a.pipeline_id IS NOT NULL
                                        THEN pc.name || '/' || p.name ELSE c.name END,
           'client', c.name, 'client_id', a.client_id,
           'pipeline', pc.name || '/' || p.name, 'pipeline_id', a.pipeline_id,
           'rule_type', a.rule_type, 'threshold', a.threshold, 'window_minutes', a.window_minutes,
           'channel', a.channel, 'destination', a.destination, 'is_enabled', a.is_enabled,
           'created_at', chm_rfc3339(a.created_at), 'updated_at', chm_rfc3339(a.updated_at))
FROM alert_rules a
LEFT JOIN clients c ON c.id = a.client_id
LEFT JOIN pipelines p ON p.id = a.pipeline_id
LEFT JOIN clients pc ON pc.id = p.client_id
WHERE ($1::bigint IS NULL OR a.id = $1::bigint)
  AND ($2::bigint IS NULL OR a.client_id = $2::bigint OR p.client_id = $2::bigint)
  AND ($3::bigint IS NULL OR a.pipeline_id = $3::bigint)
  AND ($4::alert_rule_type IS NULL OR a.rule_type = $4::alert_rule_type)
  AND ($5::alert_channel IS NULL OR a.channel = $5::alert_channel)
  AND ($6::boolean IS NULL OR a.is_enabled = $6::boolean)
ORDER BY a.id
