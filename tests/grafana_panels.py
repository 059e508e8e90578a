#!/usr/bin/env python3
"""grafana_panels.py DASHBOARD.json NOW

Checks what a Grafana user sees of each panel, not only that its SQL runs;
prints one line per problem and exits 1 if there is any:
  - import form: one __inputs entry, a datasource of pluginId postgres (the id
    Grafana 10.0 to 11 know; grafana-postgresql-datasource is an alias only
    from 10.2.3), and every datasource reference (variables, panels,
    targets) {"type": "postgres", "uid": "${<that input>}"};
  - units: a field in seconds (*_seconds, seconds_since_*) shows as "s", a
    ratio (*_rate) as "percentunit"; every other field (counts, names,
    times) has no unit. A field's unit is the last fieldConfig override that
    matches its name (byName), else the panel default; a time_series query's
    values are named by their metric in Grafana, so only the default applies;
  - a status field (status, *_status) maps every value of the run_status
    enum to a colour;
  - a bar gauge shows every row (reduceOptions.values true), not one value
    reduced from all of them;
  - the windowed questions (Q1, Q5, Q7, Q8, Q9) answer for the dashboard's
    time range: their queries use $__timeFrom() and $__timeTo() (or
    $__timeFilter).
A panel's fields are its query's columns, as PostgreSQL (psql, PG*
environment) returns them with the macros expanded (grafana_sql.py)."""
import csv
import io
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grafana_sql import queries  # noqa: E402

WINDOWED = ("Q1 ", "Q5 ", "Q7 ", "Q8 ", "Q9 ")


def psql(sql):
    out = subprocess.run(["psql", "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return list(csv.reader(io.StringIO(out)))


def columns(sql):
    return psql("SELECT * FROM (%s) q LIMIT 0" % sql)[0]


def wanted_unit(field):
    if field.endswith("_seconds") or field.startswith("seconds_since_"):
        return "s"
    if field.endswith("_rate"):
        return "percentunit"
    return None


def effective(panel, field, prop, time_series):
    fc = panel.get("fieldConfig", {})
    val = fc.get("defaults", {}).get(prop)
    if prop == "unit" and val in ("none", ""):
        val = None
    if time_series:
        return val
    for o in fc.get("overrides", []):
        m = o.get("matcher", {})
        if m.get("id") == "byName" and m.get("options") == field:
            for p in o.get("properties", []):
                if p.get("id") == prop:
                    val = p.get("value")
    return val


def check_datasources(d, problems):
    inputs = d.get("__inputs", [])
    ds = [i for i in inputs if i.get("type") == "datasource" and i.get("pluginId") == "postgres"]
    if len(ds) != 1:
        problems.append("__inputs: want one datasource input of pluginId postgres, got %r" % inputs)
        return
    want = {"type": "postgres", "uid": "${%s}" % ds[0]["name"]}
    refs = [("variable " + v["name"], v.get("datasource")) for v in d.get("templating", {}).get("list", [])]
    for p in d["panels"]:
        refs.append((p["title"], p.get("datasource")))
        refs += [(p["title"] + " target " + t.get("refId", "?"), t.get("datasource")) for t in p.get("targets", [])]
    for where, ref in refs:
        if ref != want:
            problems.append("%s: datasource %r, want %r" % (where, ref, want))


def check_panel(p, sql, statuses, problems):
    title = p["title"]
    time_series = any(t.get("format") == "time_series" for t in p.get("targets", []))
    for field in columns(sql):
        if field in ("time", "metric"):
            continue
        want, got = wanted_unit(field), effective(p, field, "unit", time_series)
        if want != got:
            problems.append("%s: field %s has unit %r, want %r" % (title, field, got, want))
        if field == "status" or field.endswith("_status"):
            maps = effective(p, field, "mappings", time_series) or []
            colours = {k: v.get("color") for m in maps if m.get("type") == "value"
                       for k, v in m.get("options", {}).items()}
            missing = [s for s in statuses if not colours.get(s)]
            if missing:
                problems.append("%s: field %s has no colour for %s" % (title, field, ", ".join(missing)))
    if p["type"] == "bargauge" and p.get("options", {}).get("reduceOptions", {}).get("values") is not True:
        problems.append("%s: a bar gauge without reduceOptions.values true shows one value" % title)
    if title.startswith(WINDOWED):
        for t in p.get("targets", []):
            s = t.get("rawSql", "")
            if not (("$__timeFrom()" in s and "$__timeTo()" in s) or "$__timeFilter(" in s):
                problems.append("%s: the query ignores the dashboard's time range" % title)


def main():
    path, now = sys.argv[1], sys.argv[2]
    d = json.load(open(path, encoding="utf-8"))
    problems = []
    check_datasources(d, problems)
    statuses = [r[0] for r in psql("SELECT unnest(enum_range(NULL::run_status))::text")[1:]]
    panels = {p["title"]: p for p in d["panels"]}
    for title, sql in queries(path, now):
        if title in panels:
            check_panel(panels[title], sql, statuses, problems)
    for line in problems:
        print("%s: %s" % (os.path.basename(path), line))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
