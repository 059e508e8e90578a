#!/usr/bin/env python3
"""A fake Slack incoming webhook and webhook receiver for chm-notify tests: the
far side of a real HTTP connection on 127.0.0.1.

    fake_receiver.py --port-file FILE --log FILE [--mode-file FILE]

Every POST that is answered 200 is appended to --log as one JSON line:
{"path": ..., "headers": {lower-case name: value}, "body": "<the bytes, utf-8>"}.
--mode-file is read on every request, so a test can change the behaviour
between runs: "ok" (default), "500", "429" (Retry-After: 1), "slow" (waits 3 s,
then closes the connection without recording anything), "once500" (500 for the first request after the file was written,
then ok), "down" (the connection is closed without a reply), "archived" (410 with
Slack's text body "channel_is_archived", as Slack answers a webhook whose
channel was archived).
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
ARGS = None
SEEN = {"once500": None}


def mode():
    try:
        with open(ARGS.mode_file) as f:
            return f.read().strip() or "ok", os.stat(ARGS.mode_file).st_mtime_ns
    except (OSError, TypeError):
        return "ok", 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        m, stamp = mode()
        if m == "down":
            self.close_connection = True
            self.connection.close()
            return
        if m == "slow":
            time.sleep(3)
            self.close_connection = True
            self.connection.close()
            return
        if m == "once500":
            with LOCK:
                if SEEN["once500"] != stamp:
                    SEEN["once500"] = stamp
                    return self.answer(500, b"flaky")
        if m == "500":
            return self.answer(500, b"receiver error")
        if m == "429":
            return self.answer(429, b"slow down", [("Retry-After", "1")])
        if m == "archived":
            return self.answer(410, b"channel_is_archived")
        rec = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace")}
        with LOCK:
            with open(ARGS.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        self.answer(200, b"ok")

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--mode-file")
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
