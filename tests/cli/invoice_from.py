#!/usr/bin/env python3
"""invoice_from.py CHARGEBACK.csv FORMAT OUT.csv [PLANT...] - writes a Cost
Management export of backup storage (FORMAT focus or mca, the documented
headers) that bills exactly what the estimate CHARGEBACK.csv says, one line
per database, meter and day of its charge period, amounts to 10 decimals
(the last day takes the rest, so the lines sum to the estimate), plus one
line of another service; then applies each PLANT:
  scale:NAME:F        bill database NAME's cost F times the estimate
  price:NAME:F        the same, the quantity unchanged (another unit price)
  drop:NAME           no line for NAME (not invoiced)
  upper:NAME          NAME's resource id and meter in upper case
  add:NAME:METER:COST a line for NAME (its resource id, or one under the
                      estimate's first server) and METER costing COST on the 15th
Prints the export's backup storage total, exactly."""
import csv
import datetime
import decimal
import sys

D = decimal.Decimal
Q = D("0.0000000001")


def day_range(start, end):
    a = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").date()
    b = datetime.datetime.strptime(end, "%Y-%m-%dT%H:%M:%SZ")
    last = (b - datetime.timedelta(seconds=1)).date()
    while a <= last:
        yield a
        a += datetime.timedelta(days=1)


def main(src, fmt, out, plants):
    groups = {}
    first_id = None
    ids = {}
    with open(src, newline="") as f:
        for r in csv.DictReader(f):
            first_id = first_id or r["ResourceId"]
            ids[r["ResourceName"]] = r["ResourceId"]
            key = (r["ResourceId"], r["x_SkuMeterName"])
            g = groups.setdefault(key, {"q": D(0), "c": D(0), "days": set(), "name": r["ResourceName"]})
            g["q"] += D(r["PricingQuantity"])
            g["c"] += D(r["EffectiveCost"])
            g["days"].update(day_range(r["ChargePeriodStart"], r["ChargePeriodEnd"]))
    lines = []
    for (rid, meter), g in groups.items():
        if g["c"] == 0 and g["q"] == 0:
            continue  # nothing billed: Azure writes no line
        lines.append([rid, meter, g["q"], g["c"], sorted(g["days"]), g["name"]])
    for p in plants:
        kind, name, *rest = p.split(":", 3) if p.startswith("add:") else p.split(":")
        hits = [l for l in lines if l[5] == name]
        if kind == "scale":
            for l in hits:
                l[2] *= D(rest[0])
                l[3] *= D(rest[0])
        elif kind == "price":
            for l in hits:
                l[3] *= D(rest[0])
        elif kind == "drop":
            lines = [l for l in lines if l[5] != name]
        elif kind == "upper":
            for l in hits:
                l[0], l[1] = l[0].upper(), l[1].upper()
        elif kind == "add":
            rid = ids.get(name, first_id.rsplit("/", 1)[0] + "/" + name)
            lines.append([rid, rest[0], D(rest[1]) / D("0.2"), D(rest[1]),
                          [datetime.date(2026, 10, 15)], name])
    total = D(0)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        if fmt == "focus":
            w.writerow(["BillingAccountId", "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart",
                        "ChargePeriodEnd", "BilledCost", "EffectiveCost", "BillingCurrency",
                        "ConsumedQuantity", "ResourceId", "ServiceName", "x_SkuMeterName"])
        else:
            w.writerow(["invoiceId", "billingAccountId", "billingPeriodStartDate", "billingPeriodEndDate",
                        "date", "meterName", "meterCategory", "ResourceId", "quantity", "unitOfMeasure",
                        "billingCurrency", "costInBillingCurrency"])
        for rid, meter, q, c, days, _ in lines:
            n = len(days)
            dq, dc = (q / n).quantize(Q), (c / n).quantize(Q)
            for i, d in enumerate(days):
                lq = dq if i < n - 1 else q - dq * (n - 1)
                lc = dc if i < n - 1 else c - dc * (n - 1)
                total += lc
                if fmt == "focus":
                    w.writerow(["1", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", d.isoformat() + "T00:00:00Z",
                                (d + datetime.timedelta(days=1)).isoformat() + "T00:00:00Z", lc, lc, "USD",
                                lq, rid, "Azure SQL Database", meter])
                else:
                    w.writerow(["", "1", "10/01/2026", "10/31/2026", d.strftime("%m/%d/%Y"), meter,
                                "SQL Database", rid, lq, "1 GB/Month", "USD", lc])
        # another service: skipped by import-costs, not in the total
        if fmt == "focus":
            w.writerow(["1", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-10-01T00:00:00Z",
                        "2026-10-02T00:00:00Z", "40", "40", "USD", "24", first_id, "Azure SQL Database", "vCore"])
        else:
            w.writerow(["", "1", "10/01/2026", "10/31/2026", "10/01/2026", "vCore", "SQL Database",
                        first_id, "24", "1 Hour", "USD", "40"])
    print(total)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
