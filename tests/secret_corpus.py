#!/usr/bin/env python3
"""The secret corpus of issue 14 (SE-002, SE-003): every shape a secret takes
in partner data and job output, placed in every field CHM stores or shows.
Each placement carries its own token (ZQX<place><shape>Z), so a leak names
where it came from. Writes into DIR:
  canon.ndjson   canonical runs for chm-normalize | chm-load
  direct.ndjson  canonical runs straight into chm-load
  raw.ndjson     raw airflow, cron and openlineage records for chm-normalize
  bad.ndjson     canonical runs both programs reject (their rejects)
  texts.tsv      <place> TAB <text>: chm run record flags, chm exec stderr
  runs.txt       the external_run_id of each run that must be stored
  tokens.txt     every token
Usage: secret_corpus.py DIR"""
import json, os, sys

out = sys.argv[1]
tokens, runs = [], []

def tok(place, shape):
    t = "ZQX%s%sZ" % (place, shape)
    tokens.append(t)
    return t

# text shapes: a function of the token to the text a secret hides in
TEXT = {
    "bearer":   lambda t: "Authorization: Bearer %s" % t,
    "curlv":    lambda t: "> Authorization: Bearer %s\n> Accept: */*" % t,
    "basic":    lambda t: "Authorization: Basic %s" % t,
    "jsonstr":  lambda t: json.dumps({"user": "etl", "password": t}),
    "pyrepr":   lambda t: "{'user': 'etl', 'api_key': '%s'}" % t,
    "yaml":     lambda t: "host: db\npassword: %s\nport: 5432" % t,
    "pem":      lambda t: "-----BEGIN RSA PRIVATE KEY-----\nMIIE%s\nAAAA\n-----END RSA PRIVATE KEY-----" % t,
    "jdbc":     lambda t: "ORA-01017 connecting jdbc:oracle:thin:scott/%s@db.example.com:1521/orcl" % t,
    "sqlplus":  lambda t: "sqlplus scott/%s@orcl failed" % t,
    "pgpass":   lambda t: "db.example.com:5432:shop:etl:%s" % t,
    "dashp":    lambda t: "mysql -uroot -p%s shop < dump.sql" % t,
    "cookie":   lambda t: "Cookie: session=%s" % t,
    "awskey":   lambda t: "AWS_SECRET_ACCESS_KEY: %s" % t,
    "conninfo": lambda t: "host=db user=etl password=%s dbname=x" % t,
    "envdump":  lambda t: "PGPASSWORD=%s psql -h db" % t,
    "flag":     lambda t: "export.sh --token=%s --verbose" % t,
    "urluser":  lambda t: "could not connect to postgresql://etl:%s@db/x" % t,
    "qkey":     lambda t: "GET https://api.example.com/v1/runs?key=%s&page=2" % t,
    "qsig":     lambda t: "https://bucket.example.com/o?Expires=1&sig=%s" % t,
    "qjwt":     lambda t: "https://h.example.com/cb?jwt=%s" % t,
    "qcode":    lambda t: "https://h.example.com/oauth?state=1&code=%s" % t,
    "qbearer":  lambda t: "https://h.example.com/x?bearer=%s" % t,
    "qsession": lambda t: "GET https://vendor.example.com/api/runs?sessionid=%s&page=1: 503" % t,
    "qhmac":    lambda t: "https://shop.example.com/admin/oauth?shop=x&hmac=%s&timestamp=1" % t,
    "qamz":     lambda t: "GET https://b.s3.amazonaws.com/o?X-Amz-Credential=AKIA&X-Amz-Signature=%s: 403" % t,
    # webhook URLs whose path is the credential
    "slackhook": lambda t: "POST https://hooks.slack.com/services/T0001/B0001/%s: 404 no_service" % t,
    "discord":  lambda t: "webhook https://discord.com/api/webhooks/1234/%s?wait=true failed" % t,
}
# JSON shapes: a function of the token to a value put in a payload
JSONS = {
    "namevalue": lambda t: [{"name": "DB_PASSWORD", "value": t}, {"name": "HOME", "value": "/root"}],
    "keyvalue":  lambda t: [{"Key": "api_token", "Value": t}],
    "key":       lambda t: {"key": t},
    "pw":        lambda t: {"pw": t},
    "session":   lambda t: {"session_id": t},
    "hmac":      lambda t: {"hmac": t},
    "pemkey":    lambda t: {"cert": "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----" % t},
    "nested":    lambda t: {"a": [{"b": {"clientSecret": t}}]},
    "strjson":   lambda t: {"extra": json.dumps({"password": t})},
}

