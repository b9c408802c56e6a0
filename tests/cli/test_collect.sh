#!/usr/bin/env bash
# test_collect.sh - `tierledger collect`, the real binary over real HTTP
# (tests/fakeazure/fakeazure.py on loopback) into the real PostgreSQL:
# scripted polls of a database's life, every poll run twice; throttling,
# server errors, malformed answers, token expiry, managed identity, the lock,
# unreachable services, and that no secret ever shows.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { bad "python3 is needed for the fake Azure"; finish; exit 1; }
tl init >/dev/null 2>&1 || bad "init"
all_out=$work/all-output # every stdout and stderr, searched for secrets at the end
collect() { # collect EXPECTED_EXIT NAME [args]: runs and keeps output
    local want=$1 name=$2; shift 2
    run "$name" "$want" tl collect "$@"
    cat "$work/out" "$work/err" >>"$all_out"
}
q() { sql "$1" | tr '|' ' '; }
transitions_of() { # the salesdb history, one line per recorded version
    q "SELECT d.created_at::date, to_char(t.started_at AT TIME ZONE 'UTC','MM-DD HH24:MI'),
              coalesce(to_char(t.ended_at AT TIME ZONE 'UTC','MM-DD HH24:MI'),'-'), t.state,
              coalesce(t.from_objective,'-'), t.to_objective, coalesce(t.initiated_by,'-'),
              t.source, t.inferred
         FROM transitions t JOIN databases d ON d.id = t.database_id
        WHERE d.database_name = 'salesdb' ORDER BY t.id"
}

# ---- the lifecycle: seven polls, each twice ---------------------------------
fake_start lifecycle
polls=(2026-10-01T10:00:00Z 2026-10-01T12:00:00Z 2026-10-20T08:00:00Z 2026-10-20T09:00:00Z
       2026-10-25T00:00:00Z 2026-11-01T00:00:00Z 2026-11-02T00:00:00Z)
for i in "${!polls[@]}"; do
    fake_step "$i"
    collect 0 "poll $i" --observed-at "${polls[$i]}"
    first=$(sql "SELECT count(*) FROM transitions") drops=$(sql "SELECT count(*) FROM database_drops")
    facts=$(sql "SELECT count(*) FROM database_facts") dbs=$(sql "SELECT count(*) FROM databases")
    changes=$(sql "SELECT count(*) FROM lineage_changes")
    collect 0 "poll $i again" --observed-at "${polls[$i]}"
    out_has "poll $i again" "recorded 0 transitions, 0 fact changes, 0 drops, 0 usage days"
    same "poll $i again: transitions" "$(sql "SELECT count(*) FROM transitions")" "$first"
    same "poll $i again: drops" "$(sql "SELECT count(*) FROM database_drops")" "$drops"
    same "poll $i again: facts" "$(sql "SELECT count(*) FROM database_facts")" "$facts"
    same "poll $i again: lineages" "$(sql "SELECT count(*) FROM databases")" "$dbs"
    # ...so it leaves refresh nothing to recompute
    same "poll $i again: no change for refresh" "$(sql "SELECT count(*) FROM lineage_changes")" "$changes"
    case $i in
    0)  # the first poll's lineages are changes for refresh
        same "poll 0: changes for refresh" "$(sql "SELECT count(DISTINCT database_id) FROM lineage_changes")" "$dbs"
        # pagination: both subscription pages and both database pages were read
        same "subscriptions page 2" "$(grep -c '"path": "/subscriptions", "query": "api-version=2022-12-01&%24skipToken=1"' "$work/fake.log")" 2
        same "databases page 2" "$(grep -c 'sqlcrudtest-4645/databases", "query": "api-version=2025-01-01&%24skipToken=1"' "$work/fake.log")" 2
        same "system database skipped" "$(sql "SELECT count(*) FROM databases WHERE database_name = 'master'")" 0
        same "every ARM request asks for gzip" "$(grep '"method": "GET"' "$work/fake.log" | grep -c '"gzip": false')" 0
        same "lineages after poll 0" "$(sql "SELECT string_agg(database_name, ',' ORDER BY database_name) FROM databases")" "inventory,salesdb,testdb"
        # W6: the requested objective differs while the conversion runs; recorded, and since when
        same "requested objective recorded" "$(q "SELECT f.requested_objective, to_char(f.requested_since AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM database_facts f JOIN databases d ON d.id = f.database_id WHERE d.database_name = 'salesdb' ORDER BY f.observed_at DESC LIMIT 1")" "HS_Gen5_2 2026-10-01 10:00"
        ;;
    1)  # the subscriptions listed, with their names: the chargeback's SubAccountName
        same "subscription names" "$(sql "SELECT string_agg(display_name, ',' ORDER BY display_name) FROM subscriptions")" "Example Subscription,Example Subscription2,SQL fleet"
        run "chargeback names the subscription" 0 tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv"
        same "SubAccountName" "$(python3 -c 'import csv,sys; print(sorted({r["SubAccountName"] for r in csv.DictReader(open(sys.argv[1])) if "sqlcrudtest" in r["ResourceId"]}))' "$work/out")" "['SQL fleet']"
        same "requested objective gone once it happened" "$(q "SELECT coalesce(f.requested_objective, '-') FROM database_facts f JOIN databases d ON d.id = f.database_id WHERE d.database_name = 'salesdb' ORDER BY f.observed_at DESC LIMIT 1")" "-"
        ;;
    5)  same "drop recorded" "$(q "SELECT to_char(dropped_at AT TIME ZONE 'UTC','YYYY-MM-DD HH24:MI'), source FROM database_drops")" "2026-10-30 12:00 restorable_dropped"
        same "drop confirmed by one 404" "$(grep -c 'databases/salesdb", "query": "api-version=2025-01-01", "status": 404' "$work/fake.log")" 1
        ;;
    esac
    # steady state: the second run asks nothing per database unless a change is in flight
    if [ "$i" = 6 ]; then
        n_before=$(wc -l <"$work/fake.log")
        collect 0 "steady state" --observed-at 2026-11-02T00:05:00Z
        per_db=$(tail -n +$((n_before + 1)) "$work/fake.log" | grep -c -E '/operations"|backupShortTermRetentionPolicies')
        same "steady state: no per-database requests" "$per_db" 0
    fi
