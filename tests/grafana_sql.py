#!/usr/bin/env python3
"""grafana_sql.py [--from FROM] DASHBOARD.json NOW [VAR=VALUE ...]

Prints one JSON line {"panel": title, "sql": ...} for every query of the
dashboard (panel targets and template variable queries), with Grafana's
PostgreSQL macros and template variables expanded the way Grafana does:
  $__timeFilter(c)          c BETWEEN 'FROM' AND 'TO'
  $__timeFrom() $__timeTo() 'FROM' / 'TO'
  $__timeGroup(c, '1h')     floor(extract(epoch from c)/3600)*3600
  $__timeGroupAlias(c,'1h') ... AS "time"
  $__unixEpochFilter(c)     c >= FROM_EPOCH AND c <= TO_EPOCH
  $__interval               the panel interval (1h here)
  $var / ${var}             VALUE given as 'v1','v2' (quoted, '' escaped),
                            or the variable's allValue when none is given
The time range is the dashboard's own (time.from, e.g. now-7d) ending at NOW,
or [FROM, NOW] with --from (RFC 3339 UTC, as a user picks a range).
Any $ macro or variable left over is an error: a dashboard cannot ship a
query the test did not expand."""
import json
import re
import sys
from datetime import datetime, timedelta, timezone

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def seconds(spec):
    m = re.fullmatch(r"(\d+)([smhdw])", spec.strip().strip("'\""))
    if not m:
        sys.exit("grafana_sql: cannot read interval %r" % spec)
    return int(m.group(1)) * UNITS[m.group(2)]


def args_of(sql, start):
    """The text between the parentheses opening at start, nesting-aware."""
    depth, i = 0, start
    while i < len(sql):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                return sql[start + 1:i], i + 1
        i += 1
    sys.exit("grafana_sql: unbalanced macro call")


def split_args(s):
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def expand(sql, frm, to, values):
    iso = lambda t: t.strftime("'%Y-%m-%dT%H:%M:%SZ'")
    macros = {
        "timeFilter": lambda a: "%s BETWEEN %s AND %s" % (a[0], iso(frm), iso(to)),
        "timeFrom": lambda a: iso(frm),
        "timeTo": lambda a: iso(to),
        "timeGroup": lambda a: "floor(extract(epoch from %s)/%d)*%d" % (a[0], seconds(a[1]), seconds(a[1])),
        "timeGroupAlias": lambda a: "floor(extract(epoch from %s)/%d)*%d AS \"time\"" % (a[0], seconds(a[1]), seconds(a[1])),
        "unixEpochFilter": lambda a: "%s >= %d AND %s <= %d" % (a[0], frm.timestamp(), a[0], to.timestamp()),
    }
    out, i = "", 0
    for m in re.finditer(r"\$__(\w+)\(", sql):
        if m.start() < i:
            continue
        name = m.group(1)
        if name not in macros:
            sys.exit("grafana_sql: unknown macro $__%s" % name)
        inner, end = args_of(sql, m.end() - 1)
        out += sql[i:m.start()] + macros[name](split_args(inner))
        i = end
    sql = out + sql[i:]
    sql = sql.replace("$__interval", "'1h'")
    for name, val in values.items():
        sql = re.sub(r"\$\{%s\}|\$%s\b" % (name, name), lambda _: val, sql)
    if re.search(r"\$[A-Za-z_{]", sql):
        sys.exit("grafana_sql: unexpanded variable or macro in: " + sql)
    return sql


def parse_time(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def queries(path, now, given=None, frm=None):
    """(panel title, expanded SQL) of every query of the dashboard at path:
    the template variables' first, then each panel's targets."""
    given = given or {}
    d = json.load(open(path, encoding="utf-8"))
    to = parse_time(now)
    if frm is None:
        m = re.fullmatch(r"now-(\d+[smhdw])", d["time"]["from"])
        frm = to - timedelta(seconds=seconds(m.group(1)))
    else:
        frm = parse_time(frm)
    values = {}
    for v in d.get("templating", {}).get("list", []):
        if v["name"] in given:
            values[v["name"]] = ",".join("'%s'" % x.replace("'", "''") for x in given[v["name"]].split(","))
        else:
            values[v["name"]] = v["allValue"]
        yield "variable " + v["name"], expand(v["query"], frm, to, {})
    for p in d["panels"]:
        for t in p.get("targets", []):
            yield p["title"], expand(t["rawSql"], frm, to, values)


def main():
    args = sys.argv[1:]
    frm = None
    if args[:1] == ["--from"]:
        frm, args = args[1], args[2:]
    path, now = args[0], args[1]
    given = dict(a.split("=", 1) for a in args[2:])
    for title, sql in queries(path, now, given, frm):
        print(json.dumps({"panel": title, "sql": sql}))


if __name__ == "__main__":
    main()
