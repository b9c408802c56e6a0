#!/usr/bin/env bash
# test_mi.sh - Azure SQL Managed Instance through the CLI (the issue "Azure
# SQL Managed Instance"): import-mi records the events all or nothing and
# idempotently, a history Azure cannot produce is refused whole with
# FILE:LINE and exit 65 and the store unchanged; `lineage` shows the worked
# examples E1, E3 and E4 of domain-mi.md exactly (windows, statuses, first
# restore points) and the W-MI-* warnings, from day 25 of an LRS job and
# until the first restore point.
. "$(dirname "$0")/lib.sh"
export PGTZ=UTC
mi=$data/mi
S=/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-mi/providers/Microsoft.Sql/managedInstances
sales=$S/mi-a/databases/sales orders=$S/mi-d/databases/orders tmp=$S/mi-e/databases/tmp
# json EXPR: a Python expression over the JSON document `d` on stdout
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/out" "$1"; }
snapshot() { dump | grep -v '^--' >"$work/$1.sql"; }

run init 0 tl init
run help 0 tl import-mi --help
out_has help "migration_started (origin lrs, dms, native_restore or mi_link)"

# --- import: all of it, then again: nothing new ---
run e1 0 tl import-mi "$mi/e1-lrs.csv"
err_has e1 "e1-lrs.csv: 4 rows: 4 recorded (1 beginning a lineage), 0 already recorded"
run e3 0 tl import-mi "$mi/e3-link.csv"
run e4-stdin 0 tl import-mi - <"$mi/e4-dropped.csv"
err_has e4-stdin "stdin: 7 rows: 7 recorded (2 beginning a lineage)"
same stored "$(sql 'SELECT count(*) FROM mi_events')" 16
snapshot imported
run e1-again 0 tl import-mi "$mi/e1-lrs.csv"
err_has e1-again "4 rows: 0 recorded (0 beginning a lineage), 4 already recorded"
snapshot again
same reimport-unchanged "$(cmp -s "$work/imported.sql" "$work/again.sql" && echo same)" same
same source-line "$(sql "SELECT source_file || ':' || source_line FROM mi_events WHERE event = 'migration_cutover' AND resource_key LIKE '%/sales'")" "$mi/e1-lrs.csv:4"

# --- E1 (LRS continuous to General Purpose) ---
run e1-asof 0 tl lineage "$sales" --as-of 2026-03-30T12:00:00Z --format json
same e1-service "$(json 'd["service"]')" managed_instance
same e1-segment "$(json '[(s["origin"], s["status"], s["opened_at"], s["first_restore_point"], s["first_restore_point_estimated"]) for s in d["segments"]]')" \
    "[('lrs', 'current', '2026-03-28T22:20:00Z', '2026-03-28T23:30:00Z', False)]"
same e1-window "$(json 'd["segments"][0]["window"]')" "{'from': '2026-03-28T23:30:00Z', 'to': '2026-03-30T12:00:00Z'}"
same e1-retention "$(json '(d["segments"][0]["retention_days"], d["segments"][0]["retention_assumed"])')" "(7, True)"
same e1-no-warnings "$(json '[w["code"] for w in d["warnings"]]')" "[]"
# W-MI-1 from day 25 (deadline 04-01 08:00), W-MI-10 until F
run e1-day-24 0 tl lineage "$sales" --as-of 2026-03-27T07:59:59Z --format json
same e1-day-24-warnings "$(json '[w["code"] for w in d["warnings"]]')" "['no_mi_restore_point']"
run e1-day-25 0 tl lineage "$sales" --as-of 2026-03-27T08:00:00Z --format json
same e1-day-25-warnings "$(json '[(w["code"], w["level"], w["at"]) for w in d["warnings"]]')" \
    "[('lrs_time_limit', 'warn', '2026-04-01T08:00:00Z'), ('no_mi_restore_point', 'warn', None)]"
same e1-pending "$(json '(d["segments"][0]["status"], d["segments"][0]["window"], d["migration_deadline"])')" \
    "('pending', None, '2026-04-01T08:00:00Z')"
run e1-text 0 tl lineage "$sales" --as-of 2026-03-27T08:00:00Z
out_has e1-text "keep the source database sql01.contoso.local/sales and its backup chain"
out_has e1-text "S1 pending (lrs) on sales"
# cut over, F not observed yet: estimated, and W-MI-10 still on
run e1-cutover 0 tl lineage "$sales" --as-of 2026-03-28T23:10:00Z --format json
same e1-estimated "$(json '(d["segments"][0]["first_restore_point"], d["segments"][0]["first_restore_point_estimated"], d["segments"][0]["window"])')" \
    "('2026-03-28T23:00:00Z', True, {'from': '2026-03-28T23:00:00Z', 'to': '2026-03-28T23:10:00Z'})"