done
cat >"$work/want" <<'EOF'
2026-09-01 09-01 00:00 - Succeeded - GP_Gen5_2 - observed f
2026-09-01 10-01 09:30 - InProgress GP_Gen5_2 HS_Gen5_2 dba@contoso.com operations f
2026-09-01 10-01 09:30 10-01 11:10 Succeeded GP_Gen5_2 HS_Gen5_2 dba@contoso.com operations f
2026-09-01 10-20 07:00 - InProgress HS_Gen5_2 GP_Gen5_2 ops-automation@contoso.com operations f
2026-09-01 10-20 07:00 10-20 08:30 Cancelled HS_Gen5_2 GP_Gen5_2 ops-automation@contoso.com operations f
2026-09-01 10-20 09:00 10-25 00:00 Succeeded HS_Gen5_2 HS_Gen5_4 - observed t
2026-11-01 11-01 06:00 - Succeeded - GP_Gen5_2 - observed f
EOF
transitions_of >"$work/got"
if diff -u "$work/want" "$work/got" >"$work/diff"; then ok; else bad "salesdb transitions:"; cat "$work/diff" >&2; fi
same "ARM properties kept as facts" "$(q "SELECT arm_properties FROM database_facts f JOIN databases d ON d.id = f.database_id WHERE d.database_name = 'salesdb' ORDER BY f.id LIMIT 1")" '{"zoneRedundant": false}'
same "geo links and allocated size observed" "$(q "SELECT geo_replication, allocated_bytes FROM database_facts f JOIN databases d ON d.id = f.database_id WHERE d.database_name = 'salesdb' ORDER BY f.id LIMIT 1")" "f 5368709120"
same "geo role observed (E11): no geo link, role none" "$(q "SELECT geo_role, geo_secondaries FROM database_facts f JOIN databases d ON d.id = f.database_id WHERE d.database_name = 'salesdb' ORDER BY f.id LIMIT 1")" "none 0"
metric_q='metricnamespace=Microsoft.Sql%2Fservers%2Fdatabases&metricnames='
hs_asks=$(grep -c "${metric_q}base_blob_size_bytes,snapshot_backup_size_bytes,log_backup_size_bytes&timespan=2026-09-28T00:00:00Z%2F2026-10-01T00:00:00Z&interval=P1D&aggregation=average%2Cmaximum&AutoAdjustTimegrain=false" "$work/fake.log")
gp_asks=$(grep -c "${metric_q}allocated_data_storage,full_backup_size_bytes,diff_backup_size_bytes,log_backup_size_bytes&timespan=2026-09-01T00:00:00Z%2F2026-10-01T00:00:00Z&interval=P1D" "$work/fake.log")
dtu_asks=$(grep -c "${metric_q}allocated_data_storage&timespan=" "$work/fake.log")
same "metrics by kind: Hyperscale (3 recent days), vCore (30 days at first sight), DTU (allocated only)" "$hs_asks $gp_asks $([ "$dtu_asks" -gt 0 ] && echo yes)" "1 2 yes"
# daily backup usage (B1/B3 figures), the day's average; kept per lineage
usage_of() { # DAY: the first salesdb lineage's row
    q "SELECT coalesce(full_bytes::text,'-'), coalesce(diff_bytes::text,'-'), log_bytes,
              coalesce(snapshot_bytes::text,'-'), allocated_bytes, max_size_bytes, redundancy,
              region, source
         FROM backup_usage u JOIN databases d ON d.id = u.database_id
        WHERE d.database_name = 'salesdb' AND d.created_at = '2026-09-01Z' AND u.day = '$1'"
}
same "usage rows per lineage: 30 days backfilled at first sight + 2 x 3 recent days; 1 day of the new one" \
    "$(q "SELECT d.created_at::date, count(*), min(day), max(day) FROM backup_usage u JOIN databases d ON d.id = u.database_id WHERE d.database_name = 'salesdb' GROUP BY 1 ORDER BY 1" | tr '\n' ' ')" \
    "2026-09-01 36 2026-09-01 2026-10-24 2026-11-01 1 2026-11-01 2026-11-01 "
same "usage, a General Purpose day: full, diff, log averages, allocated, max size (B1 allowance)" \
    "$(usage_of 2026-09-01)" "30064771072 5368709120 3221225472 - 5100273664 34359738368 Zone southeastasia collector"
same "usage read again after the conversion: late log sample replaces, sizes it lacks are kept" \
    "$(usage_of 2026-09-29)" "30064771072 5368709120 3222274048 11811160064 10737418240 34359738368 Zone southeastasia collector"
same "usage, a Hyperscale day: snapshot + log (B3), re-read at poll 3" \
    "$(usage_of 2026-10-19)" "- - 3224371200 11811160064 10737418240 -1 Zone southeastasia collector"
# inventory is re-read on the 6-hour cadence: 30 days, then 3 + 3 + 3 + 1 new recent days
same "usage of a DTU database: allocated size only (B2)" \
    "$(q "SELECT count(*), count(full_bytes), min(allocated_bytes) FROM backup_usage u JOIN databases d ON d.id = u.database_id WHERE d.database_name = 'inventory'")" "40 0 5100273664"
