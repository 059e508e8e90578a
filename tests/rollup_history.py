#!/usr/bin/env python3
"""A random run history for the rollup test (tests/t0607-report-rollups.bats).

usage: rollup_history.py [--seed N] [--days N] [--per-day N] OUTDIR

Writes canonical records (chm-records(5)) that chm-load accepts, in the
files a test loads one after the other:

  inventory.ndjson    clients (one inactive) and pipelines on every platform
  base-a.ndjson       most of the history, roughly in time order
  base-b.ndjson       the rest, shuffled (for a tiny --batch-size: a day cut
                      by many batches, its runs out of order)
  updates.ndjson      running runs that end, late runs of old days, runs
                      whose start moves to another day (a newer attempt),
                      starts of runs loaded without one, refreshed finishes;
                      several events of one run next to each other, so they
                      fall in one batch
  regressions.ndjson  terminal runs changed to another status: load it with
                      --regressions accept

Seeded and deterministic (Python's random with its own seed; no clock, no
environment), standard library only. The history ends on 2026-11-22 (UTC),
with runs after the test's clock (13:37 that day) too. It is built to hit the
edges of a daily rollup: runs at exactly midnight and one microsecond before
and after it, runs of one pipeline at the same instant with different
outcomes (Q7's tie order), runs without started_at, durations of 0, exactly
10/60/300/900/3600/21600 s (Q9's bucket edges) and a microsecond either side,
huge ones, none; every status.
"""

import argparse
import datetime as dt
import json
import os
import random

UTC = dt.timezone.utc
LAST_DAY = dt.datetime(2026, 11, 22, tzinfo=UTC)
US = dt.timedelta(microseconds=1)
DAY = dt.timedelta(days=1)

CLIENTS = [
    ("acme", True),
    ("globex", True),
    ("initech", True),
    ("umbrella", False),  # inactive: Q3 leaves it out, the others do not
]

# (client, name, platform, pipeline_type, external_id, is_active)
PIPELINES = [
    ("acme", "orders", "airflow", "ingestion", "orders", True),
    ("acme", "crm", "dbt", "transform", "501", True),
    ("acme", "ledger", "cron", "export", "ledger", True),
    ("acme", "legacy", "airflow", "ingestion", "legacy", False),
    ("globex", "ship", "custom", "ingestion", "ns/ship", True),
    ("globex", "track", "vendor_api", "healthcheck", "track-1", True),
    ("globex", "export", "cron", "export", "export", True),
    ("initech", "dq", "dbt", "quality", "777", True),
    ("initech", "tps", "airflow", "transform", "tps", True),
    ("umbrella", "old", "custom", "ingestion", "old", True),
]

EDGES = [10, 60, 300, 900, 3600, 21600]
TERMINAL = ["success", "failed", "canceled", "skipped"]


def ts(at):
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def line(rec):
    return json.dumps(rec, separators=(",", ":")) + "\n"


