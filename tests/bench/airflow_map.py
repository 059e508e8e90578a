#!/usr/bin/env python3
"""The mapping chm-normalize does for an Airflow DAG run, in python3's json:
the peer a user would otherwise write (make bench, row 4)."""
import json
import sys
from datetime import datetime, timezone

STATUS = {"queued": "running", "running": "running", "success": "success", "failed": "failed"}


def ts(s):
    if s is None:
        return None, None
    d = datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), d


def main():
    out = sys.stdout
    dumps = json.dumps
    for line in sys.stdin:
        env = json.loads(line)
        if env.get("type") != "raw" or env.get("source") != "airflow":
            out.write(line)
            continue
        r = env["record"]
        started, s = ts(r.get("start_date"))
        finished, f = ts(r.get("end_date"))
        out.write(dumps({
            "type": "run", "client": env.get("client"), "platform": "airflow",
            "pipeline": env.get("pipeline"), "external_run_id": r["dag_run_id"],
            "status": STATUS.get(r.get("state"), "running"),
            "started_at": started, "finished_at": finished,
            "duration_seconds": (f - s).total_seconds() if s and f else None,
            "rows_processed": None, "error_message": None, "status_reason": None,
            "payload": r,
        }, separators=(",", ":")) + "\n")


main()