def canon(rid, **kw):
    r = {"type": "run", "client": "acme", "platform": "airflow", "external_id": "orders_daily",
         "external_run_id": rid, "status": "failed",
         "started_at": "2026-11-20T01:00:00Z", "finished_at": "2026-11-20T01:05:00Z"}
    r.update(kw)
    return r

def write(name, recs):
    with open(os.path.join(out, name), "w") as f:
        for r in recs:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")

# canonical runs through chm-normalize then chm-load (N), and straight into chm-load (L)
for place, fname in (("N", "canon.ndjson"), ("L", "direct.ndjson")):
    recs = []
    for shape, f in TEXT.items():
        rid = "se-%s-em-%s" % (place, shape)
        recs.append(canon(rid, error_message=f(tok(place + "em", shape))))
        runs.append(rid)
        rid = "se-%s-sr-%s" % (place, shape)
        recs.append(canon(rid, status="success", error_message=None,
                          status_reason=f(tok(place + "sr", shape))))
        runs.append(rid)
    for shape, f in list(JSONS.items()) + [(k, (lambda g: lambda t: {"note": g(t)})(v)) for k, v in TEXT.items()]:
        rid = "se-%s-pl-%s" % (place, shape)
        recs.append(canon(rid, payload={"conf": f(tok(place + "pl", shape))}))
        runs.append(rid)
    write(fname, recs)

# raw partner records through chm-normalize
raw = []
for shape, f in list(JSONS.items()) + [(k, (lambda g: lambda t: {"note": g(t)})(v)) for k, v in TEXT.items()]:
    rid = "se-af-%s" % shape
    raw.append({"type": "raw", "source": "airflow", "client": "acme", "external_id": "orders_daily",
                "record": {"dag_id": "orders_daily", "dag_run_id": rid, "state": "failed",
                           "start_date": "2026-11-21T01:00:00Z", "end_date": "2026-11-21T01:09:00Z",
                           "conf": f(tok("af", shape))}})
    runs.append(rid)
for shape, f in TEXT.items():
    rid = "se-cr-%s" % shape
    raw.append({"type": "raw", "source": "cron", "client": "globex", "pipeline": "nightly_export",
                "record": {"run_id": rid, "event": "end", "exit_status": 2,
                           "started_at": "2026-11-21T02:00:00Z", "finished_at": "2026-11-21T02:01:00Z",
                           "stderr_tail": f(tok("cr", shape))}})
    runs.append(rid)
for shape, f in TEXT.items():
    rid = "0195a000-0000-4000-8000-%012d" % len(runs)
    raw.append({"type": "raw", "source": "openlineage", "client": "globex", "record": {
        "eventType": "FAIL", "eventTime": "2026-11-21T03:00:00Z",
        "run": {"runId": rid, "facets": {"errorMessage": {"message": f(tok("ol", shape)),
                                                            "programmingLanguage": "python"}}},
        "job": {"namespace": "my-scheduler-namespace", "name": "myjob"},
        "producer": "https://example.com/corpus"}})
    runs.append(rid)
write("raw.ndjson", raw)

# rejects: a bad status, the secrets in the message's quote and the line
bad = []
for shape, f in TEXT.items():
    bad.append(canon("se-bad-%s" % shape, status="exploded",
                     error_message=f(tok("rj", shape)), payload={"note": f(tok("rp", shape))}))
bad.append(canon("se-bad-status", status=TEXT["conninfo"](tok("rs", "status"))))
write("bad.ndjson", bad)

with open(os.path.join(out, "texts.tsv"), "w") as f:
    for shape, g in TEXT.items():
        f.write("record\t%s\n" % json.dumps(g(tok("cm", shape))))
        f.write("exec\t%s\n" % json.dumps(g(tok("ex", shape))))
with open(os.path.join(out, "runs.txt"), "w") as f:
    f.write("\n".join(runs) + "\n")
with open(os.path.join(out, "tokens.txt"), "w") as f:
    f.write("\n".join(tokens) + "\n")