same e1-cutover-warnings "$(json '[w["code"] for w in d["warnings"]]')" "['no_mi_restore_point']"
run e1-any-case 0 tl lineage "$(echo "$sales" | tr a-z A-Z)" --as-of 2026-03-30T12:00:00Z --format json
same e1-any-case-id "$(json 'd["resource_id"]')" "$sales"

# --- E3 (link from SQL Server 2019 to Business Critical) ---
run e3-asof 0 tl lineage "$orders" --as-of 2026-02-10T12:00:00Z --format json
same e3-window "$(json '(d["segments"][0]["opened_at"], d["segments"][0]["first_restore_point"], d["segments"][0]["window"])')" \
    "('2026-01-05T16:00:00Z', '2026-01-05T16:50:00Z', {'from': '2026-02-03T12:00:00Z', 'to': '2026-02-10T12:00:00Z'})"
same e3-failover-in-window "$(json '(len(d["segments"]), d["segments"][0]["attribute_change_in_window"], [c["at"] for c in d["segments"][0]["attribute_changes"]])')" \
    "(1, True, ['2026-02-09T02:00:00Z'])"

# --- E4 (dropped database, retention lowered to 0) ---
run e4-restorable 0 tl lineage "$tmp" --as-of 2026-01-25T00:00:00Z --format json
same e4-window "$(json '(d["segments"][0]["status"], d["segments"][0]["window"], d["segments"][0]["expires_at"])')" \
    "('restorable', {'from': '2026-01-04T00:00:00Z', 'to': '2026-01-20T15:00:00Z'}, '2026-02-10T15:00:00Z')"
run e4-lost 0 tl lineage "$tmp" --as-of 2026-01-26T09:00:00Z --format json
same e4-lost "$(json '(d["segments"][0]["status"], d["segments"][0]["lost_cause"], d["segments"][0]["status_since"], d["segments"][0]["window"])')" \
    "('lost', 'retention_zero', '2026-01-26T09:00:00Z', None)"
same e4-warning "$(json '[(w["code"], w["level"]) for w in d["warnings"]]')" "[('dropped_retention_lowered', 'critical')]"

# --- refused whole: FILE:LINE, exit 65, nothing written ---
bad_file() { # NAME ROWS... : a file of the header and ROWS must be refused
    local name=$1; shift
    { echo "resource_id,event,at,origin,retention_days,detail"; printf '%s\n' "$@"; } >"$work/$name.csv"
    run "$name" 65 tl import-mi "$work/$name.csv"
    snapshot "after-$name"
    same "$name-unchanged" "$(cmp -s "$work/imported.sql" "$work/after-$name.sql" && echo same)" same
}
bad_file before-exists "$S/mi-a/databases/new1,created,2026-04-01T00:00:00Z,new,," "$S/mi-a/databases/new2,retention_changed,2026-04-02T00:00:00Z,,14,"
err_has before-exists "before-exists.csv:3: retention_changed of $S/mi-a/databases/new2: the database does not exist yet"
bad_file cutover-no-start "$S/mi-a/databases/new3,migration_cutover,2026-04-01T00:00:00Z,,,"
err_has cutover-no-start "cutover-no-start.csv:2: migration_cutover of $S/mi-a/databases/new3: the database does not exist yet"
bad_file unknown-event "$S/mi-a/databases/new1,created,2026-04-01T00:00:00Z,new,," "$S/mi-a/databases/new1,deleted,2026-04-02T00:00:00Z,,,"
err_has unknown-event "unknown-event.csv:3: unknown event 'deleted'"
bad_file wrong-origin "$S/mi-a/databases/new1,created,2026-04-01T00:00:00Z,lrs,,"
err_has wrong-origin "wrong-origin.csv:2: origin 'lrs' does not fit created"
bad_file not-mi "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/d1,created,2026-04-01T00:00:00Z,new,,"
err_has not-mi "not-mi.csv:2: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/d1' is not the ARM id of a managed instance database"
bad_file instance-event-on-a-db "$S/mi-a/databases/sales,instance_deleted,2026-04-01T00:00:00Z,,,"
err_has instance-event-on-a-db "instance-event-on-a-db.csv:2:"
bad_file raised-after-drop "$tmp,retention_changed,2026-01-22T00:00:00Z,,30,"
err_has raised-after-drop "raised-after-drop.csv:2: retention_changed of $tmp: a dropped database's retention can only go down (MI-B2)"
bad_file created-twice "$S/mi-e/databases/main,created,2026-02-01T00:00:00Z,new,,"
err_has created-twice "created-twice.csv:2: $S/mi-e/databases/main: created while the database it names still exists"
bad_file rewritten "$sales,migration_started,2026-03-02T08:00:00Z,dms,,LRS continuous mode (no autoCompleteRestore)"
err_has rewritten "rewritten.csv:2: $sales: this event (same database, kind, instant and detail) is recorded with other values: history is append-only"
bad_file late-cutover "$S/mi-a/databases/new4,migration_started,2026-01-01T00:00:00Z,lrs,," "$S/mi-a/databases/new4,migration_cutover,2026-02-01T00:00:00Z,,,"
err_has late-cutover "late-cutover.csv:3: migration_cutover of $S/mi-a/databases/new4: after the 30-day limit of an LRS job (MI-M1)"
bad_file bad-time "$S/mi-a/databases/new1,created,yesterday,new,,"
err_has bad-time "bad-time.csv:2: at 'yesterday' is not an RFC 3339 time"

