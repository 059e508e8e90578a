#!/usr/bin/env python3
"""Checks chm-report output in one format against expected rows (ndjson).

    report_check.py FORMAT EXPECTED.ndjson QUESTION < output

The expected rows are the hand-computed ones (fixtures/report/expected.ndjson);
this re-derives what each format must show from them, independently of the C
code, and exits 1 with a diff when the output differs.
"""
import csv
import io
import json
import math
import re
import sys
from html.parser import HTMLParser

# prom: the label columns and the one-per-row metric of each question
# (lib/engines/report.c); every other numeric or timestamp column is a gauge,
# but Q9's hist_* columns, which are one histogram chm_duration_seconds
# (cumulative buckets, _sum, _count = runs). Every prom report ends with
# chm_last_ingest_timestamp_seconds, which t0602 checks on its own.
PROM = {
    "q2": ("chm_pipeline_latest", ["client", "pipeline", "platform"], "status", "status"),
    "q3": ("chm_client", ["client"], None, None),
    "q6": ("chm_failing", ["client", "pipeline", "platform"], None, None),
    "q7": ("chm_flaky", ["client", "pipeline", "platform"], None, None),
    "q8": ("chm_platform", ["platform"], None, None),
    "q9": ("chm_duration", ["client", "pipeline", "platform"], None, None),
    "q10": ("chm_governance", ["finding", "client", "pipeline", "platform"], "finding", None),
}
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


class Num(str):
    """A number as written in the expected JSON (kept as text)."""


def load(path, question):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line, parse_float=Num, parse_int=Num)
            if obj.pop("type") == question:
                rows.append(obj)
    return rows


def text(v):
    return "" if v is None else str(v)


def fail(what, expected, actual):
    sys.stderr.write("%s differs\nexpected: %r\nactual:   %r\n" % (what, expected, actual))
    sys.exit(1)


def check_csv(rows, cols, out):
    if "\n" in out.replace("\r\n", ""):
        fail("line ends (CRLF)", "CRLF only", out)
    got = list(csv.reader(io.StringIO(out, newline="")))
    want = [cols] + [[text(r[c]) for c in cols] for r in rows]
    if got != want:
        fail("csv", want, got)


