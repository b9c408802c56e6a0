#!/bin/sh
# make-fleet-usage.sh > fleet-usage.csv - daily backup usage for the sample
# fleet (made up, deterministic), 2026-08-20 .. 2026-11-19, following each
# database's architecture in fleet.csv: standard days carry full/diff/log,
# Hyperscale days snapshot/log. Sizes grow slowly and dip weekly as full
# backup sets age out.
set -eu
awk 'function b(x) { return sprintf("%.0f", x) }
BEGIN {
    OFS = ","
    sub_ = "/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-prod/providers/Microsoft.Sql/servers/"
    print "resource_id,day,full_bytes,diff_bytes,log_bytes,snapshot_bytes,allocated_bytes,max_size_bytes,redundancy,region,elastic_pool_id,tags"
    # name | server | region | redundancy | max GB | base GB | tags | Hyperscale from (day) | standard again from
    n = split("salesdb|sql-prod-weu|westeurope|Geo|1024|1200|CC-100|-|-;" \
              "orders|sql-prod-weu|westeurope|Geo|1024|900|CC-200|2026-11-10|-;" \
              "telemetry|sql-prod-weu|westeurope|Zone|-1|300|CC-300|2026-06-01|-;" \
              "billing|sql-prod-weu|westeurope|Geo|1024|700|CC-100|2026-10-08|-;" \
              "archive|sql-prod-weu|westeurope|Local|2048|400|CC-400|2026-08-01|-;" \
              "crm|sql-prod-weu|westeurope|Geo|1024|600|CC-200|2026-10-20|-;" \
              "inventory|sql-prod-weu|westeurope|Geo|512|650|CC-300|-|-;" \
              "payments|sql-prod-neu|northeurope|GeoZone|1024|800|CC-200|2026-10-31|-;" \
              "reporting|sql-prod-neu|northeurope|Geo|1024|500|CC-400|2026-10-01|2026-10-20;" \
              "legacy|sql-prod-neu|northeurope|Geo|2|3|CC-400|-|-;" \
              "analytics|sql-prod-neu|northeurope|Zone|4096|5000|CC-300|2026-11-05|-;" \
              "customers|sql-prod-neu|northeurope|Geo|1024|350|CC-100|-|-", dbs, ";")
    start = 1787184000  # 2026-08-20T00:00:00Z
    for (d = 1; d <= n; d++) {
        split(dbs[d], f, "|")
        for (i = 0; i < 92; i++) {
            t = start + i * 86400
            day = strftime("%Y-%m-%d", t, 1)
            if ((f[1] == "customers" || f[1] == "reporting") && day < "2026-09-01") continue  # created 09-01
            hs = (f[8] != "-" && day > f[8] && (f[9] == "-" || day <= f[9]))
            gb = f[6] * (1 + i / 400) * (1 - 0.08 * (i % 7 == 6))
            tags = "{\"cost-center\":\"" f[7] "\",\"env\":\"prod\"}"
            gsub(/"/, "\"\"", tags)
            id = sub_ f[2] "/databases/" f[1]
            alloc = b(f[6] * 0.6 * 1073741824)
            if (hs)
                print id, day, "", "", b(gb * 0.25 * 1073741824), b(gb * 0.75 * 1073741824), alloc, -1, f[4], f[3], "", "\"" tags "\""
            else
                print id, day, b(gb * 0.6 * 1073741824), b(gb * 0.15 * 1073741824), b(gb * 0.25 * 1073741824), "", alloc, (f[5] < 0 ? -1 : b(f[5] * 1073741824)), f[4], f[3], "", "\"" tags "\""
        }
    }
}'
