-- chm rule update/enable/disable: $1 id and every value as it is to be:
-- $2 rule_type, $3 threshold, $4 window_minutes, $5 channel, $6 destination,
-- $7 is_enabled. A rule that would not change is not written.
UPDATE alert_rules SET
    (rule_type, threshold, window_minutes, channel, destination, is_enabled) =
    ($2::alert_rule_type, $3::integer, $4::integer, $5::alert_channel, $6, $7::boolean),
    updated_at = now()
WHERE id = $1::bigint
  AND ($2::alert_rule_type, $3::integer, $4::integer, $5::alert_channel, $6, $7::boolean)
      IS DISTINCT FROM (rule_type, threshold, window_minutes, channel, destination, is_enabled)
RETURNING id