same "usage days counted per run" "$(sql "SELECT usage_days_added FROM collector_runs ORDER BY id LIMIT 1")" 90
same "two lineages of salesdb" "$(sql "SELECT count(*) FROM databases WHERE database_name = 'salesdb'")" 2
same "retention observed" "$(sql "SELECT retention_days FROM database_facts f JOIN databases d ON d.id = f.database_id WHERE d.database_name = 'salesdb' ORDER BY f.id LIMIT 1")" 35
same "runs recorded" "$(sql "SELECT count(*) FROM collector_runs WHERE status = 'succeeded'")" 15
same "run row counts" "$(q "SELECT transitions_added, drops_added, errors FROM collector_runs ORDER BY id LIMIT 1")" "4 0 0"

# the lineage the model computes from what was collected
rid=/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/sqlcrudtest-7398/providers/Microsoft.Sql/servers/sqlcrudtest-4645/databases/salesdb
run "lineage of the first salesdb" 0 tl lineage "$rid" --created 2026-09-01T00:00:00Z --as-of 2026-10-21T00:00:00Z --format json
out_has "lineage" '"objective": "HS_Gen5_2"'
out_has "lineage: the GP segment was lost when the reverse migration started (L3)" '"lost_at": "2026-10-20T07:00:00Z"'
out_has "lineage: cutover at the operation's estimated completion" '"end": "2026-10-01T11:10:00Z"'
out_has "lineage: retention from Azure" '"retention_days": 35'
run "lineage of the re-created salesdb" 0 tl lineage sqlcrudtest-4645/salesdb --as-of 2026-11-02T00:00:00Z
out_has "re-created lineage" "created 2026-11-01T06:00:00Z"
run "check on collected data" 0 tl check sqlcrudtest-4645/salesdb --to HS_Gen5_2 --as-of 2026-11-02T00:00:00Z
out_has "check" "Verdict:  OK"
out_lacks "check: geo links known" "geo-replication links is unknown"
fake_stop

# ---- the same lifecycle listed through Resource Graph ---------------------------
# (its own database; the transitions, lineages and usage must be the same)
usage_summary() {
    q "SELECT d.database_name, d.created_at::date, count(*), sum(coalesce(full_bytes, 0) + coalesce(log_bytes, 0))
         FROM backup_usage u JOIN databases d ON d.id = u.database_id GROUP BY 1, 2 ORDER BY 1, 2"
}
usage_summary >"$work/usage-arm"
# everything recorded per lineage, but for ids, stamps and the hash chain
content() {
    local t
    for t in transitions database_facts database_drops backup_usage; do
        q "SELECT d.database_name, d.created_at, (to_jsonb(x) - '{id,database_id,recorded_at,recorded_by,recorded_via,chain_seq,chain_hash,prev_hash,supersedes}'::text[])::text
             FROM $t x JOIN databases d ON d.id = x.database_id ORDER BY 1, 2, 3"
    done
}
content >"$work/content-arm"
same "content: something to compare" "$([ "$(wc -l <"$work/content-arm")" -gt 100 ] && echo yes)" yes
fresh_db() { # fresh_db NAME: an empty, initialised database for a section
    export PGDATABASE=$1
    "$PG_BINDIR/dropdb" --if-exists "$PGDATABASE" >/dev/null 2>&1
    "$PG_BINDIR/createdb" "$PGDATABASE" && tl init >/dev/null 2>&1 || bad "$1: a fresh database"
}
fresh_db tl_test_collect_graph
: >"$work/fake.log"
fake_start lifecycle
for i in "${!polls[@]}"; do
    fake_step "$i"
    collect 0 "graph poll $i" --via resource-graph --observed-at "${polls[$i]}"
    collect 0 "graph poll $i again" --via resource-graph --observed-at "${polls[$i]}"
    out_has "graph poll $i again" "recorded 0 transitions, 0 fact changes, 0 drops, 0 usage days"
done
transitions_of >"$work/got"
if diff -u "$work/want" "$work/got" >"$work/diff"; then ok; else bad "graph: salesdb transitions:"; cat "$work/diff" >&2; fi
usage_summary >"$work/usage-graph"
same "graph: the same lineages and usage as per-server lists" "$(diff "$work/usage-arm" "$work/usage-graph" && echo same)" same
same "graph: no per-server or per-subscription lists" "$(grep -c -E 'Microsoft.Sql/servers", "query"|/databases", "query"' "$work/fake.log")" 0
same "graph: one query per poll, subscriptions batched" "$(grep '"path": "/providers/Microsoft.ResourceGraph/resources"' "$work/fake.log" | grep -c '"skipToken": null, "subscriptions": 3')" 14
same "graph: pages followed with \$skipToken" "$([ "$(grep -c '"skipToken": "0' "$work/fake.log")" -ge 14 ] && echo yes)" yes
# a quota of 1 query per 1-s window is 0 after each answer: the run's next page waits
# resets-after (00:00:01)
curl -s -X POST "$FAKE/_fake/graph-quota?n=1&window=1" >/dev/null
: >"$work/fake.log"
collect 0 "graph: quota exhausted" --via resource-graph --observed-at 2026-11-02T00:10:00Z
gap=$(python3 - "$work/fake.log" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if "ResourceGraph" in l]
print(len(rows) >= 3 and min(b["t"] - a["t"] for a, b in zip(rows, rows[1:])) >= 0.95)
PY
)
same "graph: an exhausted quota pauses the next query" "$gap" True
run "graph: a bad --via" 64 tl collect --via graphs
err_has "bad --via" "--via: expected arm or resource-graph"
fake_stop

