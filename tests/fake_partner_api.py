#!/usr/bin/env python3
"""A fake partner API for chm-fetch tests: Airflow, dbt Cloud and a vendor
cursor API over a data directory that is read again on every request (so a
test can change a run between two fetches), with switches for the failures
chm-fetch must survive.

    fake_partner_api.py --data DIR --port-file FILE [--log FILE]
                        [--token T | --basic USER:PASS | --login USER:PASS] [--max-limit N]
                        [--fault KIND[:COUNT[:SUBSTRING]]]... [--tls CERT KEY]

Listens on 127.0.0.1 on an ephemeral port written to --port-file.
--airflow3: /api/v1 answers 404 {"detail": "Not Found"}, as Airflow 3 does.
--login: Airflow 3's auth managers: POST /auth/token {"username","password"}
answers 201 {"access_token": "<a new token>"} (401 {"detail": "Invalid
credentials"} otherwise), and a GET needs "Bearer <a token it gave>", good
for --token-ttl requests (then 401, as an expired JWT is).
Data (DIR):
  airflow/<dag_id>.json     {"dag_runs": [...]}   GET /api/v1/dags/<dag_id>/dagRuns
  dbt_cloud/runs.json       {"data": [...]}       GET /api/v2/accounts/<id>/runs/ (with
                                                  --dbt-account, another id: dbt Cloud's error
                                                  envelope, 404)
  vendor/<external_id>.json {"runs": [...]}       GET /v1/pipelines/<external_id>/runs
  static/<name>.json                              GET /static/<name>?cursor=<c> serves
                                                  <name>.json, or <name>.<c>.json
A fault applies to the first COUNT requests (0 = all; default 1) whose path
and query contain SUBSTRING (default: any). KINDs:
  429s 429d (Retry-After in seconds / as an HTTP-date, 1 s), 429big (3600 s),
  429 (no Retry-After) 408 500 502 503 404 401, 400words (a 400 whose detail
  has a line break, a credential and 600 bytes), reset (close without a reply), hang (never answer),
  truncated (a cut JSON body with a matching Content-Length), invalid (not JSON),
  partial (Content-Length larger than the body, then close),
  repeat_cursor (vendor: the next cursor is the one just given),
  endless (vendor: every page has a new cursor, forever),
  bomb (airflow: a gzip body, Content-Encoding: gzip, of about 30 KB that decodes
  to {"dag_runs":[{},{},...],...}, 30 MiB: under the 32 MiB response cap),
  not_runs (airflow: a page of five items: a run, an array, a string, a run
  without dag_run_id, a run),
  drop_oldest (airflow: the DAG's earliest-starting run is deleted from the data
  file before the page is answered, as `airflow db clean` would between pages),
  drop_second (airflow: as drop_oldest, the second-earliest-starting run),
  login_crlf (POST /auth/token: a token holding a line break and a header),
  churn (airflow: drop_oldest, and a new run is added an hour after the latest
  start, as the scheduler would meanwhile: the total stays the same).
Every request is logged to --log as "GET <raw path?query> auth=<scheme|none>".
"""
import argparse
import email.utils
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_time(s):
    if s is None:
        return None
    s = s.replace(" ", "T").replace("Z", "+00:00")
    return datetime.fromisoformat(s)


class Fault:
    def __init__(self, spec):
        parts = spec.split(":", 2)
        self.kind = parts[0]
        self.count = int(parts[1]) if len(parts) > 1 and parts[1] else 1
        self.match = parts[2] if len(parts) > 2 else ""
        self.used = 0


class State:
    lock = threading.Lock()
    faults = []
    args = None
    issued = {}  # the tokens POST /auth/token gave (--login): requests each has left


