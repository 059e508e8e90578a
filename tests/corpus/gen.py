#!/usr/bin/env python3
"""Hostile-input corpus for every filter that reads NDJSON (issue 8).

    gen.py OUTDIR [--small]

Writes, for each target, OUTDIR/T.ndjson (a good line, a bad line, a good
line, ..., the last one good and without '\\n'), OUTDIR/T.bad (the numbers of
the bad lines) and OUTDIR/T.good (the ids the good lines must leave behind:
run ids, or kind:name for inventory). --small leaves out the 10 MB lines (for
valgrind) and the 17 MB line (longer than the 16 MiB maximum). Targets:

    load-runs        chm-load, canonical runs (after fixtures/inventory.ndjson)
    load-inventory   chm-load, client / pipeline / alert_rule records
    norm-runs        chm-normalize, canonical runs passed through
    norm-SOURCE      chm-normalize, raw envelopes of each source (airflow,
                     dbt_cloud, dbt_artifact, openlineage, cron, vendor with
                     pipelines/vendors/rat.json)

SQL in string fields, unknown partner statuses and long but allowed names are
GOOD lines: they must be stored verbatim (statuses kept as status_reason).
"""
import copy
import json
import os
import sys

SQL = ["'; DROP TABLE runs; --", "x\" OR 1=1 --", "Robert'); DELETE FROM clients;--",
       "$$; TRUNCATE pipelines; $$", "\\'; COPY runs TO '/tmp/x'; --"]