# ---- the same lifecycle a server at a time ----------------------------------------
# (TIERLEDGER_FLEET_PAGE=1: each batch is one server, listed, detailed, written
# and released before the next is listed); what is recorded must be the same
fresh_db tl_test_collect_batch
: >"$work/fake.log"
fake_start lifecycle
export TIERLEDGER_FLEET_PAGE=1
for i in "${!polls[@]}"; do
    fake_step "$i"
    collect 0 "batch poll $i" --observed-at "${polls[$i]}" --progress
    # two batches: each server's databases listed, then detailed, then the next's
    [ "$i" = 0 ] && same "batch: a details phase per server" "$(grep -c 'tierledger collect: reading details: ' "$work/err") $(sed -n 's/^tierledger collect: \(listing databases\|reading details\): [0-9]* of [0-9]* requests (2 servers, \([0-9]*\) databases)$/\1 \2/p' "$work/err" | tr '\n' ',')" \
        "2 listing databases 2,reading details 2,listing databases 3,reading details 3,"
    collect 0 "batch poll $i again" --observed-at "${polls[$i]}"
    out_has "batch poll $i again" "recorded 0 transitions, 0 fact changes, 0 drops, 0 usage days"
    [ "$i" = 6 ] && collect 0 "batch steady state" --observed-at 2026-11-02T00:05:00Z
done
content >"$work/content-batch"
if diff -u "$work/content-arm" "$work/content-batch" >"$work/diff"; then ok; else bad "batch: not what one batch recorded:"; head -30 "$work/diff" >&2; fi
# the same through Resource Graph: its pages are read as the batches need
# servers, so the first server is detailed and written before the last
# page is asked for (the run never holds every database the query lists)
fresh_db tl_test_collect_graph_batch
fake_start lifecycle --graph-page 1
for i in "${!polls[@]}"; do
    fake_step "$i"
    : >"$work/fake.log"
    collect 0 "graph batch poll $i" --via resource-graph --observed-at "${polls[$i]}"
    [ "$i" = 0 ] && same "graph batch: a server detailed between two pages of the query" "$(python3 - "$work/fake.log" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
graph = [i for i, r in enumerate(rows) if "ResourceGraph" in r["path"]]
detail = [i for i, r in enumerate(rows) if "/databases/" in r["path"]]
print(len(graph) >= 3 and bool(detail) and graph[0] < detail[0] < graph[-1])
PY
)" True
    collect 0 "graph batch poll $i again" --via resource-graph --observed-at "${polls[$i]}"
    out_has "graph batch poll $i again" "recorded 0 transitions, 0 fact changes, 0 drops, 0 usage days"
    [ "$i" = 6 ] && collect 0 "graph batch steady state" --via resource-graph --observed-at 2026-11-02T00:05:00Z
done
# Resource Graph failing part way (every page from the query's 4th row on
# answers 503): what was read may be written, but no server is taken for
# listed in full, so nothing is recorded dropped, and the run fails naming
# the query; the next run, the query whole again, finds nothing to record
curl -s -X POST "$FAKE/_fake/graph-fail?from=3" >/dev/null
drops=$(sql "SELECT count(*) FROM database_drops")
: >"$work/fake.log"
collect 1 "graph fails part way" --via resource-graph --observed-at 2026-11-02T00:05:00Z --attempts 1
same "graph fails part way: pages read, then one refused" "$(python3 - "$work/fake.log" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if "ResourceGraph" in l]
print([r["status"] for r in rows][-1] == 503 and sum(r["status"] == 200 for r in rows) >= 3)
PY
)" True
err_has "graph fails part way: named" "Microsoft.ResourceGraph/resources"
same "graph fails part way: nothing dropped" "$(sql "SELECT count(*) FROM database_drops")" "$drops"
same "graph fails part way: the run row" "$(q "SELECT status FROM collector_runs ORDER BY id DESC LIMIT 1")" "failed"
# ...or ending short (its last page without rows or $skipToken, fewer rows
# read than its totalRecords): a partial answer, not a list of every database
curl -s -X POST "$FAKE/_fake/graph-fail?from=3&short=1" >/dev/null
collect 1 "graph ends short" --via resource-graph --observed-at 2026-11-02T00:05:00Z --attempts 1
err_has "graph ends short: named" "\$.totalRecords: "
same "graph ends short: nothing dropped" "$(sql "SELECT count(*) FROM database_drops")" "$drops"
curl -s -X POST "$FAKE/_fake/graph-fail?from=-1" >/dev/null
collect 0 "graph after the failure" --via resource-graph --observed-at 2026-11-02T00:05:00Z
out_has "graph after the failure" "recorded 0 transitions, 0 fact changes, 0 drops, 0 usage days"
unset TIERLEDGER_FLEET_PAGE
content >"$work/content-graph-batch"
if diff -u "$work/content-arm" "$work/content-graph-batch" >"$work/diff"; then ok; else bad "graph batch: not what one batch recorded:"; head -30 "$work/diff" >&2; fi
fake_stop
export PGDATABASE=tl_test_collect

# ---- one database Azure describes inconsistently ------------------------------
# (20 operations none of which starts where the one before ended: more gaps than
# bridges may fill) is named and skipped, its new lineage undone; the rest lands
fresh_db tl_test_collect_conflict
fake_start conflict
for k in 1 2; do
    collect 1 "inconsistent history, run $k" --observed-at 2026-10-01T00:00:00Z
    err_has "inconsistent: named ($k)" "failed: server sqlcrudtest-4645 (subscription 00000000-1111-2222-3333-444444444444): /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/sqlcrudtest-7398/providers/Microsoft.Sql/servers/sqlcrudtest-4645/databases/clash: history would not be valid: from_objective 'BC_Gen5_19' is not the objective in effect at 2026-09-02T17:00:00Z ('GP_Gen5_18')"
    same "inconsistent: only the healthy lineage ($k)" "$(sql "SELECT string_agg(database_name, ',') FROM databases")" calm
    same "inconsistent: nothing of it stored ($k)" "$(sql "SELECT (SELECT count(*) FROM transitions) || ' ' || (SELECT count(*) FROM database_observations) || ' ' || (SELECT count(DISTINCT database_id) FROM backup_usage)")" "1 1 1"
done
same "inconsistent: runs partial, one error each" "$(q "SELECT string_agg(status || ' ' || errors, ',') FROM collector_runs")" "partial 1,partial 1"
fake_stop
export PGDATABASE=tl_test_collect