def take_fault(target):
    with State.lock:
        for f in State.faults:
            if f.match in target and (f.count == 0 or f.used < f.count):
                f.used += 1
                return f.kind
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def send_json(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def auth_scheme(self):
        a = self.headers.get("Authorization")
        return a.split(" ", 1)[0] if a else "none"

    def check_auth(self):
        a = State.args
        got = self.headers.get("Authorization", "")
        if a.login:
            token = got[7:] if got.startswith("Bearer ") else None
            with State.lock:
                if State.issued.get(token, 0) <= 0:
                    return False
                State.issued[token] -= 1  # a request's worth of its life
            return True
        if a.token and got not in ("Bearer " + a.token, "Token " + a.token):
            return False
        if a.basic:
            import base64
            if got != "Basic " + base64.b64encode(a.basic.encode()).decode():
                return False
        return True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if State.args.log:
            with State.lock, open(State.args.log, "a") as fp:
                fp.write("POST %s auth=%s %s\n" % (self.path, self.auth_scheme(),
                                                   self.headers.get("Content-Type", "")))
        fault = take_fault(self.path)
        if fault and self.apply_fault(fault):
            return
        if urllib.parse.urlsplit(self.path).path != "/auth/token" or not State.args.login:
            return self.send_json(404, {"detail": "Not Found"})
        try:
            login = json.loads(body)
            user, password = login["username"], login["password"]
        except (ValueError, KeyError, TypeError):
            return self.send_json(400, {"detail": "Username and password must be provided"})
        if "%s:%s" % (user, password) != State.args.login:
            return self.send_json(401, {"detail": "Invalid credentials"})
        if fault == "login_crlf":
            return self.send_json(201, {"access_token": "abc\r\nX-Injected: 1"})
        with State.lock:
            token = "eyJhbGciOiJIUzUxMiJ9.fake-jwt-%d" % len(State.issued)
            State.issued[token] = State.args.token_ttl
        self.send_json(201, {"access_token": token})

    def do_GET(self):
        target = self.path
        if State.args.log:
            with State.lock, open(State.args.log, "a") as fp:
                fp.write("GET %s auth=%s\n" % (target, self.auth_scheme()))
        fault = take_fault(target)
        if fault and self.apply_fault(fault):
            return
        if not self.check_auth():
            return self.send_json(401, {"detail": "Unauthorized"})
        url = urllib.parse.urlsplit(target)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        parts = url.path.split("/")
        try:
            if State.args.airflow3 and url.path.startswith("/api/v1/"):
                return self.send_json(404, {"detail": "Not Found"})  # FastAPI's, for a path it has not
            if url.path.startswith(("/api/v1/dags/", "/api/v2/dags/")) and len(parts) == 6 and parts[5] == "dagRuns":
                return self.airflow(urllib.parse.unquote(parts[4]), q, fault)
            if url.path.startswith("/api/v2/accounts/") and len(parts) >= 6 and parts[5] == "runs":
                if State.args.dbt_account and parts[4] != State.args.dbt_account:
                    # dbt Cloud's error envelope (status.user_message)
                    return self.send_json(404, {"status": {"code": 404, "is_success": False,
                                                           "user_message": "The requested resource was not found.",
                                                           "developer_message": ""}, "data": None})
                return self.dbt(q)
            if url.path.startswith("/v1/pipelines/") and len(parts) == 5 and parts[4] == "runs":
                return self.vendor(urllib.parse.unquote(parts[3]), q, fault)
            if url.path.startswith("/static/"):
                return self.static(parts[2], q)
        except FileNotFoundError:
            # the problem JSON of Airflow 2's API (connexion's NotFound)
            dag = urllib.parse.unquote(parts[4]) if len(parts) > 4 else ""
            return self.send_json(404, {"detail": "DAG with dag_id: '%s' not found" % dag, "status": 404,
                                        "title": "DAG not found", "type": "about:blank"})
        self.send_json(404, {"detail": "not found"})

    def apply_fault(self, kind):
        if kind in ("429s", "429d", "429big"):
            if kind == "429d":
                ra = email.utils.formatdate(time.time() + 1.5, usegmt=True)
            else:
                ra = "3600" if kind == "429big" else "1"
            self.send_json(429, {"detail": "Too Many Requests"}, {"Retry-After": ra})
        elif kind in ("408", "429", "500", "502", "503", "404", "401"):
            self.send_json(int(kind), {"detail": "fault " + kind})
        elif kind == "400words":
            # a refusal whose words hold a line break, a credential and a lot
            detail = ("Invalid value for limit\nsee https://admin:hunter2@airflow.example.com/api?token=s3cr3t "
                      + "and more words " * 40)
            self.send_json(400, {"detail": detail, "status": 400, "title": "Bad Request", "type": "about:blank"})
        elif kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            self.close_connection = True
        elif kind == "hang":
            time.sleep(30)
            self.close_connection = True
        elif kind == "bomb":
            self.send_bomb()
        elif kind == "not_runs":
            def run(i):
                return {"dag_id": "orders_daily", "dag_run_id": "good_%d" % i, "state": "success",
                        "start_date": "2026-11-1%dT00:00:00+00:00" % i, "end_date": "2026-11-1%dT00:10:00+00:00" % i}
            keyless = run(3)
            del keyless["dag_run_id"]
            self.send_json(200, {"dag_runs": [run(1), [1, 2], "a string", keyless, run(2)], "total_entries": 5})
        elif kind in ("truncated", "invalid", "partial"):
            body = b'{"dag_runs": [{"dag_id": "x", "dag_run_id": "cut' if kind != "invalid" else b"<html>oops</html>"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + (100 if kind == "partial" else 0)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
        else:
            return False  # a data fault, applied by the handler
        return True

    def send_bomb(self):
        import gzip
        n = (30 << 20) // 3
        items = [b"{}"] * n
        raw = b'{"dag_runs": [' + b",".join(items) + b'], "total_entries": %d}' % n
        body = gzip.compress(raw, 9)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def load(self, *path):
        with open(os.path.join(State.args.data, *path)) as fp:
            return json.load(fp)

    def limit(self, q, default=100):
        n = int(q.get("limit", default))
        return min(n, State.args.max_limit)

    def airflow(self, dag_id, q, fault=None):
        if fault in ("drop_oldest", "drop_second", "churn"):
            self.drop_oldest(dag_id, nth=1 if fault == "drop_second" else 0, add_newest=fault == "churn")
        runs = self.load("airflow", dag_id + ".json")["dag_runs"]
        if "start_date_gte" in q:
            since = parse_time(q["start_date_gte"])
            runs = [r for r in runs if r.get("start_date") and parse_time(r["start_date"]) >= since]
        if "end_date_gte" in q:
            since = parse_time(q["end_date_gte"])
            runs = [r for r in runs if r.get("end_date") and parse_time(r["end_date"]) >= since]
        order = q.get("order_by", "execution_date")
        key = order.lstrip("-")
        runs.sort(key=lambda r: (r.get(key) is None, parse_time(r.get(key)) if r.get(key) else 0),
                  reverse=order.startswith("-"))
        off, lim = int(q.get("offset", 0)), self.limit(q)
        self.send_json(200, {"dag_runs": runs[off:off + lim], "total_entries": len(runs)})

    def drop_oldest(self, dag_id, nth=0, add_newest=False):
        path = os.path.join(State.args.data, "airflow", dag_id + ".json")
        doc = self.load("airflow", dag_id + ".json")
        started = sorted((r for r in doc["dag_runs"] if r.get("start_date")),
                         key=lambda r: parse_time(r["start_date"]))
        doc["dag_runs"].remove(started[nth])
        if add_newest:
            latest = max(parse_time(r["start_date"]) for r in started)
            start = (latest + timedelta(hours=1)).isoformat()
            end = (latest + timedelta(hours=1, minutes=10)).isoformat()
            doc["dag_runs"].append({"dag_id": dag_id, "dag_run_id": "manual__churn", "state": "success",
                                    "start_date": start, "end_date": end, "logical_date": start,
                                    "execution_date": start})
        with open(path, "w") as fp:
            json.dump(doc, fp)

    def dbt(self, q):
        runs = self.load("dbt_cloud", "runs.json")["data"]
        if "job_definition_id" in q:
            runs = [r for r in runs if str(r.get("job_definition_id")) == q["job_definition_id"]]
        order = q.get("order_by", "id")
        runs.sort(key=lambda r: r[order.lstrip("-")], reverse=order.startswith("-"))
        off, lim = int(q.get("offset", 0)), self.limit(q)
        page = runs[off:off + lim]
        self.send_json(200, {
            "status": {"code": 200, "is_success": True, "user_message": "Success!", "developer_message": ""},
            "data": page,
            "extra": {"filters": {"job_definition_id": q.get("job_definition_id")}, "order_by": order,
                      "pagination": {"count": len(page), "total_count": len(runs)}},
        })

    def vendor(self, ext, q, fault):
        runs = self.load("vendor", ext + ".json")["runs"]
        if "started_after" in q:
            since = parse_time(q["started_after"])
            runs = [r for r in runs if r.get("started_at") and parse_time(r["started_at"]) >= since]
        lim = self.limit(q, 2)
        cur = q.get("cursor", "")
        off = int(cur[1:]) if cur.startswith("c") else 0
        page = runs[off:off + lim]
        nxt = "c%d" % (off + lim) if off + lim < len(runs) else None
        if fault == "repeat_cursor":
            nxt = cur or "c0"
        elif fault == "endless":
            nxt = "e%d" % (int(cur[1:]) + 1 if cur.startswith("e") else 1)
            page = []
        meta = {"next_cursor": nxt} if nxt else {}
        self.send_json(200, {"data": {"runs": page}, "meta": meta})

    def static(self, name, q):
        c = q.get("cursor")
        obj = self.load("static", name + (("." + c) if c else "") + ".json")
        self.send_json(200, obj)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--token", default=os.environ.get("FAKE_TOKEN"))
    ap.add_argument("--basic", default=os.environ.get("FAKE_BASIC"))
    ap.add_argument("--login", help="USER:PASS for POST /auth/token (Airflow 3)")
    ap.add_argument("--dbt-account", help="dbt Cloud: the one account id served (default: any)")
    ap.add_argument("--token-ttl", type=int, default=1 << 30,
                    help="--login: a token expires after this many requests")
    ap.add_argument("--airflow3", action="store_true", help="no /api/v1: 404 {\"detail\": \"Not Found\"}")
    ap.add_argument("--max-limit", type=int, default=100)
    ap.add_argument("--fault", action="append", default=[])
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate")
    State.args = ap.parse_args()
    State.faults = [Fault(f) for f in State.args.fault]
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if State.args.tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*State.args.tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = State.args.port_file + ".tmp"
    with open(tmp, "w") as fp:
        fp.write("%d\n" % srv.server_address[1])
    os.rename(tmp, State.args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