def duration(s):
    """Seconds in the units a table shows (lib/core/table.c): 850 ms, 42s,
    4m 12s, 1h 05m, 11d 5h."""
    if s < 0:
        return "-" + duration(-s)
    ms = math.floor(s * 1000 + 0.5)
    if s > 0 and ms < 1000:
        return "%d ms" % ms
    n = math.floor(s + 0.5)
    if n < 60:
        return "%ds" % n
    if n < 3600:
        return "%dm %02ds" % (n // 60, n % 60)
    if n < 86400:
        return "%dh %02dm" % (n // 3600, n % 3600 // 60)
    return "%dd %dh" % (n // 86400, n % 86400 // 3600)


def human(col, v):
    """A value as the table shows it: null "-", times to the second,
    seconds and rates in human units by the column's name."""
    if v is None:
        return "-"
    if isinstance(v, Num):
        if col.startswith("seconds_since_"):
            x = float(v)
            return "in " + duration(-x) if x < 0 else duration(x) + " ago"
        if col.endswith("_seconds"):
            return duration(float(v))
        if col.endswith("_rate"):
            return "%.1f%%" % (float(v) * 100)
        return str(v)
    v = str(v)
    if TS.match(v):
        return v[:10] + " " + v[11:19] + "Z"
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: " " if m.group(0) in "\n\t\r" else "?", v)


def header(col, rows):
    """A column's header: the unit its human values carry leaves its name."""
    if any(isinstance(r[col], Num) for r in rows):
        if col.startswith("seconds_since_"):
            return col[len("seconds_"):]
        if col.endswith("_seconds"):
            return col[:-len("_seconds")]
    return col


def check_table(rows, cols, out, question, title):
    """The table as chm-report --wide prints it: no column cut."""
    numeric = {c: any(isinstance(r[c], Num) for r in rows) for c in cols}
    lines = ["%s: %s" % (question, title)]
    if not rows:
        lines.append("(no rows)")
    else:
        cells = [[header(c, rows) for c in cols]] + [[human(c, r[c]) for c in cols] for r in rows]
        w = [max(len(row[i]) for row in cells) for i in range(len(cols))]
        for row in cells:
            parts = []
            for i, c in enumerate(cols):
                v = row[i]
                if numeric[c]:
                    v = v.rjust(w[i])
                elif i < len(cols) - 1:
                    v = v.ljust(w[i])
                parts.append(v)
            lines.append("  ".join(parts))
    want = "\n".join(lines) + "\n"
    if out != want:
        fail("table", want, out)


class Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.cur, self.cell, self.row = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.cur = self.sections.setdefault(a.get("id"), {"rows": [], "text": ""})
        elif tag == "tr" and self.cur is not None:
            self.row = []
            self.cur["rows"].append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "section":
            self.cur = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.cur is not None:
            self.cur["text"] += data


HTML_TOP = 25  # rows of an html table (lib/engines/report_html.c)


def check_html(rows, cols, out, question):
    """The section's table shows the first HTML_TOP rows in human units (as
    the terminal table does), Q9's slowest median first, then how many more."""
    p = Tables()
    p.feed(out)
    sec = p.sections.get(question)
    if sec is None:
        fail("html section", question, sorted(p.sections))
    if question == "q9":
        rows = sorted(rows, key=lambda r: -float(r["p50_seconds"] or -1))
    want = [cols] + [[human(c, r[c]) for c in cols] for r in rows[:HTML_TOP]] if rows else []
    if len(rows) > HTML_TOP:
        more = len(rows) - HTML_TOP
        want.append(["and %d more row%s, not shown: chm-report --format csv %s lists every row"
                     % (more, "" if more == 1 else "s", question)])
    if sec["rows"] != want:
        fail("html table", want, sec["rows"])
    if not rows and "No rows" not in sec["text"]:
        fail("html empty section", "No rows", sec["text"])


def prom_value(v):
    if TS.match(v):
        from datetime import datetime, timezone
        t = datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        return "%.6f" % t.timestamp()
    return str(v)


HIST_LE = {"hist_10s": "10", "hist_1m": "60", "hist_5m": "300", "hist_15m": "900",
           "hist_1h": "3600", "hist_6h": "21600", "hist_inf": "+Inf"}
SUM = re.compile(r"^(chm_duration_seconds_sum\{[^}]*\}) -?[0-9.e+]+$")


def check_prom(rows, cols, out, question):
    prefix, labels, one, one_label = PROM[question]

    def lab(r, extra=None):
        names = labels + ([extra] if extra else [])
        return "{" + ",".join('%s="%s"' % (n, str(r[n]).replace("\\", "\\\\").replace('"', '\\"'))
                              for n in names) + "}"

    def histogram():
        name = prefix + "_seconds"
        lines = ["# TYPE %s histogram" % name]
        for r in rows:
            total = 0
            for c, le in HIST_LE.items():
                total += int(r[c])
                lines.append('%s_bucket%s,le="%s"} %d' % (name, lab(r)[:-1], le, total))
            lines.append("%s_sum%s SUM" % (name, lab(r)))
            lines.append("%s_count%s %s" % (name, lab(r), r["runs"]))
        return lines

    want = []
    if one:
        want.append("# TYPE %s_%s gauge" % (prefix, one))
        want += ["%s_%s%s 1" % (prefix, one, lab(r, one_label)) for r in rows
                 if not one_label or r[one_label] is not None]
    for c in cols:
        if c in labels:
            continue
        if question == "q9" and c in HIST_LE:
            if c == "hist_10s":
                want += histogram()
            continue
        vals = [r[c] for r in rows if r[c] is not None]
        sample = next(iter(vals), None)
        # a column's kind: numbers and timestamps are gauges, text is not
        is_ts = any(isinstance(v, str) and TS.match(v) for v in vals)
        is_num = any(isinstance(v, Num) for v in vals)
        if not (is_ts or is_num):
            continue
        name = "%s_%s%s" % (prefix, c, "_timestamp_seconds" if is_ts else "")
        want.append("# TYPE %s gauge" % name)
        want += ["%s%s %s" % (name, lab(r), prom_value(r[c])) for r in rows if r[c] is not None]
        del sample
    got = [l for l in out.splitlines() if not l.startswith("# HELP")]
    # the report's last family, the same whatever the question
    if "# TYPE chm_last_ingest_timestamp_seconds gauge" in got:
        got = got[:got.index("# TYPE chm_last_ingest_timestamp_seconds gauge")]
    # _sum is not in the expected rows (t0602 checks it against the runs)
    got = [SUM.sub(r"\1 SUM", l) for l in got]
    if got != want:
        fail("prom", want, got)


def main():
    fmt, expected, question = sys.argv[1:4]
    title = sys.argv[4] if len(sys.argv) > 4 else ""
    out = sys.stdin.buffer.read().decode("utf-8")
    rows = load(expected, question)
    cols = list(rows[0].keys()) if rows else None
    if cols is None:
        sys.exit("report_check: no expected rows for %s" % question)
    if fmt == "csv":
        check_csv(rows, cols, out)
    elif fmt == "table":
        check_table(rows, cols, out, question, title)
    elif fmt == "html":
        check_html(rows, cols, out, question)
    elif fmt == "prom":
        check_prom(rows, cols, out, question)
    else:
        sys.exit("report_check: unknown format " + fmt)


if __name__ == "__main__":
    main()