# ---- faults ----------------------------------------------------------------
fake_start faults
# these runs are dated before the ones above: their Activity Log cursors start afresh
sql "DELETE FROM collector_cursors" >/dev/null
cursor() { sql "SELECT to_char(activity_log_until AT TIME ZONE 'UTC', 'DD HH24:MI') FROM collector_cursors WHERE subscription_id = '00000000-1111-2222-3333-444444444444'"; }
fake_step 0
collect 0 "429 twice and 500 once, then answers" --observed-at 2026-11-01T00:00:00Z
out_has "throttled count" "2 throttled"
same "429 answered twice" "$(grep -c '"status": 429' "$work/fake.log")" 2
same "both servers recorded" "$(sql "SELECT count(*) FROM databases WHERE database_name IN ('orders', 'inventory')")" 2
# a metric orders does not define fails its whole metrics call with 400: asked again one by one
err_has "undefined metric: named" "metric: diff_backup_size_bytes"
same "undefined metric: one call per name after the 400" "$(grep -c 'orders/providers/Microsoft.Insights/metrics", "query": "api-version=2024-02-01&metricnamespace=Microsoft.Sql%2Fservers%2Fdatabases&metricnames=[a-z_]*&' "$work/fake.log")" 4
same "undefined metric: the other sizes recorded, the missing one unknown" \
    "$(q "SELECT count(*), count(full_bytes), count(diff_bytes), count(log_bytes) FROM backup_usage u JOIN databases d ON d.id = u.database_id WHERE d.database_name = 'orders'")" "30 30 0 30"
same "serverless: recorded with its objective, billed as vCore (full backups)" \
    "$(q "SELECT t.to_objective, o.sku->>'name', count(u.full_bytes) FROM databases d JOIN transitions t ON t.database_id = d.id JOIN database_observations o ON o.database_id = d.id JOIN backup_usage u ON u.database_id = d.id WHERE d.database_name = 'reports' GROUP BY 1, 2")" "GP_S_Gen5_2 GP_S_Gen5 30"
run "serverless: the check reads it as General Purpose" 0 tl check sqlcrudtest-4645/reports --to HS_Gen5_2 --as-of 2026-11-01T00:00:00Z --format json
out_has "serverless: conversion" '"kind": "conversion"'
# a pooled vCore database: B1's allowance is the pool's max data size (storage_limit)
same "pool max size asked once, for the 30 days" "$(grep -c 'elasticPools/gp-pool/providers/Microsoft.Insights/metrics", "query": "api-version=2024-02-01&metricnamespace=Microsoft.Sql%2Fservers%2FelasticPools&metricnames=storage_limit&timespan=2026-10-02T00:00:00Z%2F2026-11-01T00:00:00Z' "$work/fake.log")" 1
same "pooled usage rows carry the pool and its max size" \
    "$(q "SELECT count(*), min(max_size_bytes), max(max_size_bytes), min(elastic_pool_id) LIKE '%/elasticPools/gp-pool' FROM backup_usage u JOIN databases d ON d.id = u.database_id WHERE d.database_name = 'billing'")" "30 42949672960 42949672960 t"

fake_step 1
before_inventory=$(sql "SELECT observed_at FROM database_observations o JOIN databases d ON d.id = o.database_id WHERE d.database_name = 'inventory'")
collect 1 "one server answers 500 forever" --observed-at 2026-11-01T01:00:00Z --attempts 2
err_has "500: names the server" "tierledger collect: failed: server sqlcrudtest-6661 (subscription 00000000-1111-2222-3333-444444444444)"
err_has "500: names the answer" "answered 500 (InternalServerError: Something went wrong.)"
same "500: the other server recorded" "$(sql "SELECT to_char(observed_at AT TIME ZONE 'UTC', 'HH24:MI') FROM database_observations o JOIN databases d ON d.id = o.database_id WHERE d.database_name = 'orders'")" "01:00"
same "500: the failed server untouched" "$(sql "SELECT observed_at FROM database_observations o JOIN databases d ON d.id = o.database_id WHERE d.database_name = 'inventory'")" "$before_inventory"
same "500: run is partial" "$(q "SELECT status, errors FROM collector_runs ORDER BY id DESC LIMIT 1")" "partial 1"
same "500: error summary" "$(sql "SELECT error_summary[1] LIKE 'server sqlcrudtest-6661 %' FROM collector_runs ORDER BY id DESC LIMIT 1")" t
# the failed server's Activity Log events are read again next run: its
# subscription's cursor stays where the last complete run left it
same "500: the Activity Log cursor stays" "$(cursor)" "01 00:00"

collect 1 "500 with --quiet" --observed-at 2026-11-01T01:00:00Z --attempts 1 --quiet
same "--quiet: nothing on stdout" "$(wc -c <"$work/out")" 0
err_has "--quiet: the failed server still named on stderr" "tierledger collect: failed: server sqlcrudtest-6661"
collect 1 "500 with --format json" --observed-at 2026-11-01T01:00:00Z --attempts 1 --format json
same "--format json: the run summary" "$(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
print(o["status"], o["servers"], o["servers_written"], len(o["failures"]), o["failures"][0].split(" (")[0],
      o["deadline_passed"], sorted(o) == sorted(["run_id", "status", "subscriptions", "servers", "servers_written",
      "databases", "seconds", "requests", "retried", "throttled", "transitions", "facts", "drops", "usage_days",
      "managed_instances", "mi_databases", "mi_events", "deadline_passed", "failures"]))' "$work/out")" "partial 2 1 1 server sqlcrudtest-6661 False True"