class History:
    def __init__(self, seed, days, per_day):
        self.rng = random.Random(seed)
        self.days = days
        self.per_day = per_day
        self.runs = []  # the latest state we sent of each run (a dict)
        self.seq = 0
        self.updated = set()  # the runs updates.ndjson has events of

    def duration(self):
        r = self.rng.random()
        if r < 0.08:
            return None
        if r < 0.13:
            return 0
        if r < 0.28:
            return self.rng.choice(EDGES)
        if r < 0.33:
            return round(self.rng.choice(EDGES) + self.rng.choice([-1e-6, 1e-6]), 6)
        if r < 0.36:
            return self.rng.choice([1e6, 2592000.5, 123456789.123456, 987654321])
        if r < 0.40:
            return round(self.rng.uniform(0, 1e-3), 6)  # below Q9's rounding
        return round(self.rng.lognormvariate(4.5, 2.0), 6)

    def start_on(self, day, prev):
        r = self.rng.random()
        if r < 0.06:
            return day
        if r < 0.11:
            return day + DAY - US
        if r < 0.13:
            return day + US
        if r < 0.18 and prev is not None and prev.date() == day.date():
            return prev  # the same instant as the pipeline's previous run
        if r < 0.20:
            return day + dt.timedelta(hours=self.rng.randrange(24))  # on the hour
        return day + dt.timedelta(microseconds=self.rng.randrange(86400 * 10**6))

    def status(self):
        return self.rng.choices(["success", "failed", "canceled", "skipped", "running"],
                                weights=[58, 22, 5, 5, 10])[0]

    def event(self, run, status=None, **fields):
        rec = {"type": "run", "client": run["client"], "platform": run["platform"],
               "external_id": run["external_id"], "external_run_id": run["id"],
               "status": status or run["status"]}
        rec.update(fields)
        return rec

    def terminal_fields(self, run, dur):
        """finished_at and duration_seconds of a run that ended: given, or
        derived by the loader from finished_at (no duration), or neither."""
        out = {}
        start = run["started_at"]
        r = self.rng.random()
        if dur is None:
            if start is not None and r < 0.3:
                out["finished_at"] = ts(start + dt.timedelta(seconds=self.rng.randrange(1, 5000),
                                                             microseconds=self.rng.randrange(10**6)))
            return out
        if start is not None and dur < 1e8:
            out["finished_at"] = ts(start + dt.timedelta(seconds=dur))
        if r < 0.85 or "finished_at" not in out:
            out["duration_seconds"] = dur
        return out

    def base(self):
        """The history: one or more events a run, in time order."""
        events = []
        first = LAST_DAY - (self.days - 1) * DAY
        for p in PIPELINES:
            client, _name, platform, _type, ext, _active = p
            prev = None
            for d in range(self.days):
                day = first + d * DAY
                n = self.rng.choice([0, 1, 2]) if self.rng.random() < 0.1 else \
                    self.rng.randrange(1, 2 * self.per_day)
                for _ in range(n):
                    self.seq += 1
                    start = self.start_on(day, prev)
                    prev = start
                    no_start = self.rng.random() < 0.03
                    run = {"client": client, "platform": platform, "external_id": ext,
                           "id": "%s-%d" % (ext.replace("/", "_"), self.seq),
                           "status": self.status(),
                           "started_at": None if no_start else start, "sort": start}
                    self.runs.append(run)
                    start_field = {} if no_start else {"started_at": ts(start)}
                    if run["status"] == "running":
                        run["dur"] = None
                        events.append((start, self.event(run, **start_field)))
                        continue
                    if self.rng.random() < 0.3 and not no_start:
                        # its START first, a while before its end
                        events.append((start, self.event(run, "running", **start_field)))
                    dur = self.duration()
                    run["dur"] = dur
                    fields = dict(start_field)
                    fields.update(self.terminal_fields(run, dur))
                    if run["status"] == "failed":
                        fields["error_message"] = self.rng.choice(["boom", "timeout", "exit 2"])
                    end = start + dt.timedelta(seconds=min(dur or 0, 86400 * 3))
                    events.append((end, self.event(run, **fields)))
        # far from the rest: on the edges of the tests' longest windows
        for k, at in enumerate([dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                                dt.datetime(2000, 1, 1, tzinfo=UTC),
                                dt.datetime(2031, 6, 1, 12, tzinfo=UTC)]):
            client, _name, platform, _type, ext, _active = PIPELINES[k]
            run = {"client": client, "platform": platform, "external_id": ext,
                   "id": "far-%d" % k, "status": "failed", "started_at": at, "sort": at, "dur": 5}
            self.runs.append(run)
            events.append((at, self.event(run, started_at=ts(at), duration_seconds=5)))
        events.sort(key=lambda e: e[0])
        # a little disorder, as feeds deliver: swap some neighbours
        for i in range(len(events) - 1):
            if self.rng.random() < 0.05:
                events[i], events[i + 1] = events[i + 1], events[i]
        return [e for _, e in events]

    def updates(self):
        out = []
        rng = self.rng
        runs = [r for r in self.runs]
        rng.shuffle(runs)
        used = self.updated

        def pick(cond, n):
            got = []
            for r in runs:
                if len(got) >= n:
                    break
                if r["id"] not in used and cond(r):
                    used.add(r["id"])
                    got.append(r)
            return got

        # running runs that end; some with an intermediate running event
        for r in pick(lambda r: r["status"] == "running" and r["started_at"] is not None, 10**9):
            if rng.random() < 0.25:
                continue  # still running
            if rng.random() < 0.4:
                out.append(self.event(r, "running", started_at=ts(r["started_at"]), rows_processed=rng.randrange(1000)))
            r["status"] = rng.choice(TERMINAL)
            dur = self.duration()
            fields = {"started_at": ts(r["started_at"])}
            fields.update(self.terminal_fields(r, dur))
            out.append(self.event(r, **fields))
        # runs loaded without a start get one (a START after its COMPLETE)
        for r in pick(lambda r: r["started_at"] is None, 10**9):
            if rng.random() < 0.7:
                r["started_at"] = r["sort"]
                out.append(self.event(r, "running", started_at=ts(r["started_at"])))
        # newer attempts: a later start, often on another day, then an end
        for r in pick(lambda r: r["started_at"] is not None and r["status"] != "running", 60):
            old = r["started_at"]
            k = rng.random()
            if k < 0.25:
                new = old.replace(hour=0, minute=0, second=0, microsecond=0) + DAY  # next midnight
            elif k < 0.4:
                new = old + US  # the next day for a run a microsecond before midnight
            elif k < 0.7:
                new = old + dt.timedelta(days=rng.randrange(1, 4), minutes=rng.randrange(600))
            else:
                new = old + dt.timedelta(minutes=rng.randrange(1, 600))
            r["started_at"] = new
            out.append(self.event(r, "running", started_at=ts(new)))
            if rng.random() < 0.8:
                r["status"] = rng.choice(TERMINAL)
                fields = {"started_at": ts(new)}
                fields.update(self.terminal_fields(r, self.duration()))
                out.append(self.event(r, **fields))
            else:
                r["status"] = "running"
        # a terminal run refreshed with a new finish and duration (same status)
        for r in pick(lambda r: r["started_at"] is not None and r["status"] in TERMINAL, 60):
            fields = {"started_at": ts(r["started_at"])}
            fields.update(self.terminal_fields(r, self.duration()))
            out.append(self.event(r, **fields))
        # late runs of old days, between the ones stored and at the edges
        first = LAST_DAY - (self.days - 1) * DAY
        for i in range(150):
            p = rng.choice(PIPELINES)
            day = first + rng.randrange(max(1, self.days - 10)) * DAY
            self.seq += 1
            run = {"client": p[0], "platform": p[2], "external_id": p[4],
                   "id": "late-%d" % self.seq, "status": rng.choice(TERMINAL),
                   "started_at": self.start_on(day, None)}
            run["sort"] = run["started_at"]
            self.runs.append(run)
            used.add(run["id"])
            fields = {"started_at": ts(run["started_at"])}
            fields.update(self.terminal_fields(run, self.duration()))
            out.append(self.event(run, **fields))
        # keep each run's events together (one batch) but shuffle the runs
        groups = {}
        order = []
        for e in out:
            key = e["external_id"] + "\0" + e["external_run_id"]
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(e)
        rng.shuffle(order)
        return [e for k in order for e in groups[k]]

    def regressions(self):
        """Terminal runs moved to another status (or back to running). None
        that updates.ndjson has events of, so a replay of either file after
        both is unchanged."""
        out = []
        rng = self.rng
        cand = [r for r in self.runs if r["status"] in TERMINAL and r["started_at"] is not None
                and r["id"] not in self.updated]
        for r in rng.sample(cand, min(80, len(cand))):
            new = rng.choice([s for s in TERMINAL + ["running"] if s != r["status"]])
            r["status"] = new
            fields = {"started_at": ts(r["started_at"])}
            if new != "running":
                fields.update(self.terminal_fields(r, self.duration()))
            out.append(self.event(r, new, **fields))
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--days", type=int, default=45)
    ap.add_argument("--per-day", type=int, default=8)
    ap.add_argument("outdir")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    h = History(a.seed, a.days, a.per_day)

    def write(name, records):
        with open(os.path.join(a.outdir, name), "w", encoding="utf-8") as f:
            for rec in records:
                f.write(line(rec))

    inv = [{"type": "client", "name": c, "is_active": act} for c, act in CLIENTS]
    inv += [{"type": "pipeline", "client": c, "name": n, "platform": pl, "pipeline_type": t,
             "external_id": e, "is_active": act} for c, n, pl, t, e, act in PIPELINES]
    write("inventory.ndjson", inv)
    base = h.base()
    cut = len(base) * 7 // 10
    write("base-a.ndjson", base[:cut])
    rest = base[cut:]
    # shuffled by run, so a run's events keep their order
    by_run = {}
    for e in rest:
        by_run.setdefault(e["external_run_id"], []).append(e)
    keys = sorted(by_run)
    h.rng.shuffle(keys)
    write("base-b.ndjson", [e for k in keys for e in by_run[k]])
    write("updates.ndjson", h.updates())
    write("regressions.ndjson", h.regressions())


if __name__ == "__main__":
    main()