# --- a dry run checks and writes nothing; a move continues the lineage ---
cat >"$work/move.csv" <<CSV
resource_id,event,at,origin,detail
$S/mi-e/databases/main,move_started,2026-02-01T10:00:00Z,,$S/mi-b/databases/main
$S/mi-e/databases/main,move_ready,2026-02-01T12:00:00Z,,
$S/mi-e/databases/main,move_completed,2026-02-01T13:00:00Z,,$S/mi-b/databases/main
$S/mi-b/databases/main,retention_changed,2026-02-02T00:00:00Z,,
CSV
run move-bad 65 tl import-mi "$work/move.csv"
err_has move-bad "move.csv:5: retention_changed needs retention_days"
sed -i 's|main,retention_changed,2026-02-02T00:00:00Z,,$|main,dropped,2026-02-03T00:00:00Z,,|' "$work/move.csv"
run move-dry 0 tl import-mi --dry-run "$work/move.csv"
err_has move-dry "4 rows: 4 would be recorded (0 beginning a lineage), 0 already recorded (dry run: nothing written)"
snapshot after-dry
same dry-unchanged "$(cmp -s "$work/imported.sql" "$work/after-dry.sql" && echo same)" same
run move 0 tl import-mi "$work/move.csv"
run move-lineage 0 tl lineage "$S/mi-b/databases/main" --as-of 2026-02-02T00:00:00Z --format json
same move-segments "$(json '[(s["seq"], s["origin"], s["status"], s["lost_cause"], s["resource_id"].split("/")[-3]) for s in d["segments"]]')" \
    "[(1, 'new', 'lost', 'moved', 'mi-e'), (2, 'move', 'current', None, 'mi-b')]"
run move-from-source 0 tl lineage "$S/mi-e/databases/main" --as-of 2026-02-04T00:00:00Z --format json
same move-from-source "$(json '[(s["seq"], s["status"]) for s in d["segments"]]')" "[(1, 'lost'), (2, 'restorable')]"

# --- import-usage takes MI database rows (mi_usage), all or nothing with the others ---
uh=$(head -1 "$data/fleet-usage.csv")
{ echo "$uh"; echo "$tmp,2026-01-10,107374182400,10737418240,96636764160,,,,Local,westeurope,,"
  echo "$S/mi-e/databases/main,2026-01-10,107374182400,0,107374182400,,,,LRS,westeurope,,"; } >"$work/mi-usage.csv"
run mi-usage 0 tl import-usage "$work/mi-usage.csv"
err_has mi-usage "2 rows: 2 days recorded, 0 replaced, 0 already recorded"
same mi-usage-stored "$(sql "SELECT string_agg(split_part(resource_key, '/', 11) || ' ' || (full_bytes + diff_bytes + log_bytes) || ' ' || redundancy, ';' ORDER BY 1) FROM mi_usage")" \
    "main 214748364800 Local;tmp 214748364800 Local"
run mi-usage-again 0 tl import-usage "$work/mi-usage.csv"
err_has mi-usage-again "2 rows: 0 days recorded, 0 replaced, 2 already recorded"
# (its provider path in capitals: a Managed Instance row whatever the case)
shout=$(echo "$S" | sed 's|/providers/Microsoft.Sql/managedInstances|/PROVIDERS/MICROSOFT.SQL/MANAGEDINSTANCES|')
echo "$shout/mi-e/databases/never,2026-01-10,1,0,1,,,,Local,,," >>"$work/mi-usage.csv"
snapshot before-usage
run mi-usage-orphan 65 tl import-usage "$work/mi-usage.csv"
err_has mi-usage-orphan "mi-usage.csv:4: Managed Instance database $shout/mi-e/databases/never did not exist on 2026-01-10: import its events first (import-mi)"
snapshot after-usage
same mi-usage-unchanged "$(cmp -s "$work/before-usage.sql" "$work/after-usage.sql" && echo same)" same

# --- report chargeback: E4's instance billed (MI-$1, MI-$3, MI-$11, MI-$12) ---
# main and tmp each 200 GB all January on mi-e (256 GB): 144 GB billable until tmp's
# retention 0 (01-26 09:00), 609 of 744 hours, then 0; 72 GB each: 58.935484 GB-month
{ echo "$uh"; for d in $(seq -w 1 31); do for db in main tmp; do
    echo "$S/mi-e/databases/$db,2026-01-$d,107374182400,0,107374182400,,,,Local,westeurope,,\"{\"\"cost-center\"\":\"\"cc-$db\"\"}\""
  done; done; } >"$work/e4-usage.csv"