same "--format json: run id is the run's" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$work/out")" "$(sql 'SELECT max(id) FROM collector_runs')"
collect 64 "--format csv refused" --format csv
# under systemd (stderr is the journal stream JOURNAL_STREAM names) every
# failure line carries the syslog priority err, which journald reads
: >"$work/err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$work/err") collect 1 "500 into the journal" --observed-at 2026-11-01T01:00:00Z --attempts 1 --quiet
same "journal: failures at priority err" "$(grep -c '^<3>tierledger collect: failed: server sqlcrudtest-6661' "$work/err")" 1
same "journal: every stderr line has a priority" "$(grep -vc '^<[0-9]>' "$work/err")" 0
JOURNAL_STREAM=1:1 collect 1 "500, stderr not the journal" --observed-at 2026-11-01T01:00:00Z --attempts 1 --quiet
same "not the journal: no prefix" "$(grep -c '^<' "$work/err")" 0

fake_step 2
collect 1 "truncated JSON" --observed-at 2026-11-01T02:00:00Z
err_has "truncated: URL" "sqlcrudtest-6661/databases?api-version=2025-01-01: \$: not JSON"
same "truncated: server untouched" "$(sql "SELECT observed_at FROM database_observations o JOIN databases d ON d.id = o.database_id WHERE d.database_name = 'inventory'")" "$before_inventory"
fake_step 3
collect 1 "wrong type" --observed-at 2026-11-01T03:00:00Z
err_has "wrong type: JSON path" "\$.value[0].properties.creationDate: expected a date-time string"
# a nextLink that loops ends the list with a named error, not an endless run
fake_step 4
n_before=$(grep -c 'sqlcrudtest-6661/databases", "query"' "$work/fake.log")
collect 1 "nextLink to itself" --observed-at 2026-11-01T03:10:00Z --server sqlcrudtest-6661
err_has "nextLink to itself: named" "sqlcrudtest-6661/databases?api-version=2025-01-01: \$.nextLink: "
err_has "nextLink to itself: a loop" "was already read for this list (a loop): stopped"
same "nextLink to itself: asked once" "$(( $(grep -c 'sqlcrudtest-6661/databases", "query"' "$work/fake.log") - n_before ))" 1
same "nextLink to itself: the run row is closed" "$(q "SELECT status FROM collector_runs ORDER BY id DESC LIMIT 1")" "failed"
fake_step 5
n_before=$(grep -c 'sqlcrudtest-6661/databases", "query"' "$work/fake.log")
collect 1 "nextLink cycle of two pages" --observed-at 2026-11-01T03:20:00Z --server sqlcrudtest-6661
err_has "nextLink cycle: a loop" "was already read for this list (a loop): stopped"
same "nextLink cycle: two pages asked" "$(( $(grep -c 'sqlcrudtest-6661/databases", "query"' "$work/fake.log") - n_before ))" 2
fake_step 7
graph_before=$(grep -c '"path": "/providers/Microsoft.ResourceGraph/resources"' "$work/fake.log")
collect 1 "Resource Graph \$skipToken loop" --via resource-graph --observed-at 2026-11-01T03:25:00Z
err_has "graph loop: named" "\$.\$skipToken: a page this query already read (a loop): stopped"
same "graph loop: two pages asked" "$(( $(grep -c '"path": "/providers/Microsoft.ResourceGraph/resources"' "$work/fake.log") - graph_before ))" 2
# every run ends: a server that answers after 20 s meets the run's deadline
fake_step 6
SECONDS=0
collect 1 "slow server, --deadline 2" --observed-at 2026-11-01T03:30:00Z --server sqlcrudtest-6661 --deadline 2
elapsed=$SECONDS
same "deadline: the run ended by itself, long before the answer ($elapsed s)" "$([ "$elapsed" -lt 12 ] && echo yes)" yes
same "deadline: the run row says so" "$(q "SELECT status, errors FROM collector_runs ORDER BY id DESC LIMIT 1")" "deadline 1"
err_has "deadline: said on stderr" "the run's deadline (--deadline 2 s) passed"
err_has "deadline: the cut server named" "tierledger collect: failed: server sqlcrudtest-6661"
# a collector killed mid-run leaves its row 'running'; the next run closes it 'abandoned'
"$TIERLEDGER" collect --observed-at 2026-11-01T03:40:00Z --server sqlcrudtest-6661 --deadline 0 >/dev/null 2>&1 &
victim=$!
for _ in $(seq 50); do
    [ "$(sql "SELECT count(*) FROM collector_runs WHERE status = 'running'")" = 1 ] && break
    sleep 0.1
done
kill -9 "$victim"; wait "$victim" 2>/dev/null
for _ in $(seq 50); do # its PostgreSQL session ends when the server sees the socket close
    [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'tierledger collect %'")" = 0 ] && break
    sleep 0.1
done
same "killed: its row is left running" "$(sql "SELECT count(*) FROM collector_runs WHERE status = 'running'")" 1
killed=$(sql "SELECT id FROM collector_runs WHERE status = 'running'")
fake_step 0
collect 0 "the run after a killed one" --observed-at 2026-11-01T03:50:00Z
err_has "abandoned: said on stderr" "1 earlier run left 'running' by a process that is gone, now recorded 'abandoned'"
same "abandoned: the killed run's row closed" "$(q "SELECT status, ended_at IS NOT NULL FROM collector_runs WHERE id = $killed")" "abandoned t"
same "abandoned: nothing left running" "$(sql "SELECT count(*) FROM collector_runs WHERE status = 'running'")" 0
# progress: on stderr with --progress (here a line as each batch ends; this run
# has nothing to re-read, so no details phase),
# rewritten in place on a terminal, never on stdout, never without asking
collect 0 "--progress" --observed-at 2026-11-01T03:50:00Z --progress
err_has "--progress: listing" "tierledger collect: listing: "
err_has "--progress: servers written" "tierledger collect: writing: 2 of 2 servers written (2 servers, 4 databases)"
out_lacks "--progress: nothing on stdout" "tierledger collect: listing"
same "complete run: the Activity Log cursor moves" "$(cursor)" "01 03:50"
collect 0 "--server: a run of one server" --observed-at 2026-11-01T03:55:00Z --server sqlcrudtest-6661
same "--server: the Activity Log cursor stays (the other servers' events unread)" "$(cursor)" "01 03:50"
collect 0 "no --progress, not a terminal" --observed-at 2026-11-01T03:50:00Z
same "not a terminal: no progress" "$(grep -c 'tierledger collect: listing' "$work/err")" 0
if command -v script >/dev/null 2>&1; then # a terminal: script(1) gives the run a pty
    script -q -e -c "$TIERLEDGER collect --observed-at 2026-11-01T03:50:00Z --quiet" "$work/tty.log" >/dev/null 2>&1
    same "terminal: exit 0" "$?" 0
    same "terminal: progress rewritten in place" "$(grep -c $'\r\033\[Ktierledger collect: writing: 2 of 2 servers written' "$work/tty.log")" 1
