#!/bin/sh
# gen-fleet.sh N_DATABASES CHANGES_PER_DB - write a synthetic transitions CSV
# on stdout: every database is created, then alternates GP scaling, a
# conversion to Hyperscale and a reverse migration, one change a day.
set -eu
n=$1 k=$2
awk -v n="$n" -v k="$k" 'BEGIN {
    print "resource_id,operation_id,started_at,ended_at,state,from_objective,to_objective,initiated_by"
    split("GP_Gen5_2 GP_Gen5_4 HS_Gen5_4 GP_Gen5_4 BC_Gen5_4 GP_Gen5_4", cycle, " ")
    for (d = 0; d < n; d++) {
        id = sprintf("/subscriptions/bench-%d/resourceGroups/rg/providers/Microsoft.Sql/servers/srv-%d/databases/db-%d", d % 7, d % 50, d)
        printf "%s,,2020-01-01T00:00:00Z,,Succeeded,,GP_Gen5_2,bench\n", id
        from = "GP_Gen5_2"
        for (i = 1; i <= k; i++) {
            to = cycle[(i % 6) + 1]; if (to == from) to = (from == "GP_Gen5_2") ? "GP_Gen5_4" : "GP_Gen5_2"
            if (from ~ /^HS/ && to !~ /^HS/) to = "GP_Gen5_4"
            day = i; t = 1577836800 + day * 86400
            printf "%s,op-%d-%d,%s,%s,Succeeded,%s,%s,bench\n", id, d, i, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), strftime("%Y-%m-%dT%H:%M:%SZ", t + 3600, 1), from, to
            from = to
        }
    }
}'