run e4-usage 0 tl import-usage "$work/e4-usage.csv"
printf 'region,kind,redundancy,unit_price,currency,effective_from\n*,mi_pitr,LRS,0.2,USD,2024-01-01\n*,pitr,RA-GRS,0.2,USD,2024-01-01\n' >"$work/mi-prices.csv"
run e4-chargeback 0 tl report chargeback --month 2026-01 --prices "$work/mi-prices.csv" --billing-account 1:Contoso --invoice-issuer Microsoft -o "$work/e4.csv"
rows() { python3 -c 'import csv, sys; print(";".join(" ".join(r[k] for k in sys.argv[2].split(",")) for r in csv.DictReader(open(sys.argv[1]))))' "$@"; }
same e4-rows "$(rows "$work/e4.csv" ResourceName,ServiceName,PricingQuantity,BilledCost,x_BackupKind,x_BackupStorageRedundancy,x_SegmentStatus,x_CostCenter,ChargePeriodEnd)" \
    "main SQL Managed Instance 58.935484 11.787097 mi_pitr LRS current cc-main 2026-02-01T00:00:00Z;tmp SQL Managed Instance 58.935484 11.787097 mi_pitr LRS lost cc-tmp 2026-01-26T09:00:00Z"
same e4-meter "$(rows "$work/e4.csv" ResourceType,x_SkuMeterName | cut -d';' -f1)" "Microsoft.Sql/managedInstances/databases managed instance pitr backup storage"
run e4-totals 0 tl report chargeback --month 2026-01 --prices "$work/mi-prices.csv" --billing-account 1:Contoso --invoice-issuer Microsoft --by cost-center -o "$work/e4-totals.csv"
same e4-totals "$(rows "$work/e4-totals.csv" x_CostCenter,ServiceName,PricingQuantity)" "cc-main SQL Managed Instance 58.935484;cc-tmp SQL Managed Instance 58.935484"
run e4-focus 0 python3 "$here/focus_check.py" "$work/e4.csv" "$work/e4-totals.csv" "$work/e4.metadata.json"
out_has e4-focus ": 0 violations"
# no mi_pitr price: refused, nothing written
printf 'region,kind,redundancy,unit_price,currency,effective_from\n*,pitr,RA-GRS,0.2,USD,2024-01-01\n' >"$work/no-mi-prices.csv"
run e4-no-price 65 tl report chargeback --month 2026-01 --prices "$work/no-mi-prices.csv" -o "$work/e4-none.csv"
err_has e4-no-price "no price for region 'westeurope', kind mi_pitr, redundancy LRS (or LRS)"
same e4-no-price-file "$(ls "$work" | grep -c '^e4-none' || true)" 0
# Geo backups priced from the LRS price times 2 (MI-$5, from 2024-11-01)
sed -i 's/,Local,westeurope,/,Geo,westeurope,/' "$work/e4-usage.csv"
run e4-geo-usage 0 tl import-usage "$work/e4-usage.csv"
run e4-geo 0 tl report chargeback --month 2026-01 --prices "$work/mi-prices.csv" -o "$work/e4-geo.csv"
same e4-geo "$(rows "$work/e4-geo.csv" x_BackupStorageRedundancy,ListUnitPrice,BilledCost | cut -d';' -f1)" "RA-GRS 0.4 23.574194"

# --- MI-$13: no usage imported, the backups estimated from the database's size ---
# mi-x: 32 GB allowance, Local; est created Monday 2026-06-01 00:00, data 122.5 GiB (a full
# 35 GB), no log: the first full at the open, the weekly one 02:00; from 06-02 two fulls
# in the 7-day window: 35 GB for 24 h, then 70 GB: (24 x 3 + 696 x 38) / 720 = 36.833333
cat >"$work/est.csv" <<CSV
resource_id,event,at,origin,storage_size_gb,redundancy,data_bytes,log_bytes_per_day
$S/mi-x,instance_changed,2026-05-01T00:00:00Z,,32,Local,,
$S/mi-x/databases/est,created,2026-06-01T00:00:00Z,new,,,131533373440,0
$S/mi-x/databases/nosize,created,2026-06-01T00:00:00Z,new,,,,
CSV
run est 0 tl import-mi "$work/est.csv"
run est-chargeback 0 tl report chargeback --month 2026-06 --prices "$work/mi-prices.csv" -o "$work/est-cb.csv"
same est-rows "$(rows "$work/est-cb.csv" ResourceName,PricingQuantity,ConsumedQuantity,BilledCost,x_BackupStorageRedundancy)" \
    "est 36.833333 68.833333 7.366667 LRS"