fi

# nothing written by a failed run: the store is byte for byte the same, but
# for the run's own row in collector_runs
store() { "$PG_BINDIR/pg_dump" --no-owner --restrict-key=tierledgertest --exclude-table-data=collector_runs "$PGDATABASE" | grep -v collector_runs_id_seq | md5sum; }
fake_step 1
state=$(store)
collect 1 "500 again, store unchanged" --observed-at 2026-11-01T07:00:00Z --attempts 1 --server sqlcrudtest-6661
same "500: store byte for byte unchanged" "$(store)" "$state"
fake_step 2
collect 1 "truncated again, store unchanged" --observed-at 2026-11-01T07:00:00Z --server sqlcrudtest-6661
same "truncated: store byte for byte unchanged" "$(store)" "$state"
# one more fault per step (fakeazure.py faults, steps 8-14): each ends by
# itself, names the server and why, and writes nothing
fault() { # fault STEP NAME WHY [collect options]
    local n=$1 name=$2 why=$3; shift 3
    fake_step "$n"
    SECONDS=0
    collect 1 "$name" --observed-at 2026-11-01T07:00:00Z --server sqlcrudtest-6661 --attempts 2 "$@"
    same "$name: ended by itself ($SECONDS s)" "$([ "$SECONDS" -lt 45 ] && echo yes)" yes
    err_has "$name: the server named" "tierledger collect: failed: server sqlcrudtest-6661"
    err_has "$name: why" "$why"
    same "$name: store byte for byte unchanged" "$(store)" "$state"
}
fault 8 "503 forever" "answered 503 (ServiceUnavailable: The service is unavailable.)"
fault 9 "connection reset" "Failure when receiving data from the peer"
fault 10 "trickle, one byte every 0.5 s" "deadline" --deadline 4
fault 11 "invalid JSON" "\$: not JSON"
fault 12 "wrong shape" "\$.value"
fault 13 "nextLink to another host" "is not on the ARM host"
fault 14 "70 MB body" "answer larger than 64 MiB"
fake_stop

# ---- credentials -------------------------------------------------------------
fake_start faults --expire-after 3
collect 0 "expired token is renewed once" --observed-at 2026-11-01T04:00:00Z
same "expired: two tokens" "$(fake_stat tokens)" 2
same "expired: refused, then renewed" "$([ "$(fake_stat unauthorized)" -ge 1 ] && echo yes)" yes
fake_stop

fake_start faults --token-without-access-token
collect 76 "token answer without a token: EX_PROTOCOL" --observed-at 2026-11-01T04:30:00Z
err_has "malformed token answer named" "\$.access_token missing"
fake_stop

fake_start faults
( unset AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_CLIENT_SECRET
  export TIERLEDGER_IMDS_URL=$FAKE
  tl collect --auth managed-identity --observed-at 2026-11-01T05:00:00Z >"$work/out" 2>"$work/err"
  echo $? >"$work/rc" )
same "managed identity (IMDS)" "$(cat "$work/rc")" 0
same "IMDS asked with Metadata header" "$(grep -c '"path": "/metadata/identity/oauth2/token", "query": "api-version=2018-02-01&resource=http' "$work/fake.log")" 1
( unset AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_CLIENT_SECRET
  export TIERLEDGER_IMDS_URL=http://127.0.0.1:9 PATH=/usr/bin:/bin
  tl collect --observed-at 2026-11-01T05:00:00Z >"$work/out" 2>"$work/err"; echo $? >"$work/rc" )
