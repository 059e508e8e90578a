-- chm pipeline create: $1 client id, $2 name, $3 platform, $4 pipeline_type,
-- $5 environment (null: prod), $6 external_id, $7 description.
INSERT INTO pipelines (client_id, name, platform, pipeline_type, environment, external_id, description)
VALUES ($1::bigint, $2, $3::platform, $4::pipeline_type, coalesce($5::environment, 'prod'),
        nullif($6, ''), nullif($7, ''))
RETURNING id