same est-labelled "$(python3 -c 'import csv, sys; print([("sizes estimated (MI-$13)" in r["ChargeDescription"]) for r in csv.DictReader(open(sys.argv[1]))])' "$work/est-cb.csv")" "[True]"
# E1 (domain-mi.md): sales 600 GB, logs about 5.1 GB a day: about 351 GB stored on 03-30
# 12:00, under the 1024 GB allowance all March: billable 0 (a row, consumed above 0)
printf 'resource_id,event,at,data_bytes,log_bytes_per_day\n%s,size_observed,2026-03-02T08:00:00Z,644245094400,5473180000\n' "$sales" >"$work/e1-size.csv"
run e1-size 0 tl import-mi "$work/e1-size.csv"
run e1-chargeback 0 tl report chargeback --month 2026-03 --prices "$work/mi-prices.csv" -o "$work/e1-cb.csv"
same e1-billable "$(rows "$work/e1-cb.csv" ResourceName,PricingQuantity,BilledCost,x_SegmentStatus | tr ';' '\n' | grep '^sales')" "sales 0 0 current"
same e1-consumed "$(python3 -c 'import csv, sys; print([float(r["ConsumedQuantity"]) > 20 for r in csv.DictReader(open(sys.argv[1])) if r["ResourceName"] == "sales"])' "$work/e1-cb.csv")" "[True]"
# E3: orders, a full about 60 GB (data 210 GiB), logs about 70 GB a week: about 204 GB
# stored on 02-10 12:00 (the model's case), under the 1024 GB allowance: billable 0
printf 'resource_id,event,at,data_bytes,log_bytes_per_day\n%s,size_observed,2026-01-05T10:00:00Z,225485783040,10737418240\n' "$orders" >"$work/e3-size.csv"
run e3-size 0 tl import-mi "$work/e3-size.csv"
run e3-chargeback 0 tl report chargeback --month 2026-02 --prices "$work/mi-prices.csv" -o "$work/e3-cb.csv"
same e3-billable "$(rows "$work/e3-cb.csv" ResourceName,PricingQuantity,BilledCost,x_BackupStorageRedundancy | tr ';' '\n' | grep '^orders')" "orders 0 0 RA-GRS"
same e3-consumed "$(python3 -c 'import csv, sys; print([150 < float(r["ConsumedQuantity"]) < 300 for r in csv.DictReader(open(sys.argv[1])) if r["ResourceName"] == "orders"])' "$work/e3-cb.csv")" "[True]"
# recorded usage wins over the estimate
{ echo "$uh"; echo "$S/mi-x/databases/est,2026-06-10,37580963840,0,0,,,,Local,westeurope,,"; } >"$work/est-usage.csv"
run est-usage 0 tl import-usage "$work/est-usage.csv"
run est-measured 0 tl report chargeback --month 2026-06 --prices "$work/mi-prices.csv" -o "$work/est-cb2.csv"
same est-measured "$(python3 -c 'import csv, sys; print([(r["ResourceName"], "estimated" in r["ChargeDescription"]) for r in csv.DictReader(open(sys.argv[1])) if r["ResourceName"] == "est"])' "$work/est-cb2.csv")" "[('est', False)]"
# sizes only where they mean something
printf 'resource_id,event,at,data_bytes\n%s,dropped,2026-06-20T00:00:00Z,100\n' "$S/mi-x/databases/nosize" >"$work/size-bad.csv"
run size-bad 65 tl import-mi "$work/size-bad.csv"
err_has size-bad "size-bad.csv:2: data_bytes is for size_observed, created or migration_started, not dropped"
printf 'resource_id,event,at,data_bytes\n%s,size_observed,2026-06-20T00:00:00Z,-5\n' "$S/mi-x/databases/nosize" >"$work/size-bad.csv"
run size-negative 65 tl import-mi "$work/size-bad.csv"
err_has size-negative "size-bad.csv:2: data_bytes '-5' is not a whole number of bytes"

# --- report warnings lists MI lineages and instances beside SQL Database ones ---
run warnings-day-25 1 tl report warnings --as-of 2026-03-27T08:00:00Z --format json
same warnings-day-25 "$(json '[(w["code"], w["server"], w["database"], w["at"]) for w in d["warnings"]]')" \
    "[('lrs_time_limit', 'mi-a', 'sales', '2026-04-01T08:00:00Z'), ('no_mi_restore_point', 'mi-a', 'sales', None)]"
