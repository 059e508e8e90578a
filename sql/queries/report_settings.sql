-- chm-report: the clock and window of the views for this transaction
-- ($1 now, $2 since, $3 until; NULL keeps the default). See 003_report_views.sql.
-- No JIT: the questions are index probes and window scans of a few ms, and
-- once runs is large enough for a plan's estimate to pass jit_above_cost,
-- compiling it costs more than running it (Q6 at 10M runs: 26 ms with, 6 ms
-- without; make bench row 7).
SELECT set_config('jit', 'off', true),
       set_config('chm.now', coalesce($1::text, ''), true),
       set_config('chm.since', coalesce($2::text, ''), true),
       set_config('chm.until', coalesce($3::text, ''), true),
       chm_now() AS now
