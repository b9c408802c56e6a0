#!/usr/bin/env python3
"""asof_agree.py - the as-of agreement test of the issue "Auditors can rely on it".

  asof_agree.py histories SEED N DIR
      writes DIR/transitions.csv and DIR/facts.csv: N seeded random histories
      (conversions, reverse migrations that succeed, fail or are cancelled,
      operations still running, re-created databases, retention changes).
  asof_agree.py check SEED INSTANTS TIERLEDGER [DATABASE_ID]
      for every lineage (or the one with that databases.id) recorded in the database named by the PG* variables,
      at INSTANTS seeded instants each (event instants, a second before them,
      retention expiries, the gaps between), runs
      `tierledger lineage --created C --as-of T --format json` and compares
      restorable_now, backup_loss_events and transition_history under
      SET tierledger.as_of = T (as tierledger_reader) with it. Prints one
      line per disagreement and a summary; exits 1 when any.
"""
import concurrent.futures
import csv
import datetime
import json
import os
import random
import subprocess
import sys
import time

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
DAY = 86400
TERMINAL = ("Succeeded", "Failed", "Cancelled")


def iso(t):
    return (EPOCH + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text):
    if text is None or text == "":
        return None
    return int((datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
                .replace(tzinfo=datetime.timezone.utc) - EPOCH).total_seconds())


# ---- histories ----------------------------------------------------------

STANDARD = ["GP_Gen5_2", "GP_Gen5_4", "GP_Gen5_8", "BC_Gen5_4", "S3"]
HYPERSCALE = ["HS_Gen5_4", "HS_Gen5_8"]


def histories(seed, n, out):
    rng = random.Random(seed)
    base = epoch("2025-01-01T00:00:00Z")
    with open(os.path.join(out, "transitions.csv"), "w", newline="") as ft, \
            open(os.path.join(out, "facts.csv"), "w", newline="") as ff:
        tw, fw = csv.writer(ft, lineterminator="\n"), csv.writer(ff, lineterminator="\n")
        tw.writerow(["resource_id", "operation_id", "started_at", "ended_at", "state",
                     "from_objective", "to_objective", "initiated_by"])
        fw.writerow(["resource_id", "observed_at", "retention_days"])
        for k in range(n):
            rid = ("/subscriptions/00000000-0000-4000-8000-%012d/resourceGroups/rg-asof/"
                   "providers/Microsoft.Sql/servers/srv-%d/databases/db%d" % (seed, k % 7, k))
            t = base + rng.randrange(0, 500 * DAY)
            for lineage in range(2 if rng.random() < 0.15 else 1):
                t = one_lineage(rng, tw, fw, rid, k, lineage, t)
                t += rng.randrange(DAY, 20 * DAY)


def one_lineage(rng, tw, fw, rid, k, lineage, t):
    """Writes one lineage created at t; returns the instant after its last event."""
    objective = rng.choice(HYPERSCALE if rng.random() < 0.1 else STANDARD)
    tw.writerow([rid, "", iso(t), "", "Succeeded", "", objective, "terraform"])
    created, last = t, t
    for i in range(rng.randrange(0, 7)):
        t = last + rng.choice([60, 3600, rng.randrange(3600, 3 * DAY),
                               rng.randrange(DAY, 40 * DAY)])
        hyperscale = objective.startswith("HS_")
        if hyperscale:
            to = "GP_Gen5_4" if rng.random() < 0.6 else rng.choice(
                [o for o in HYPERSCALE if o != objective])
        else:
            to = rng.choice(HYPERSCALE) if rng.random() < 0.6 else rng.choice(
                [o for o in STANDARD if o != objective])
        running = i == 5 or rng.random() < 0.08
        state = (rng.choice(["InProgress", "Pending", "CancelInProgress"]) if running else
                 rng.choices(TERMINAL, weights=[65, 18, 17])[0])
        end = None if running else t + rng.randrange(60, 12 * 3600)
        tw.writerow([rid, "op-%d-%d-%d" % (k, lineage, i), iso(t), iso(end) if end else "",
                     state, objective, to, rng.choice(["dba@contoso.com", "ops-pipeline", ""])])
        if state == "Succeeded":
            objective = to
        last = end if end else t
        if running:
            break
    for j in range(rng.randrange(0, 4)):
        at = created + rng.randrange(0, max(1, last - created + 30 * DAY))
        days = "" if rng.random() < 0.2 else str(rng.randrange(1, 36))
        fw.writerow([rid, iso(at), days])
    return last


# ---- the check ----------------------------------------------------------

