#!/usr/bin/env python3
"""mi_agree.py TIERLEDGER [GRID_DAYS]: the view mi_restorable agrees with the model.

For every Managed Instance database in the store (libpq's PG* variables) and
every instant that matters (each recorded event's instant and a second later,
the estimated first restore point after it, and a grid of GRID_DAYS days over
the history), the rows of mi_restorable under SET tierledger.as_of, read as
tierledger_reader, are exactly the segments `tierledger lineage DB --as-of T
--format json` gives a window on that database: status, window, expiry,
retention, segment number. Prints the disagreements and "N checks; M
disagreements"; exits 1 when there is one."""
import datetime as dt
import json
import subprocess
import sys


def psql(sql):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-F", "\t", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text):
    return dt.datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S" if " " in text[:19]
                                else "%Y-%m-%dT%H:%M:%S")


def view_rows(instant):
    rows = psql("SET ROLE tierledger_reader; SET TIME ZONE 'UTC'; "
                f"SET tierledger.as_of = '{iso(instant)}'; "
                "SELECT lower(resource_id), seq, status, restore_from, restore_to, "
                "coalesce(expires_at::text, '-'), retention_days FROM mi_restorable")
    got = {}
    for key, seq, status, frm, to, exp, days in rows:
        got.setdefault(key, set()).add((int(seq), status, iso(parse(frm)), iso(parse(to)),
                                        exp if exp == "-" else iso(parse(exp)), int(days)))
    return got


def model_rows(tl, db, instant):
    p = subprocess.run([tl, "lineage", db, "--as-of", iso(instant), "--format", "json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None
    d = json.loads(p.stdout)
    want = set()
    for s in d["segments"]:
        if s["resource_id"].lower() != db.lower() or not s["window"]:
            continue
        exp = s["expires_at"] if s["status"] == "restorable" else "-"
        want.add((s["seq"], s["status"], s["window"]["from"], s["window"]["to"], exp,
                  s["retention_days"]))
    return want


def main():
    tl = sys.argv[1]
    grid = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    dbs = [r[0] for r in psql("SELECT DISTINCT ON (resource_key) resource_id FROM mi_events "
                              "WHERE resource_id ~* '/databases/' ORDER BY resource_key, id")]
    dbs += [r[0] for r in psql("SELECT DISTINCT ON (lower(detail)) detail FROM mi_events "
                               "WHERE event = 'move_completed' ORDER BY lower(detail), id")]
    dbs = sorted({d.lower(): d for d in dbs}.values())
    instants = set()
    for (at,) in psql("SET TIME ZONE 'UTC'; SELECT DISTINCT at FROM mi_events"):
        t = parse(at)
        for delta in (0, 1, 41 * 60, -1):
            instants.add(t + dt.timedelta(seconds=delta))
    lo, hi = min(instants), max(instants) + dt.timedelta(days=40)
    t = lo
    while t < hi:
        instants.add(t)
        t += dt.timedelta(days=grid)
    checks = bad = 0
    for instant in sorted(instants):
        got = view_rows(instant)
        for db in dbs:
            want = model_rows(tl, db, instant)
            if want is None:
                continue
            checks += 1
            have = got.get(db.lower(), set())
            if have != want:
                bad += 1
                if bad <= 20:
                    print(f"{db} at {iso(instant)}: view {sorted(have)} model {sorted(want)}")
    print(f"{checks} checks; {bad} disagreements")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