# sales, orders, tmp and main (moved from mi-e to mi-b: one lineage)
same warnings-day-25-lineages "$(json 'd["databases"]')" 4
run warnings-day-24 1 tl report warnings --as-of 2026-03-27T07:59:59Z --format json
same warnings-day-24 "$(json '[w["code"] for w in d["warnings"]]')" "['no_mi_restore_point']"
# the threshold is configurable (W-MI-1): from day 20
run warnings-day-20 1 tl report warnings --as-of 2026-03-22T08:00:00Z --lrs-warn-days 20 --format json
same warnings-day-20 "$(json '[w["code"] for w in d["warnings"] if w["server"] == "mi-a"]')" "['lrs_time_limit', 'no_mi_restore_point']"
run lineage-day-20 0 tl lineage "$sales" --as-of 2026-03-22T08:00:00Z --lrs-warn-days 20 --format json
same lineage-day-20 "$(json '[w["code"] for w in d["warnings"]]')" "['lrs_time_limit', 'no_mi_restore_point']"
run lrs-days-bad 64 tl report warnings --lrs-warn-days 31
err_has lrs-days-bad "--lrs-warn-days"
run warnings-after-f 0 tl report warnings --as-of 2026-03-30T12:00:00Z --format json
same warnings-after-f "$(json '[w["code"] for w in d["warnings"]]')" "[]"
run warnings-e4 1 tl report warnings --as-of 2026-01-27 --format csv
out_has warnings-e4 "critical,dropped_retention_lowered,W-MI-12,$tmp,mi-e,tmp,S1,2026-01-26T09:00:00Z"
cat >"$work/deleted.csv" <<CSV
resource_id,event,at
$S/mi-d,instance_stopped,2026-03-01T00:00:00Z
$S/mi-d,instance_deleted,2026-03-02T00:00:00Z
CSV
run deleted 0 tl import-mi "$work/deleted.csv"
run warnings-deleted 1 tl report warnings --as-of 2026-03-03 --format json
same warnings-deleted "$(json '[(w["code"], w["level"], w["server"], w["database"]) for w in d["warnings"]]')" \
    "[('instance_deleted', 'critical', 'mi-d', ''), ('no_mi_restore_point', 'warn', 'mi-a', 'sales')]"
run warnings-deleted-text 1 tl report warnings --as-of 2026-03-03
out_has warnings-deleted-text "  mi-d: instance_deleted (W-MI-13)"
run deleted-lineage 0 tl lineage "$orders" --as-of 2026-03-03 --format json
same deleted-lineage "$(json '(d["segments"][0]["status"], d["segments"][0]["lost_cause"], d["instance_deleted"])')" \
    "('lost', 'instance_deleted', '2026-03-02T00:00:00Z')"
run warnings-stopped 1 tl report warnings --as-of 2026-03-01T12:00:00Z --format json
same warnings-stopped "$(json '[w["code"] for w in d["warnings"] if w["server"] == "mi-d"]')" "['instance_stopped']"

# --- check: may the source go; an instance tier change ---
run drop-pending 2 tl check "$sales" --drop-source --as-of 2026-03-20 --format json
same drop-pending "$(json '(d["question"], d["verdict"], [f["code"] for f in d["findings"]])')" \
    "('drop_source', 'blocked', ['no_mi_restore_point'])"
run drop-estimated 2 tl check "$sales" --drop-source --as-of 2026-03-28T23:40:00Z
out_has drop-estimated "an estimate never clears this, MI-B6"
run drop-observed 1 tl check "$sales" --drop-source --as-of 2026-03-30T12:00:00Z --format json
same drop-observed "$(json '(d["verdict"], [f["code"] for f in d["findings"]])')" "('warn', ['source_points_before_f'])"
run tier-change 0 tl check "$sales" --to BusinessCritical --as-of 2026-03-30T12:00:00Z --format json
same tier-change "$(json '(d["question"], d["target"], d["verdict"], d["findings"][0]["code"], d["findings"][0]["rule"])')" \
    "('instance_tier_change', 'BusinessCritical', 'ok', 'lossless', 'AMB-MI-1')"
run tier-while-restoring 1 tl check "$sales" --to GP --as-of 2026-03-20 --format json
same tier-while-restoring "$(json '[f["code"] for f in d["findings"]]')" "['operation_in_progress', 'no_change', 'lossless', 'assumption']"
run tier-unknown 3 tl check "$sales" --to Hyperscale --as-of 2026-03-30T12:00:00Z
run check-neither 64 tl check "$sales" --as-of 2026-03-30T12:00:00Z
err_has check-neither "check of a Managed Instance database: --drop-source or --to TIER"
run drop-source-sql 64 tl check sql-x/db --drop-source
err_has drop-source-sql "--drop-source is a question for a Managed Instance database"

# --- the audit view, as the reader, at a pinned instant ---
same view-e1 "$(sql "SET ROLE tierledger_reader; SET tierledger.as_of = '2026-03-28T23:00:00Z';
    SELECT string_agg(concat_ws(' ', service, instance_name, database_name, event, origin, source_line), ';' ORDER BY at, event)
      FROM mi_event_history WHERE instance_name = 'mi-a' AND database_name = 'sales'")" \
    "managed_instance mi-a sales migration_started lrs 3;managed_instance mi-a sales size_observed 2;managed_instance mi-a sales migration_cutover 4"
same view-instance "$(sql "SET ROLE tierledger_reader; SELECT count(*) FROM mi_event_history WHERE database_name IS NULL AND event = 'instance_changed'")" 4
same view-service "$(sql "SET ROLE tierledger_reader; SELECT count(DISTINCT service) FROM transition_history")" 0

