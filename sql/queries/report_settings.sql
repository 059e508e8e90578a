-- chm-report: the clock and window of the views for this transaction
-- ($1 now, $2 since, $3 until; NULL keeps the default), on every node of a
-- Citus cluster too (chm_set_clock, 023_clock_on_every_node.sql).
-- No JIT: the questions are index probes and window scans of a few ms, and
-- once runs is large enough for a plan's estimate to pass jit_above_cost,
-- compiling it costs more than running it (Q6 at 10M runs: 26 ms with, 6 ms
-- without; make bench row 7).
SELECT set_config('jit', 'off', true),
       chm_set_clock($1::text, $2::text, $3::text) AS now
