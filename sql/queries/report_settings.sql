-- chm-report: the clock and window of the views for this transaction
-- ($1 now, $2 since, $3 until; NULL keeps the default). See 003_report_views.sql.
SELECT set_config('chm.now', coalesce($1::text, ''), true),
       set_config('chm.since', coalesce($2::text, ''), true),
       set_config('chm.until', coalesce($3::text, ''), true),
       chm_now() AS now