# --- lookups ---
run unknown 65 tl lineage "$S/mi-a/databases/nothing"
err_has unknown "no Managed Instance event names $S/mi-a/databases/nothing"
# the picture: well-formed, self-contained, with the pending span, F and the window
run svg-pending 0 tl lineage "$sales" --as-of 2026-03-27T08:00:00Z --format svg
out_has svg-pending "pending since 2026-03-02T08:00:00Z: no MI backup chain yet"
out_has svg-pending "LRS 30-day limit 2026-04-01"
run svg 0 tl lineage "$sales" --as-of 2026-03-30T12:00:00Z --format svg
out_has svg "restore window 2026-03-28T23:30:00Z to 2026-03-30T12:00:00Z"
out_has svg ">F 2026-03-28</text>"
out_lacks svg "href="
same svg-xml "$(python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); print(d.documentElement.tagName)' "$work/out")" svg
run svg-e3 0 tl lineage "$orders" --as-of 2026-02-10T12:00:00Z --format svg
out_has svg-e3 "planned failover; SQL Server 2019 removes the link (an attribute, not a break: AMB-MI-1)"
run svg-e4 0 tl lineage "$tmp" --as-of 2026-01-25 --format svg
out_has svg-e4 "dropped 2026-01-20, restorable until 2026-02-10"
# --- an LTR policy (MI-B9): its redundancy stays when the instance's changes (W-MI-19) ---
L=$S/mi-l/databases/hist
cat >"$work/ltr.csv" <<CSV
resource_id,event,at,origin,redundancy,ltr_weekly,ltr_monthly,ltr_yearly,ltr_week_of_year
$S/mi-l,instance_changed,2026-05-01T00:00:00Z,,Geo,,,,
$L,created,2026-05-01T00:00:00Z,new,,,,,
$L,ltr_policy_changed,2026-05-02T00:00:00Z,,,P4W,P12M,P5Y,5
$S/mi-l,instance_changed,2026-05-10T00:00:00Z,,Zone,,,,
CSV
run ltr 0 tl import-mi "$work/ltr.csv"
err_has ltr "4 rows: 4 recorded (1 beginning a lineage)"
same ltr-stored "$(sql "SELECT concat_ws(' ', ltr_weekly, ltr_monthly, ltr_yearly, ltr_week_of_year) FROM mi_event_history WHERE event = 'ltr_policy_changed'")" "P4W P12M P5Y 5"
run ltr-lineage 0 tl lineage "$L" --as-of 2026-05-11 --format json
same ltr-warning "$(json '[(w["code"], w["level"], w["rule"], w["at"]) for w in d["warnings"]]')" \
    "[('geo_restore_disabled', 'warn', 'W-MI-9', '2026-05-10T00:00:00Z'), ('ltr_redundancy_fixed', 'info', 'W-MI-19', '2026-05-10T00:00:00Z')]"
run ltr-before 0 tl lineage "$L" --as-of 2026-05-09 --format json
same ltr-before "$(json '[w["code"] for w in d["warnings"]]')" "[]"
run ltr-fleet 1 tl report warnings --as-of 2026-05-11 --format json
same ltr-fleet "$(json '[(w["code"], w["server"], w["database"]) for w in d["warnings"] if w["server"] == "mi-l"]')" \
    "[('geo_restore_disabled', 'mi-l', ''), ('ltr_redundancy_fixed', 'mi-l', 'hist')]"
# LTR backups (MI-A11): kept as the policy says, through the drop; billed on their own meter
# (MI-$9): a full of 35 GB each (data 122.5 GiB, MI-$13), no allowance, Geo: LRS x 2 (MI-$5)
cat >"$work/ltr-backups.csv" <<CSV
resource_id,event,at,redundancy,data_bytes,detail
$L,size_observed,2026-05-01T00:00:00Z,,131533373440,
$L,ltr_backup_taken,2026-05-04T03:00:00Z,Geo,,$L/ltr/one
$L,ltr_backup_taken,2026-05-11T03:00:00Z,Geo,,$L/ltr/two
$L,ltr_backup_gone,2026-05-20T00:00:00Z,,,$L/ltr/two
CSV
run ltr-backups 0 tl import-mi "$work/ltr-backups.csv"
run ltr-backups-lineage 0 tl lineage "$L" --as-of 2026-06-01 --format json
same ltr-backups-kept "$(json '[(b["status"], b["kept_as"], b["expires_at"], b["status_since"]) for b in d["ltr_backups"]]')" \
    "[('kept', 'monthly', '2027-05-04T03:00:00Z', '2026-05-04T03:00:00Z'), ('deleted', 'weekly', '2026-06-08T03:00:00Z', '2026-05-20T00:00:00Z')]"