cat "$work/out" "$work/err" >>"$all_out"
same "no credential at all: 69" "$(cat "$work/rc")" 69
err_has "no credential" "no Azure credential"
same "no credential: said once, not nested in itself" "$(grep -o 'no Azure credential' "$work/err" | wc -l)" 1
AZURE_AUTHORITY_HOST=http://127.0.0.1:9 collect 69 "identity endpoint unreachable"
err_has "identity unreachable" "identity: http://127.0.0.1:9/"
AZURE_CLIENT_SECRET=wrong-secret collect 77 "credential refused: EX_NOPERM"
err_has "credential refused names the AAD code" "AADSTS70011"
if grep -q '^usage:' "$work/err"; then bad "credential refused: a usage line"; else ok; fi
PGHOST=/nonexistent collect 69 "PostgreSQL unreachable"
collect 64 "plain http off loopback" --arm-url http://example.com
err_has "plain http refused" "plain http is only allowed to loopback"
# the loopback rule on libcurl's own parse of the URL: no look-alike host,
# no user name, for every URL that gets a token or a secret; nothing is sent
port=${FAKE##*:}
requests=$(wc -l <"$work/fake.log")
collect 64 "user name before a foreign host" --arm-url "http://127.0.0.1@0.0.0.0:$port"
err_has "user name refused" "--arm-url: a URL with a user name is refused"
collect 64 "look-alike loopback name" --arm-url http://localhost.evil.invalid
err_has "look-alike name refused" "host 'localhost.evil.invalid' would get credentials in clear"
collect 64 "look-alike loopback address" --arm-url http://127.0.0.1.evil.invalid
AZURE_AUTHORITY_HOST=http://0.0.0.0:$port collect 64 "client secret to a host in clear"
err_has "authority host refused, named" "AZURE_AUTHORITY_HOST: plain http is only allowed to loopback"
( unset AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_CLIENT_SECRET
  IDENTITY_ENDPOINT=http://10.0.0.7:$port/msi/token IDENTITY_HEADER=not-a-secret \
      tl collect --observed-at 2026-11-01T05:00:00Z >"$work/out" 2>"$work/err"; echo $? >"$work/rc" )
same "identity endpoint in clear off loopback: 64" "$(cat "$work/rc")" 64
err_has "identity endpoint refused, named" "IDENTITY_ENDPOINT: plain http is only allowed to loopback"
same "refused URLs: not one request sent" "$(wc -l <"$work/fake.log")" "$requests"
# --cloud sets the ARM URL and the authority together, over the environment;
# --arm-url still wins (no network here: the authority is unreachable, or
# where there is one it refuses the test tenant)
collect 64 "--cloud china sets the ARM URL" --cloud china --auth none
err_has "--cloud china: its ARM URL" "not https://management.chinacloudapi.cn"
requests=$(wc -l <"$work/fake.log")
tl collect --cloud usgov --arm-url "$FAKE" --attempts 1 --deadline 20 >"$work/out" 2>"$work/err"
got=$?
case $got in 69 | 77) ok ;; *) bad "--cloud usgov: exit $got, expected 69 or 77: $(head -c 300 "$work/err")" ;; esac
err_has "--cloud usgov: the usgov authority" "login.microsoftonline.us"
same "--cloud usgov: nothing sent to the fake authority" "$(wc -l <"$work/fake.log")" "$requests"
collect 64 "unknown cloud" --cloud mars
err_has "unknown cloud named" "--cloud: expected public, usgov or china"
collect 64 "bad --concurrency" --concurrency 0
run "collect --help" 0 tl collect --help
out_has "help" "--subscription ID"

# many collectors, one store: each run locks the subscriptions it collects.
# The lifecycle's last poll again (it adds nothing), its servers list slowed
# to 3 s: a second collector of the same subscription exits 75 naming the
# first; one of another subscription runs at the same time.
fake_stop
SUB=00000000-1111-2222-3333-444444444444 OTHER=291bba3f-e0a5-47bc-a099-3bdcb2a50a05
fake_start lifecycle --delay "/subscriptions/$SUB/providers/Microsoft.Sql/servers:3"
fake_step 6
at=2026-11-02T00:00:00Z
before=$(sql "SELECT count(*) FROM transitions")/$(sql "SELECT count(*) FROM database_facts")
"$TIERLEDGER" collect --observed-at $at --subscription $SUB >"$work/first.out" 2>"$work/first.err" &
first=$!
for _ in $(seq 50); do
    [ "$(sql "SELECT count(*) FROM collector_runs WHERE status = 'running' AND subscription_keys = ARRAY['$SUB']")" = 1 ] && break
    sleep 0.1
done
collect 75 "same subscription: the second collector" --observed-at $at --subscription $SUB
err_has "same subscription: the holder named" "another collector is collecting subscription $SUB (collector run"
collect 0 "another subscription: at the same time" --observed-at $at --subscription $OTHER
same "another subscription: the first still running" "$(sql "SELECT count(*) FROM collector_runs WHERE status = 'running'")" 1
wait "$first"
same "the first collector" "$?" 0
cat "$work/first.out" "$work/first.err" >>"$all_out"
same "nothing recorded twice" "$(sql "SELECT count(*) FROM transitions")/$(sql "SELECT count(*) FROM database_facts")" "$before"
same "the three runs" "$(q "SELECT status, subscription_keys FROM collector_runs ORDER BY id DESC LIMIT 3" | tr '\n' ' ')" \
    "succeeded {$OTHER} failed  succeeded {$SUB} "
# --shard K/N: the shards of the listed subscriptions are disjoint and cover them all
fake_stop
fake_start lifecycle
fake_step 6
collect 0 "shard 0/2" --observed-at $at --shard 0/2
collect 0 "shard 1/2" --observed-at $at --shard 1/2
last_two="SELECT unnest(subscription_keys) AS k FROM (SELECT subscription_keys FROM collector_runs ORDER BY id DESC LIMIT 2) r"
same "shards: disjoint, and all three listed subscriptions" "$(sql "SELECT count(DISTINCT k) || '/' || count(k) FROM ($last_two) s")" 3/3
collect 64 "bad shard" --shard 2/2
err_has "bad shard named" "--shard: expected K/N with 0 <= K < N <= 1024"

# secrets: never in argv, output, the store or the fake's request log
fake_step 0
"$TIERLEDGER" collect --observed-at 2026-11-01T06:00:00Z --concurrency 1 >/dev/null 2>&1 &
cpid=$!
sleep 0.3
if [ -r "/proc/$cpid/cmdline" ] && tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -q -F "$TEST_SECRET"; then bad "secret in argv"; else ok; fi
wait "$cpid"
if grep -q -F "$TEST_SECRET" "$all_out"; then bad "secret in output"; else ok; fi
if grep -q -F "fake-access-token" "$all_out"; then bad "token in output"; else ok; fi
if dump | grep -q -F -e "$TEST_SECRET" -e "fake-access-token"; then bad "secret or token stored"; else ok; fi
if grep -q -F -e "$TEST_SECRET" -e "fake-access-token" "$work/fake.log"; then bad "secret in a URL"; else ok; fi
# nor in PostgreSQL's own log (statements that failed are logged with their text)
if [ -r "$PGHOST/server.log" ]; then
    if grep -q -F -e "$TEST_SECRET" -e "fake-access-token" "$PGHOST/server.log"; then bad "secret in the server log"; else ok; fi
else
    bad "the server log $PGHOST/server.log is not readable"
fi
fake_stop
finish
