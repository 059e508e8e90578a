# Four overlapping streams of run events (stream0..stream3 in the directory
# argv[1]) that any interleaving of loaders must bring to one state: 3000 runs
# over three pipelines of fixtures/inventory.ndjson; each stream holds every
# run, some as running and some with their final status, and a third of the
# runs as a cleared-and-rerun newer attempt in one stream only. Used by
# t0150 (one node) and t0900 (Citus).
import json, random, sys
d = sys.argv[1]
pipes = [("acme", "airflow", "orders_daily"), ("globex", "vendor_api", "carrier-events"), ("initech", "airflow", "reporting_refresh")]
def ev(i, status, start, extra=None):
    c, p, e = pipes[i % 3]
    r = {"type": "run", "client": c, "platform": p, "external_id": e, "external_run_id": "run-%04d" % i,
         "status": status, "started_at": "2026-11-%02dT%02d:00:00Z" % (1 + i % 20, start)}
    r.update(extra or {})
    return json.dumps(r)
for k in range(4):
    rnd = random.Random(k)
    lines = []
    for i in range(3000):
        final = ["success", "failed", "canceled"][i % 3]
        choice = rnd.random()
        if choice < 0.4:
            lines.append(ev(i, "running", 1))
        elif choice < 0.8:
            lines.append(ev(i, final, 1, {"finished_at": "2026-11-%02dT01:30:00Z" % (1 + i % 20), "rows_processed": i}))
        else:
            lines.append(ev(i, "running", 1))
            lines.append(ev(i, final, 1, {"finished_at": "2026-11-%02dT01:30:00Z" % (1 + i % 20), "rows_processed": i}))
        if i % 3 == 0 and k == i % 4:
            lines.append(ev(i, "success", 5, {"finished_at": "2026-11-%02dT05:10:00Z" % (1 + i % 20), "error_message": None}))
    rnd.shuffle(lines)
    open("%s/stream%d" % (d, k), "w").write("\n".join(lines) + "\n")
