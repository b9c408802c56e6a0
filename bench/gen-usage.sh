#!/bin/sh
# gen-usage.sh N_DATABASES DAYS - write a synthetic import-usage CSV on
# stdout for the databases of gen-fleet.sh (created 2020-01-01): DAYS days
# from 2020-01-01 per database, growing backups, a region and tags.
set -eu
n=$1 days=$2
awk -v n="$n" -v days="$days" 'BEGIN {
    print "resource_id,day,full_bytes,diff_bytes,log_bytes,snapshot_bytes,allocated_bytes,max_size_bytes,redundancy,region,elastic_pool_id,tags"
    for (d = 0; d < n; d++) {
        id = sprintf("/subscriptions/bench-%d/resourceGroups/rg/providers/Microsoft.Sql/servers/srv-%d/databases/db-%d", d % 7, d % 50, d)
        base = 100000000000 + (d % 1000) * 1000000000
        for (i = 0; i < days; i++) {
            t = 1577836800 + i * 86400
            printf "%s,%s,%.0f,%.0f,%.0f,,%.0f,%.0f,Geo,westeurope,,\"{\"\"cost-center\"\":\"\"CC-%d\"\"}\"\n", id, strftime("%Y-%m-%d", t, 1), base + i * 1000000, int(base / 4), int(base / 3) + i * 500000, base, 2 * base, d % 10
        }
    }
}'