run ltr-backups-text 0 tl lineage "$L" --as-of 2026-06-01
out_has ltr-backups-text "LTR backups (MI-B9): 1 kept of 2 taken; they outlive the database and its instance"
printf 'region,kind,redundancy,unit_price,currency,effective_from\n*,mi_pitr,LRS,0.2,USD,2024-01-01\n*,mi_ltr,LRS,0.1,USD,2024-01-01\n' >"$work/ltr-prices.csv"
# May: one from 05-04 03:00 (669 h), two until its deletion 05-20 (213 h): 35 x 882 / 744
run ltr-may 0 tl report chargeback --month 2026-05 --prices "$work/ltr-prices.csv" -o "$work/ltr-may.csv"
ltr_rows() { python3 -c 'import csv, sys; print(";".join(" ".join(r[k] for k in sys.argv[2].split(",")) for r in csv.DictReader(open(sys.argv[1])) if r["x_BackupKind"] == "mi_ltr"))' "$@"; }
same ltr-may "$(ltr_rows "$work/ltr-may.csv" ResourceName,PricingQuantity,ListUnitPrice,BilledCost,x_BackupStorageRedundancy,x_SkuMeterName,ChargePeriodStart)" \
    "hist 41.491935 0.2 8.298387 RA-GRS sql managed instance - ltr backup storage 2026-05-04T03:00:00Z"
# after the database is dropped and its instance deleted, the kept one still bills (MI-$9)
printf 'resource_id,event,at\n%s,dropped,2026-06-02T00:00:00Z\n%s,instance_deleted,2026-06-03T00:00:00Z\n' "$L" "$S/mi-l" >"$work/ltr-gone.csv"
run ltr-gone 0 tl import-mi "$work/ltr-gone.csv"
run ltr-june 0 tl report chargeback --month 2026-06 --prices "$work/ltr-prices.csv" -o "$work/ltr-june.csv"
same ltr-june "$(ltr_rows "$work/ltr-june.csv" ResourceName,PricingQuantity,x_SegmentStatus)" "hist 35 lost"
printf 'region,kind,redundancy,unit_price,currency,effective_from\n*,mi_pitr,LRS,0.2,USD,2024-01-01\n' >"$work/no-ltr-prices.csv"
run ltr-no-price 65 tl report chargeback --month 2026-06 --prices "$work/no-ltr-prices.csv" -o "$work/ltr-none.csv"
err_has ltr-no-price "kind mi_ltr, redundancy RA-GRS (or LRS)"
snapshot before-ltr-bad
ltr_bad() { # NAME CELLS MESSAGE
    { echo "resource_id,event,at,ltr_weekly,ltr_monthly,ltr_yearly,ltr_week_of_year"
      echo "$L,ltr_policy_changed,2026-05-12T00:00:00Z,$2"; } >"$work/ltr-bad.csv"
    run "$1" 65 tl import-mi "$work/ltr-bad.csv"
    err_has "$1" "ltr-bad.csv:2: $3"
}
ltr_bad ltr-bad-unit "P4X,,," "ltr_weekly 'P4X' is not an ISO 8601 duration such as P4W"
ltr_bad ltr-bad-no-p ",4W,," "ltr_monthly '4W' is not an ISO 8601 duration"
ltr_bad ltr-bad-none ",,," "ltr_policy_changed needs ltr_weekly, ltr_monthly or ltr_yearly"
ltr_bad ltr-bad-week "P4W,,PT0S,53" "ltr_week_of_year '53' is not 1 to 52"
snapshot after-ltr-bad
same ltr-bad-unchanged "$(cmp -s "$work/before-ltr-bad.sql" "$work/after-ltr-bad.sql" && echo same)" same

# --- mi_restorable (and restorable_now) agree with the model at every instant that matters ---
run mi-agree 0 python3 "$here/mi_agree.py" "$TIERLEDGER" 3
out_has mi-agree "; 0 disagreements"
grep -o "[0-9]* checks.*" "$work/out" >&2
same mi-in-restorable-now "$(sql "SET ROLE tierledger_reader; SET tierledger.as_of = '2026-01-25T00:00:00Z';
    SELECT string_agg(concat_ws(' ', service, server_name, database_name, status, restore_from, restore_to), ';' ORDER BY database_name)
      FROM restorable_now WHERE service = 'managed_instance' AND server_name = 'mi-e'")" \
    "managed_instance mi-e main current 2026-01-18 00:00:00+00 2026-01-25 00:00:00+00;managed_instance mi-e tmp restorable 2026-01-04 00:00:00+00 2026-01-20 15:00:00+00"

# the reader reads the events and cannot write them
run reader-insert 1 psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE tierledger_reader; INSERT INTO mi_events (resource_id, event, at) VALUES ('$S/mi-a', 'instance_stopped', now())"
err_has reader-insert "permission denied for table mi_events"
run writer-update 1 psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE tierledger_writer; UPDATE mi_events SET at = now()"
err_has writer-update "permission denied for table mi_events"

finish
