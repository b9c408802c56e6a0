#!/bin/sh
# gen-fleet.sh N_DATABASES CHANGES_PER_DB - write a synthetic transitions CSV
# on stdout, a fleet as tenants have them (the same file for the same
# arguments): every database is created in 2019 (60% General Purpose, 10%
# serverless, 12% DTU, 8% Business Critical, 10% created as Hyperscale),
# then makes 0 to 2 x CHANGES_PER_DB changes (CHANGES_PER_DB on average),
# a day or more apart, the last ones in January 2020 for some: most scale
# within their tier; some convert to Hyperscale, and some of those
# reverse-migrate to General Purpose (never one created as
# Hyperscale, and within 45 days); some DTU databases move to vCore and some General Purpose to
# Business Critical. 5% of the changes fail and 4% are cancelled (the
# objective stays); 1% of the databases end with one still in progress.
set -eu
n=$1 k=$2
awk -v n="$n" -v k="$k" '
function scale(o) { # the next size within the same tier
    if (o == "GP_Gen5_2") return "GP_Gen5_4"; if (o == "GP_Gen5_4") return (rand() < 0.5) ? "GP_Gen5_8" : "GP_Gen5_2"
    if (o == "GP_Gen5_8") return "GP_Gen5_4"; if (o == "GP_S_Gen5_2") return "GP_S_Gen5_4"
    if (o == "GP_S_Gen5_4") return "GP_S_Gen5_2"; if (o == "BC_Gen5_4") return "BC_Gen5_8"
    if (o == "BC_Gen5_8") return "BC_Gen5_4"; if (o == "HS_Gen5_4") return "HS_Gen5_8"
    if (o == "HS_Gen5_8") return "HS_Gen5_4"; if (o == "S0") return "S2"; if (o == "S2") return "S3"
    if (o == "S3") return "S2"; if (o == "P1") return "P2"; if (o == "P2") return "P1"
    return "GP_Gen5_4"
}
function ts(t) { return strftime("%Y-%m-%dT%H:%M:%SZ", t, 1) }
BEGIN {
    srand(20200101)
    print "resource_id,operation_id,started_at,ended_at,state,from_objective,to_objective,initiated_by"
    split("GP_Gen5_2 GP_Gen5_4 GP_Gen5_8", gp, " "); split("S0 S2 S3 P1", dtu, " ")
    y2019 = 1546300800; y2020 = 1577836800; day = 86400
    for (d = 0; d < n; d++) {
        id = sprintf("/subscriptions/bench-%d/resourceGroups/rg/providers/Microsoft.Sql/servers/srv-%d/databases/db-%d", d % 7, d % 50, d)
        r = rand()
        o = r < 0.60 ? gp[int(rand() * 3) + 1] : r < 0.70 ? "GP_S_Gen5_2" : r < 0.82 ? dtu[int(rand() * 4) + 1] : r < 0.90 ? "BC_Gen5_4" : "HS_Gen5_4"
        born_hs = o ~ /^HS/
        created = y2019 + int(rand() * 300) * day + int(rand() * 86400)
        printf "%s,,%s,,Succeeded,,%s,bench\n", id, ts(created), o
        m = int(rand() * (2 * k + 1)); converted = 0
        # when: uniform from its creation to 2020-01-20, a day or more apart
        for (i = 1; i <= m; i++) {
            at[i] = created + day + int(rand() * (y2020 + 20 * day - created - day))
            for (j = i; j > 1 && at[j - 1] > at[j]; j--) { x = at[j]; at[j] = at[j - 1]; at[j - 1] = x }
        }
        for (i = 2; i <= m; i++) if (at[i] < at[i - 1] + day) at[i] = at[i - 1] + day
        for (i = 1; i <= m; i++) {
            t = at[i]
            r = rand()
            if (converted && o ~ /^HS/ && !born_hs && r < 0.5 && t < converted + 40 * day) to = "GP_Gen5_4"
            else if (o !~ /^HS/ && r < 0.10) to = "HS_Gen5_4"
            else if (o ~ /^(S|P)[0-9]/ && r < 0.20) to = "GP_Gen5_2"
            else if (o ~ /^GP_Gen5/ && r < 0.13) to = "BC_Gen5_4"
            else to = scale(o)
            s = rand(); state = s < 0.05 ? "Failed" : s < 0.09 ? "Cancelled" : "Succeeded"
            if (i == m && d % 100 == 42) state = "InProgress"
            end = state == "InProgress" ? "" : ts(t + 600 + int(rand() * 7200))
            printf "%s,op-%d-%d,%s,%s,%s,%s,%s,bench\n", id, d, i, ts(t), end, state, o, to
            if (state == "Succeeded") {
                converted = (to ~ /^HS/ && o !~ /^HS/) ? t : (to ~ /^HS/ ? converted : 0)
                o = to
            }
            if (state == "InProgress") break
        }
    }
}'