def psql(script, role=None):
    args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"]
    prefix = "SET ROLE %s;\n" % role if role else ""
    done = subprocess.run(args, input=prefix + script, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("asof_agree: psql failed: " + done.stderr.strip()[:500])
    return list(csv.reader(done.stdout.splitlines()))


def lineages():
    rows = psql("COPY (SELECT d.id, d.resource_id, d.resource_key,"
                " extract(epoch FROM d.created_at)::bigint,"
                " coalesce(string_agg(concat_ws(' ', extract(epoch FROM t.started_at)::bigint,"
                "   extract(epoch FROM t.ended_at)::bigint), ' '), ''),"
                " coalesce((SELECT string_agg(extract(epoch FROM f.observed_at)::bigint || ' ' ||"
                "   coalesce(f.retention_days, 7), ' ') FROM database_facts f"
                "   WHERE f.database_id = d.id), '')"
                " FROM databases d LEFT JOIN transitions t ON t.database_id = d.id"
                " GROUP BY d.id ORDER BY d.id) TO STDOUT (FORMAT csv)\n")
    out = []
    for r in rows:
        times = [int(x) for x in r[4].split()]
        facts = [int(x) for x in r[5].split()]
        out.append({"id": r[0], "rid": r[1], "key": r[2], "created": int(r[3]),
                    "times": times, "days": sorted(set([7] + facts[1::2]))})
    return out


def instants(rng, lin, count, creations):
    """Seeded instants at or after the creation, most of them on a boundary."""
    c = lin["created"]
    cand = set()
    for t in lin["times"]:
        cand.update([t, t - 1, t + 1])
        for r in lin["days"]:
            cand.update([t + r * DAY, t + r * DAY - 1])
    cand.update(x for x in creations if x >= c)
    cand = sorted(x for x in cand if x >= c)
    picks = rng.sample(cand, min(count - 1, len(cand)))
    span = max(cand + [c]) - c + 40 * DAY
    picks.append(c + rng.randrange(0, span))
    return picks


def lineage_json(tl, lin, t):
    env = dict(os.environ, PGOPTIONS="-c role=tierledger_reader")
    done = subprocess.run([tl, "lineage", lin["rid"], "--created", iso(lin["created"]),
                           "--as-of", iso(t), "--format", "json"],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return None, done.stderr.strip()
    return json.loads(done.stdout), None


E = "extract(epoch FROM %s)::bigint"


def view_script(pairs):
    key = ("resource_id = %s AND database_created_at = to_timestamp(%d)")
    parts = []
    for n, (lin, t) in enumerate(pairs):
        where = key % (quote(lin["rid"]), lin["created"])
        parts.append("SET tierledger.as_of = '%s';\n" % iso(t))
        parts.append(
            "COPY (SELECT %d, 'R', segment, architecture, status, %s, %s, %s, retention_days,"
            " retention_assumed FROM restorable_now WHERE %s ORDER BY segment)"
            " TO STDOUT (FORMAT csv);\n"
            % (n, E % "restore_from", E % "restore_to", E % "expires_at", where))
        parts.append(
            "COPY (SELECT %d, 'L', segment, architecture, array_to_string(objectives, ','), %s,"
            " %s, %s, cause_rule, cause_kind, %s, cause_to_objective, cause_state,"
            " cause_initiated_by, cause_operation_id, loss_assumed, %s, retention_days"
            " FROM backup_loss_events WHERE %s ORDER BY segment) TO STDOUT (FORMAT csv);\n"
            % (n, E % "start_at", E % "end_at", E % "lost_at", E % "cause_started_at",
               E % "cause_ended_at", where))
        parts.append(
            "COPY (SELECT %d, 'T', %s, %s, state, from_objective, to_objective, kind"
            " FROM transition_history WHERE %s ORDER BY started_at, to_objective)"
            " TO STDOUT (FORMAT csv);\n"
            % (n, E % "started_at", E % "ended_at", where))
    return "".join(parts)


def quote(s):
    return "'" + s.replace("'", "''") + "'"


def s(v):
    return "" if v is None else str(v)


def b(v):
    return "t" if v else "f"


def expected(doc, newest):
    """The view rows lineage --as-of implies, as the CSV the COPY writes."""
    r, lost = [], []
    days = doc["retention_days"]
    for seg in doc["segments"]:
        if seg["status"] in ("current", "restorable") and newest:
            r.append(["R", str(seg["seq"]), seg["architecture"], seg["status"],
                      s(epoch(seg["restore_from"])), s(epoch(seg["restore_to"])),
                      s(epoch(seg["expires_at"])) if seg["status"] == "restorable" else "",
                      str(days), b(doc["retention_assumed"])])
        if seg["status"] == "lost":
            c = seg["lost_by"]
            lost.append(["L", str(seg["seq"]), seg["architecture"], ",".join(seg["objectives"]),
                         s(epoch(seg["start"])), s(epoch(seg["end"])), s(epoch(seg["lost_at"])),
                         c["rule"], c["kind"], s(epoch(c["started_at"])), c["to_objective"],
                         c["state"], s(c["initiated_by"]), s(c["operation_id"]),
                         b(seg["loss_assumed"]), s(epoch(c["ended_at"])), str(days)])
    return r, lost


def history_expected(raw, t):
    """transition_history for one lineage at t, from the raw recorded rows."""
    rows = []
    for started, ended, state, frm, to, kind in raw:
        if started > t:
            continue
        done = ended is not None and ended <= t
        if frm == "" or done or state not in TERMINAL:
            shown = state
        else:
            shown = "InProgress"
        rows.append(["T", str(started), s(ended if done else None), shown,
                     frm if frm else "(created)", to, kind])
    return sorted(rows, key=lambda x: (int(x[1]), x[5]))


def raw_histories():
    rows = psql("COPY (SELECT database_id, %s, %s, state, coalesce(from_objective, ''),"
                " to_objective, CASE WHEN from_objective IS NULL THEN 'creation'"
                "  WHEN tierledger_architecture(from_objective) = tierledger_architecture(to_objective)"
                "  THEN 'tier_change' WHEN tierledger_architecture(to_objective) = 'hyperscale'"
                "  THEN 'conversion' ELSE 'reverse_migration' END"
                " FROM current_transitions) TO STDOUT (FORMAT csv)\n"
                % (E % "started_at", E % "ended_at"))
    out = {}
    for r in rows:
        out.setdefault(r[0], []).append((int(r[1]), int(r[2]) if r[2] else None,
                                         r[3], r[4], r[5], r[6]))
    return out


def check(seed, count, tl, only=None):
    rng = random.Random(seed)
    lins = [x for x in lineages() if only is None or x["id"] == only]
    raw = raw_histories()
    by_key = {}
    for lin in lins:
        by_key.setdefault(lin["key"], []).append(lin["created"])
    pairs = []
    for lin in lins:
        for t in instants(rng, lin, count, by_key[lin["key"]]):
            pairs.append((lin, t))
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        docs = list(pool.map(lambda p: lineage_json(tl, p[0], p[1]), pairs))
    t1 = time.time()
    views = psql(view_script(pairs), role="tierledger_reader")
    sys.stderr.write("asof_agree: lineage %.1f s, views %.1f s\n" % (t1 - t0, time.time() - t1))
    got = {}
    for row in views:
        got.setdefault(int(row[0]), []).append(row[1:])
    bad = 0
    checked = {"R": 0, "L": 0, "T": 0, "assumed": 0, "restorable": 0, "running": 0}
    for n, ((lin, t), (doc, error)) in enumerate(zip(pairs, docs)):
        where = "%s created %s at %s" % (lin["rid"], iso(lin["created"]), iso(t))
        if doc is None:
            print("asof_agree: %s: lineage failed: %s" % (where, error))
            bad += 1
            continue
        newest = max(c for c in by_key[lin["key"]] if c <= t) == lin["created"]
        want_r, want_l = expected(doc, newest)
        want_t = history_expected(raw.get(lin["id"], []), t)
        rows = got.get(n, [])
        for tag, want in (("R", want_r), ("L", want_l), ("T", want_t)):
            have = [r for r in rows if r[0] == tag]
            checked[tag] += len(want)
            if have != want:
                bad += 1
                view = {"R": "restorable_now", "L": "backup_loss_events",
                        "T": "transition_history"}[tag]
                print("asof_agree: %s: %s has %s, lineage --as-of says %s"
                      % (where, view, have, want))
        running = [r for r in want_t if r[2] == "" and r[4] != "(created)"]
        if (doc["in_progress"] is None) != (not running) or (
                doc["in_progress"] is not None and doc["in_progress"] not in [r[6] for r in running]):
            bad += 1
            print("asof_agree: %s: in progress %s, transition_history running %s"
                  % (where, doc["in_progress"], running))
        checked["assumed"] += sum(1 for r in want_l if r[14] == "t")
        checked["restorable"] += sum(1 for r in want_r if r[3] == "restorable")
        checked["running"] += len(running)
    print("asof_agree: %d lineages at %d instants: rows compared: %d restorable_now (%d previous "
          "segments), %d backup_loss_events (%d assumed), %d transition_history (%d running); "
          "%d disagreements"
          % (len(lins), len(pairs), checked["R"], checked["restorable"], checked["L"],
             checked["assumed"], checked["T"], checked["running"], bad))
    return 1 if bad else 0


def main(argv):
    if len(argv) == 5 and argv[1] == "histories":
        histories(int(argv[2]), int(argv[3]), argv[4])
        return 0
    if len(argv) in (5, 6) and argv[1] == "check":
        return check(int(argv[2]), int(argv[3]), argv[4], argv[5] if len(argv) == 6 else None)
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
