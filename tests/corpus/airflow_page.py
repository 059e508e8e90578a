#!/usr/bin/env python3
"""airflow_page.py PRETTY COMPACT SIZE_MB (t0191): a pretty-printed Airflow
dagRuns page of about SIZE_MB MB, and the same page compact on one line. Each
run's conf holds DAG params, many small values (on one line, as an indenting
printer with a width limit writes them): what makes a tree of the page cost
many times its text."""
import json
import sys

out_pretty, out_compact, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs, parts, size, i = [], [], 0, 0
while size < size_mb << 20:
    r = {
        "conf": "@CONF@",
        "dag_id": "orders_daily",
        "dag_run_id": "scheduled__%06d" % i,
        "end_date": "2026-11-20T00:%02d:%02dZ" % (i // 60 % 60, i % 60),
        "execution_date": "2026-11-19T00:00:00+00:00",
        "external_trigger": False,
        "logical_date": "2026-11-19T00:00:00+00:00",
        "start_date": "2026-11-20T00:00:00Z",
        "state": ["success", "failed", "running"][i % 3],
    }
    conf = {"ids": list(range(i % 7, 400 + i % 7)), "flags": [True, False, None] * 20}
    text = "    " + json.dumps(r, indent=2).replace("\n", "\n    ").replace('"@CONF@"', json.dumps(conf))
    r["conf"] = conf
    runs.append(r)
    parts.append(text)
    size += len(text) + 2
    i += 1
with open(out_pretty, "w") as fp:
    fp.write('{\n  "dag_runs": [\n' + ",\n".join(parts) + '\n  ],\n  "total_entries": %d\n}\n' % len(runs))
with open(out_compact, "w") as fp:
    fp.write(json.dumps({"dag_runs": runs, "total_entries": len(runs)}, separators=(",", ":")) + "\n")