BAD_TIMES = ["2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-21T00:00:00+25:00",
             "0000-01-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-21T24:00:00Z",
             "2026-11-21T00:60:00Z", "2026-11-21T00:00:61Z", "2026-00-10T00:00:00Z",
             "2026-11-00T00:00:00Z", "2026-11-21T00:00:00-24:00", "2026-11-21T00:00:00+05:60",
             "21/11/2026 00:00", "2026-11-21", "2026-11-21T00:00", "yesterday",
             " 2026-11-21T00:00:00Z", "2026-11-21T00:00:00Zjunk", "2026-11-21T00:00:00.Z",
             "2026-11-21T00:00:00+0", "+2026-11-21T00:00:00Z", "２０２６-11-21T00:00:00Z",
             "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]
WRONG = [123, True, [], {"a": 1}, 1.5]
TEN_MB = 10 * 1024 * 1024


def dumps(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def deep(n):
    return '{"a":' * n + '1' + '}' * n


def generic_bad(good_line, small):
    """Bad lines of the JSON level, from a good line (str)."""
    g = good_line
    out = [
        g[:-1], g[: len(g) // 2], g[:1], g[:10] + "\"", '{"type":"run",',  # truncated
        "{", "}", "[", "not json at all", "{'type':'run'}", '{"type":"run",}', "{type:run}",
        '{"type":"run" "client":"acme"}', g + "}", g + " trailing", g + g,
        '"just a string"', "42", "null", "true", "[1,2,3]", "[]",
        '{"type":"run","payload":NaN}', '{"type":"run","payload":Infinity}',
        '{"type":"run","rows_processed":9223372036854775808}',
        '{"type":"run","duration_seconds":1e400}', '{"type":"run","x":-1e400}',
        '{"type":"run","x":0x10}', '{"type":"run","x":01}', '{"type":"run","x":.5}',
        '{"type":"run","x":"\\ud800"}', '{"type":"run","x":"\\u0000"}',
        '{"type":"run","x":"\\q"}', '{"type":"run","x":"tab\there"}',
        '{"a":' + deep(10000)[5:],  # nested 10,000 deep (one more level)
        "[" * 10000 + "]" * 10000,
        '{"type":"run","type":"run"}', '{"a":1,"a":2,"type":"x"}',
    ]
    out = [s.encode() for s in out]
    # bytes that are not UTF-8, and a NUL byte
    gb = good_line.encode()
    i = 1  # just after the opening brace
    for junk in [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf5\x80\x80\x80",
                 b"\x80", b"\xfe\xff"]:
        out.append(gb[:i] + b'"note":"' + junk + b'",' + gb[i:])
    out.append(gb[:i] + b'"note":"a\x00b",' + gb[i:])
    out.append(gb[:5] + b"\x00" + gb[5:])
    out.append(b"\x00")
    out.append(b"\xef\xbb\xbf" + gb)  # a byte-order mark is not JSON
    if not small:
        out.append(b'{"type":"run","x":"' + b"y" * TEN_MB + b'"')  # 10 MB, unterminated
    return out


def interleave(good_lines, bad_lines):
    """good, bad, good, ..., good; returns (bytes, bad line numbers)."""
    assert len(good_lines) == len(bad_lines) + 1
    parts, bad_nos = [], []
    for k, b in enumerate(bad_lines):
        parts.append(good_lines[k])
        parts.append(b)
        bad_nos.append(2 * k + 2)
    parts.append(good_lines[-1])
    return b"\n".join(parts), bad_nos  # the last line without '\n'


def write(outdir, name, good, bad, ids):
    data, bad_nos = interleave(good, bad)
    with open(os.path.join(outdir, name + ".ndjson"), "wb") as f:
        f.write(data)
    with open(os.path.join(outdir, name + ".bad"), "w") as f:
        f.write("".join("%d\n" % n for n in bad_nos))
    with open(os.path.join(outdir, name + ".good"), "w") as f:
        f.write("".join(i + "\n" for i in ids))
    return len(bad_nos)


class Goods:
    """Good lines made on demand, each with its own id."""

    def __init__(self, make):
        self.make, self.lines, self.ids = make, [], []

    def add(self, line=None, rid=None):
        if line is None:
            rid = "good-%d" % len(self.lines)
            line = self.make(rid)
        self.lines.append(line.encode() if isinstance(line, str) else line)
        self.ids.append(rid)


# ---- canonical runs (chm-load, chm-normalize) -------------------------------

def run_rec(rid):
    return {"type": "run", "client": "acme", "platform": "airflow", "external_id": "orders_daily",
            "external_run_id": rid, "status": "failed", "started_at": "2026-11-21T00:00:00Z",
            "finished_at": "2026-11-21T00:01:00.5Z", "duration_seconds": 60.5,
            "rows_processed": 5, "error_message": "boom", "status_reason": None,
            "payload": {"k": "v"}}


def run_bad(for_load):
    bad = []

    def mut(**kw):
        r = run_rec("bad-%d" % len(bad))
        for k, v in kw.items():
            if v is KeyError:
                del r[k]
            else:
                r[k] = v
        bad.append(dumps(r).encode())

    for f in ["client", "platform", "external_id", "external_run_id", "status", "started_at",
              "finished_at", "error_message", "status_reason", "pipeline"]:
        for w in WRONG:
            mut(**{f: w})
    for w in ["12", True, [], {}, "NaN", "Infinity", -1, -0.5]:
        mut(duration_seconds=w)
    for w in ["12", True, [], {}, "NaN", -1, 1.5, 9.3e18, -9223372036854775808]:
        mut(rows_processed=w)
    for w in ["1", True, [], 0, -1, 1.5, 9223372036854775807]:
        mut(pipeline_id=w) if not (for_load is False and w == 9223372036854775807) else None
    for w in ["s", 1, [], True]:
        mut(payload=w)
    for t in BAD_TIMES + [""]:
        mut(started_at=t)
        mut(finished_at=t)
    for s in ["done", "SUCCESS", "", "queued", "failed ", None]:
        mut(status=s)
    for p in ["jenkins", "Airflow", ""]:
        mut(platform=p)
    mut(external_run_id=KeyError)
    mut(external_run_id="")
    mut(external_run_id=None)
    mut(status=KeyError)
    mut(client=KeyError)
    mut(type=None)
    mut(type=5)
    mut(client="c" * 201)
    mut(external_id="e" * 501)
    mut(pipeline="p" * 402)
    mut(external_run_id="r" * 501)
    mut(error_message="m" * 2001)
    mut(status_reason="é" * 1001)
    mut(client="x" * 100000)
    if for_load:
        mut(external_id="no_such_pipeline")
        mut(client="no_such_client")
        mut(pipeline_id=999999999)
    # duplicate keys
    g = dumps(run_rec("dup"))
    bad.append(g.replace('"status":"failed"', '"status":"failed","status":"success"').encode())
    bad.append(g.replace('"client":"acme"', '"client":"acme","client":"acme"').encode())
    bad.append(g.replace('"payload":{"k":"v"}', '"payload":{"k":"v","k":"w"}').encode())
    bad.append(g.replace('"payload":{"k":"v"}', '"payload":' + deep(10000)).encode())
    return bad


def run_goods(n):
    goods = Goods(lambda rid: dumps(run_rec(rid)))
    # SQL in every string field, stored verbatim
    for k, s in enumerate(SQL):
        r = run_rec("good-sql-%d %s" % (k, s))
        r["error_message"] = s
        r["status_reason"] = s
        r["payload"] = {"q": s, s: [s]}
        goods.add(dumps(r), r["external_run_id"])
    r = run_rec("good-long-" + "r" * 490)   # 500 bytes: the longest allowed
    r["error_message"] = "m" * 2000
    goods.add(dumps(r), r["external_run_id"])
    r = run_rec("good-unicode-żółw-🐢")
    goods.add(dumps(r), r["external_run_id"])
    r = run_rec("good-nulls")
    for k in ["started_at", "finished_at", "duration_seconds", "rows_processed",
              "error_message", "status_reason", "payload"]:
        r[k] = None
    goods.add(dumps(r), r["external_run_id"])
    r = run_rec("good-edge")
    r.update(rows_processed=9223372036854775807, duration_seconds=0,
             started_at="2026-02-28T23:59:60+23:59", finished_at="2028-02-29T00:00:00.123456789-23:59")
    goods.add(dumps(r), r["external_run_id"])
    while len(goods.lines) < n:
        goods.add()
    return goods


def gen_runs(outdir, small, name, for_load):
    good_probe = dumps(run_rec("probe"))
    bad = run_bad(for_load) + generic_bad(good_probe, small)
    if not small and for_load:
        r = run_rec("bad-10mb")
        r["error_message"] = "m" * TEN_MB
        bad.append(dumps(r).encode())   # valid JSON, too long a message
    if not small:
        # longer than the 16 MiB line maximum: cut, rejected once, the rest skipped
        bad.append(b'{"type":"run","x":"' + b"y" * (17 << 20) + b'"}')
    goods = run_goods(len(bad) + 1)
    return write(outdir, name, goods.lines, bad, goods.ids)


# ---- inventory (chm-load) -----------------------------------------------------

def gen_inventory(outdir, small):
    bad = []
    client = {"type": "client", "name": "x", "description": "d", "is_active": True}
    pipe = {"type": "pipeline", "client": "acme", "name": "x", "platform": "airflow",
            "pipeline_type": "ingestion", "external_id": "x", "environment": "prod",
            "description": "d", "is_active": True}
    rule = {"type": "alert_rule", "client": "acme", "pipeline": "acme/orders_daily",
            "rule_type": "failures_in_window", "channel": "slack", "destination": "x",
            "threshold": 3, "window_minutes": 60, "is_enabled": True}

    def mut(base, **kw):
        r = copy.deepcopy(base)
        tag = "bad-%d" % len(bad)
        if "name" in r:
            r["name"] = tag
            if r["type"] == "pipeline":
                r["external_id"] = tag
        else:
            r["destination"] = tag
        for k, v in kw.items():
            if v is KeyError:
                del r[k]
            else:
                r[k] = v
        bad.append(dumps(r).encode())

    for f in ["name", "description"]:
        for w in WRONG:
            mut(client, **{f: w})
    for w in ["yes", 1, 0, [], "true"]:
        mut(client, is_active=w)
    mut(client, name="")
    mut(client, name="   ")
    mut(client, name=None)
    mut(client, name="n" * 201)
    mut(client, name="n" * 100000)
    for f in ["client", "name", "platform", "pipeline_type", "environment", "external_id",
              "description"]:
        for w in WRONG:
            mut(pipe, **{f: w})
    mut(pipe, is_active="no")
    mut(pipe, platform="jenkins")
    mut(pipe, pipeline_type="etl")
    mut(pipe, environment="production")
    mut(pipe, environment="PROD")
    mut(pipe, client="no_such_client")
    mut(pipe, client=KeyError)
    mut(pipe, platform=KeyError)
    mut(pipe, pipeline_type=KeyError)
    mut(pipe, name="n" * 201)
    mut(pipe, external_id="e" * 501)
    mut(pipe, client="c" * 100000)
    for f in ["client", "pipeline", "rule_type", "channel", "destination"]:
        for w in WRONG:
            mut(rule, **{f: w})
    for w in ["3", True, [], 0, -1, 1.5, 2147483648, 9223372036854775807]:
        mut(rule, threshold=w)
        mut(rule, window_minutes=w)
    mut(rule, is_enabled="on")
    mut(rule, rule_type="on_success")
    mut(rule, channel="pager")
    mut(rule, threshold=KeyError)
    mut(rule, window_minutes=None)
    mut(rule, client=KeyError, pipeline=KeyError)
    mut(rule, client=KeyError, pipeline="orders_daily")
    mut(rule, client="no_such_client")
    mut(rule, pipeline="acme/no_such_pipeline")
    mut(rule, destination="d" * 501)
    mut(rule, destination="")
    g = dumps(dict(client, name="dup"))
    bad.append(g.replace('"name":"dup"', '"name":"dup","name":"dup2"').encode())
    bad += generic_bad(dumps(dict(client, name="probe", status="x")), small)
    if not small:
        bad.append(dumps(dict(client, name="bad-10mb", description="d" * TEN_MB,
                              is_active="no")).encode())

    goods = Goods(None)
    k = 0
    while len(goods.lines) < len(bad) + 1:
        s = SQL[k % len(SQL)]
        kind = k % 3
        if kind == 0:
            name = "good-client-%d %s" % (k, s)
            goods.add(dumps(dict(client, name=name, description=s)), "client:" + name)
        elif kind == 1:
            name = "good-pipe-%d %s" % (k, s)
            goods.add(dumps(dict(pipe, name=name, external_id=s + str(k), description=s)),
                      "pipeline:" + name)
        else:
            dest = "good-dest-%d %s" % (k, s)
            goods.add(dumps(dict(rule, destination=dest)), "alert_rule:" + dest)
        k += 1
    return write(outdir, "load-inventory", goods.lines, bad, goods.ids)


# ---- raw envelopes (chm-normalize) ---------------------------------------------

def env(source, rec, **kw):
    e = {"type": "raw", "source": source, "client": "acme", "fetched_at": "2026-11-22T10:00:00Z",
         "record": rec}
    e.update(kw)
    return e


SOURCES = {
    # source: (envelope naming, make(rid), run id field, time fields, required string fields)
    "airflow": (dict(external_id="orders_daily"),
                lambda rid: {"dag_id": "orders_daily", "dag_run_id": rid, "state": "failed",
                             "start_date": "2026-11-21T00:00:00+00:00",
                             "end_date": "2026-11-21T00:01:00+00:00", "conf": {"note": "n"}},
                "dag_run_id", ["start_date", "end_date"], ["state"]),
    "dbt_cloud": (dict(external_id="43167"),
                  lambda rid: {"id": rid, "job_definition_id": 43167, "status": 20,
                               "started_at": "2026-11-21T00:00:00Z",
                               "finished_at": "2026-11-21T00:01:00Z", "duration": "00:01:00",
                               "status_message": "boom"},
                  "id", ["started_at", "finished_at"], ["status"]),
    "dbt_artifact": (dict(external_id="jaffle_shop"),
                     lambda rid: {"metadata": {"invocation_id": rid,
                                               "generated_at": "2026-11-21T00:01:00Z",
                                               "invocation_started_at": "2026-11-21T00:00:00Z"},
                                  "results": [{"status": "error", "unique_id": "model.a",
                                               "message": "boom",
                                               "timing": [{"started_at": "2026-11-21T00:00:01Z"}],
                                               "adapter_response": {"rows_affected": 3}}],
                                  "elapsed_time": 60},
                     "metadata.invocation_id", ["metadata.generated_at",
                                                "metadata.invocation_started_at",
                                                "results.0.timing.0.started_at"],
                     ["metadata", "results"]),
    "openlineage": (dict(client="globex"),
                    lambda rid: {"eventType": "FAIL", "eventTime": "2026-11-21T00:01:00Z",
                                 "run": {"runId": rid, "facets": {}},
                                 "job": {"namespace": "my-scheduler-namespace", "name": "myjob"},
                                 "outputs": []},
                    "run.runId", ["eventTime"], ["job", "job.namespace", "job.name"]),
    "cron": (dict(client="globex", pipeline="nightly_export"),
             lambda rid: {"run_id": rid, "event": "end", "started_at": "2026-11-21T00:00:00Z",
                          "finished_at": "2026-11-21T00:01:00Z", "exit_status": 3,
                          "signal": None, "stderr_tail": "boom", "host": "h"},
             "run_id", ["started_at", "finished_at"], ["event"]),
    "vendor": (dict(client="globex", mapping="rat"),
               lambda rid: {"id": rid, "pipeline": "carrier-events", "status": "failed",
                            "started_at": 1795327200000, "ended_at": 1795327325500,
                            "duration_ms": 125500, "rows_written": 7,
                            "error": {"message": "boom"}},
               "id", ["started_at", "ended_at"], ["status"]),
}


def setpath(obj, path, value):
    keys = path.split(".")
    for k in keys[:-1]:
        obj = obj[int(k)] if isinstance(obj, list) else obj[k]
    last = keys[-1]
    if value is KeyError:
        del obj[last]
    elif isinstance(obj, list):
        obj[int(last)] = value
    else:
        obj[last] = value


def gen_source(outdir, small, source):
    naming, make, rid_field, tfields, required = SOURCES[source]
    bad = []

    def mut_env(**kw):
        e = env(source, make("bad-%d" % len(bad)), **naming)
        for k, v in kw.items():
            if v is KeyError:
                del e[k]
            else:
                e[k] = v
        bad.append(dumps(e).encode())

    def mut_rec(path, value):
        e = env(source, make("bad-%d" % len(bad)), **naming)
        setpath(e["record"], path, value)
        bad.append(dumps(e).encode())

    # the envelope
    for f in ["source", "client", "pipeline", "external_id"]:
        for w in WRONG:
            mut_env(**{f: w})
    for w in ["str", 5, True, None]:
        mut_env(record=w)
    mut_env(record=KeyError)
    mut_env(source="jenkins")
    mut_env(source="Airflow")
    mut_env(source=KeyError)
    mut_env(type=5)
    mut_env(type=KeyError)
    mut_env(client=KeyError)
    if source == "vendor":
        mut_env(mapping="no_such_mapping")
        mut_env(mapping=5)
    # the record: run id, required fields, timestamps
    for w in [True, [], {"a": 1}, "", None, KeyError, "r" * 501]:
        mut_rec(rid_field, w)
    for f in required:
        for w in [True, None, KeyError] + ([5] if f in ("state", "event") else []):
            mut_rec(f, w)
    for f in tfields:
        for t in BAD_TIMES:
            mut_rec(f, t)
        for w in [True, [], {"a": 1}] + ([1e300, -1e300] if source in ("cron", "vendor", "dbt_cloud") else ["12"]):
            mut_rec(f, w)
    if source == "dbt_cloud":
        for w in ["NaN", "Infinity", "1e400", "01:99:00", True, [], "soon"]:
            mut_rec("duration", w)
    if source == "vendor":
        for w in ["NaN", "x", True, []]:
            mut_rec("duration_ms", w)
        for w in [1.5, "x", True, [], 1e300, -1e300]:
            mut_rec("rows_written", w)
    if source == "cron":
        for w in ["0", 1.5, True, None]:
            mut_rec("exit_status", w)
    if source == "dbt_artifact":
        mut_rec("results.0.timing.0.started_at", "2026-11-21")
        # row counts that add up past a bigint: refused, never wrapped
        big = dict(make("x")["results"][0], adapter_response={"rows_affected": 2**63 - 1})
        mut_rec("results", [big, big])
    if source == "openlineage":
        big = {"namespace": "db", "name": "t",
               "outputFacets": {"outputStatistics": {"rowCount": 2**63 - 1}}}
        mut_rec("outputs", [big, big])
    g = dumps(env(source, make("dup"), **naming))
    bad.append(g.replace('"type":"raw"', '"type":"raw","type":"raw"').encode())
    bad.append(g.replace('"fetched_at"', '"record":{},"fetched_at"').encode())
    bad += generic_bad(g, small or source != "airflow")

    goods = Goods(lambda rid: dumps(env(source, make(rid), **naming)))
    for k, s in enumerate(SQL):
        rid = "good-sql-%d %s" % (k, s)
        e = env(source, make(rid), **naming)
        e["record"]["sql_note"] = s
        e["record"][s] = s
        goods.add(dumps(e), rid)
    # unknown statuses are kept (status_reason), not rejected
    unknown = {"airflow": ("state", "up_for_reschedule"), "dbt_cloud": ("status", 77),
               "openlineage": ("eventType", "RUNNING"), "cron": ("event", "paused"),
               "vendor": ("status", "exploded"), "dbt_artifact": ("results.0.status", "weird")}
    f, v = unknown[source]
    rid = "good-unknown-status"
    e = env(source, make(rid), **naming)
    setpath(e["record"], f, v)
    goods.add(dumps(e), rid)
    rid = "good-long-" + "r" * 490
    goods.add(dumps(env(source, make(rid), **naming)), rid)
    if source == "airflow":
        # an empty dag_run_id: the run_id is the id (both paths of chm-normalize)
        rid = "good-empty-dag-run-id"
        e = env(source, make(""), **naming)
        e["record"]["run_id"] = rid
        goods.add(dumps(e), rid)
    if source == "dbt_artifact":
        # an absurd elapsed_time: kept as the duration, no start derived from it
        rid = "good-huge-elapsed"
        e = env(source, make(rid), **naming)
        e["record"]["elapsed_time"] = 1e300
        del e["record"]["metadata"]["invocation_started_at"]
        e["record"]["results"][0]["timing"] = []
        goods.add(dumps(e), rid)
    while len(goods.lines) < len(bad) + 1:
        goods.add()
    return write(outdir, "norm-" + source, goods.lines, bad, goods.ids)


def main():
    outdir = sys.argv[1]
    small = "--small" in sys.argv[2:]
    os.makedirs(outdir, exist_ok=True)
    total = gen_runs(outdir, small, "load-runs", True)
    total += gen_inventory(outdir, small)
    total += gen_runs(outdir, small, "norm-runs", False)
    for s in SOURCES:
        total += gen_source(outdir, small, s)
    print(total)


if __name__ == "__main__":
    main()
