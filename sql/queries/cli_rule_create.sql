-- chm rule create: $1 client id, $2 pipeline id (either may be null),
-- $3 rule_type, $4 threshold, $5 window_minutes, $6 channel, $7 destination.
INSERT INTO alert_rules (client_id, pipeline_id, rule_type, threshold, window_minutes, channel, destination)
VALUES ($1::bigint, $2::bigint, $3::alert_rule_type, $4::integer, $5::integer, $6::alert_channel, $7)
RETURNING id
