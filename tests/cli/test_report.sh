#!/usr/bin/env bash
# test_report.sh - import-usage (all or nothing, idempotent) and the finance
# chargeback: golden CSVs for the sample fleet, a missing price or a bad sheet
# fails with exit 65 and leaves no file, formula cells are neutralised.
. "$(dirname "$0")/lib.sh"
S=/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-prod/providers/Microsoft.Sql/servers
H=resource_id,day,full_bytes,diff_bytes,log_bytes,snapshot_bytes,allocated_bytes,max_size_bytes,redundancy

run init 0 tl init
run import 0 tl import "$data/fleet.csv"
run facts 0 tl import-facts "$data/fleet-facts.csv"
run usage 0 tl import-usage "$data/fleet-usage.csv"
err_has usage "1080 rows: 1080 days recorded, 0 replaced, 0 already recorded"
run usage-again 0 tl import-usage "$data/fleet-usage.csv"
err_has usage-again "0 days recorded, 0 replaced, 1080 already recorded"
# a corrected day replaces the stored one
printf '%s\n%s/sql-prod-weu/databases/orders,2026-10-01,1,2,3,,4,5,LRS\n' "$H" "$S" >"$work/fix.csv"
run usage-fix 0 tl import-usage "$work/fix.csv"
err_has usage-fix "0 days recorded, 1 replaced"
same usage-fixed "$(sql "SELECT full_bytes || '/' || redundancy FROM backup_usage u JOIN databases d ON d.id = u.database_id WHERE d.database_name = 'orders' AND day = '2026-10-01'")" "1/Local"
run usage-restore 0 tl import-usage "$data/fleet-usage.csv"
err_has usage-restore "1 replaced"
# a day given twice in one file counts by its last line, whatever the first says
orders_day=$(grep -m1 'databases/orders,2026-10-01,' "$data/fleet-usage.csv")
printf '%s\n%s\n%s\n' "$(head -1 "$data/fleet-usage.csv")" "${orders_day/,Geo,/,Local,}" "$orders_day" >"$work/twice.csv"
run usage-twice-last-same 0 tl import-usage "$work/twice.csv"
err_has usage-twice-last-same "2 rows: 0 days recorded, 0 replaced, 2 already recorded"
printf '%s\n%s\n%s\n' "$(head -1 "$data/fleet-usage.csv")" "$orders_day" "${orders_day/,Geo,/,Local,}" >"$work/twice.csv"
run usage-twice-last-differs 0 tl import-usage - <"$work/twice.csv"
err_has usage-twice-last-differs "stdin: 2 rows: 0 days recorded, 1 replaced, 1 already recorded"
same usage-twice-stored "$(sql "SELECT redundancy FROM backup_usage u JOIN databases d ON d.id = u.database_id WHERE d.database_name = 'orders' AND day = '2026-10-01'")" Local
run usage-restore-again 0 tl import-usage "$data/fleet-usage.csv"
err_has usage-restore-again "1 replaced"
# ...also when other rows come between its lines (two runs of one database)
sales_day=$(grep -m1 'databases/salesdb,2026-10-01,' "$data/fleet-usage.csv")
printf '%s\n%s\n%s\n%s\n' "$(head -1 "$data/fleet-usage.csv")" "${orders_day/,Geo,/,Local,}" "$sales_day" "$orders_day" >"$work/apart.csv"
run usage-twice-apart-last-same 0 tl import-usage "$work/apart.csv"
err_has usage-twice-apart-last-same "3 rows: 0 days recorded, 0 replaced, 3 already recorded"
same usage-twice-apart-kept "$(sql "SELECT redundancy FROM backup_usage u JOIN databases d ON d.id = u.database_id WHERE d.database_name = 'orders' AND day = '2026-10-01'")" Geo
printf '%s\n%s\n%s\n%s\n' "$(head -1 "$data/fleet-usage.csv")" "$orders_day" "$sales_day" "${orders_day/,Geo,/,Local,}" >"$work/apart.csv"
run usage-twice-apart 0 tl import-usage "$work/apart.csv"
err_has usage-twice-apart "3 rows: 0 days recorded, 1 replaced, 2 already recorded"
same usage-twice-apart-stored "$(sql "SELECT redundancy FROM backup_usage u JOIN databases d ON d.id = u.database_id WHERE d.database_name = 'orders' AND day = '2026-10-01'")" Local
run usage-restore-apart 0 tl import-usage "$data/fleet-usage.csv"
err_has usage-restore-apart "1 replaced"

bad_usage() { # NAME EXPECTED CONTENT
    printf '%s' "$3" >"$work/$1.csv"
    dump >"$work/before.sql"
    run "$1" 65 tl import-usage "$work/$1.csv"
    err_has "$1" "$work/$1.csv:$2"
    dump >"$work/after.sql"
    if cmp -s "$work/before.sql" "$work/after.sql"; then ok; else bad "$1: database changed"; fi
}
bad_usage usage-bad-day "3: day '2026-10-32' is not a date" "$H
$S/sql-prod-weu/databases/orders,2026-10-02,9,9,9,,9,9,Geo
$S/sql-prod-weu/databases/orders,2026-10-32,1,1,1,,1,1,Geo
"
bad_usage usage-bad-bytes "2: log_bytes '12.5' is not a whole number of bytes" "$H
$S/sql-prod-weu/databases/orders,2026-10-02,1,1,12.5,,1,1,Geo
"
bad_usage usage-bad-redundancy "2: unknown redundancy 'XRS'" "$H
$S/sql-prod-weu/databases/orders,2026-10-02,1,1,1,,1,1,XRS
"
bad_usage usage-bad-tags "2: tags is not a JSON object of strings" "$H,tags
$S/sql-prod-weu/databases/orders,2026-10-02,1,1,1,,1,1,Geo,\"{\"\"a\"\":1}\"
"
bad_usage usage-wrong-column "1: unknown column 'snapshot'" "resource_id,day,full_bytes,diff_bytes,log_bytes,snapshot,allocated_bytes,max_size_bytes,redundancy
"
bad_usage usage-no-lineage "2: no lineage of" "$H
$S/sql-prod-weu/databases/nosuch,2026-10-02,1,1,1,,1,1,Geo
"
# a day before the database existed, after a later day of it, or in its second run
bad_usage usage-no-lineage-later-line "3: no lineage of $S/sql-prod-weu/databases/orders existed on 2001-01-01" "$H
$S/sql-prod-weu/databases/orders,2026-10-02,1,1,1,,1,1,Geo
$S/sql-prod-weu/databases/orders,2001-01-01,1,1,1,,1,1,Geo
"
bad_usage usage-no-lineage-second-run "4: no lineage of $S/sql-prod-weu/databases/orders existed on 2001-01-01" "$H
$S/sql-prod-weu/databases/orders,2026-10-02,1,1,1,,1,1,Geo
$S/sql-prod-weu/databases/salesdb,2026-10-02,1,1,1,,1,1,Geo
$S/sql-prod-weu/databases/orders,2001-01-01,1,1,1,,1,1,Geo
"

# --- chargeback ---
run chargeback 0 tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv"
golden chargeback chargeback-2026-10.csv
same chargeback-header "$(head -1 "$work/out" | tr -d '\r')" "BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ChargeDescription,BillingCurrency,EffectiveCost,ListCost,PricingQuantity,PricingUnit,ConsumedQuantity,ConsumedUnit,RegionId,ResourceId,ResourceName,ResourceType,ServiceName,ServiceCategory,SkuMeter,SubAccountId,Tags,BilledCost,BillingAccountId,BillingAccountName,ChargeClass,ChargeFrequency,ContractedCost,ContractedUnitPrice,InvoiceIssuerName,ListUnitPrice,PricingCategory,ProviderName,PublisherName,RegionName,ServiceSubcategory,SkuId,SkuPriceId,SubAccountName,x_CostCenter,x_ResourceGroupName,x_Segment,x_Architecture,x_ServiceTier,x_BackupKind,x_BackupStorageRedundancy,x_SegmentStatus,x_CostSource,x_SkuMeterName"
err_has chargeback "BillingAccountId, BillingAccountName and InvoiceIssuerName are empty: not a conforming FOCUS dataset"
# an option a report does not take is refused, never ignored
run chargeback-no-format 64 tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv" --format json
err_has chargeback-no-format "tierledger report chargeback: unknown option '--format'"
same chargeback-no-format-no-output "$(wc -c <"$work/out")" 0
run warnings-no-month 64 tl report warnings --month 2026-10
err_has warnings-no-month "tierledger report warnings: unknown option '--month'"
# each report has its own help and options
run chargeback-help 0 tl report chargeback --help
out_has chargeback-help "--month YYYY-MM"
out_lacks chargeback-help "--as-of"
run warnings-help 0 tl report warnings --help
out_has warnings-help "--as-of TIME"
out_lacks warnings-help "--prices"
run report-help 0 tl report --help
out_has report-help "  chargeback "
run report-none 64 tl report
err_has report-none "which report: chargeback, reconcile or warnings?"
run report-unknown 64 tl report invoices
err_has report-unknown "unknown subcommand 'invoices'"
run by-cost-center 0 tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv" --by cost-center
golden by-cost-center chargeback-2026-10-by-cost-center.csv
# the rows beyond the sort's memory (runs on disk), a lineage a page: the same files
small=(env TIERLEDGER_SORT_MEMORY=4096 TIERLEDGER_FLEET_PAGE=1 "$TIERLEDGER")
run chargeback-spilled 0 "${small[@]}" report chargeback --month 2026-10 --prices "$data/demo-prices.csv"
golden chargeback-spilled chargeback-2026-10.csv
run by-cost-center-spilled 0 "${small[@]}" report chargeback --month 2026-10 --prices "$data/demo-prices.csv" --by cost-center
golden by-cost-center-spilled chargeback-2026-10-by-cost-center.csv
run chargeback-no-tmpdir 74 env TMPDIR="$work/no-such-dir" "${small[@]}" report chargeback --month 2026-10 --prices "$data/demo-prices.csv" -o "$work/cb-none.csv"
err_has chargeback-no-tmpdir "cannot create a sort file"
same chargeback-no-tmpdir-file "$(ls "$work" | grep -c '^cb-none' || true)" 0
run to-file 0 tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv" -o "$work/cb.csv"
if cmp -s "$work/cb.csv" "$golden/chargeback-2026-10.csv"; then ok; else bad "-o file differs from stdout golden"; fi
same to-file-mode "$(stat -c %a "$work/cb.csv")" "$(printf '%o' $((0666 & ~$(umask))))"
(umask 077 && "$TIERLEDGER" report chargeback --month 2026-10 --prices "$data/demo-prices.csv" -o "$work/private.csv" 2>/dev/null)
same to-file-mode-umask-077 "$(stat -c %a "$work/private.csv")" 600
same to-file-metadata "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Schema"]["FocusVersion"])' "$work/cb.metadata.json")" 1.2

# FOCUS 1.2 (the issue "Finance can rely on it"): with the billing account and
# the invoice issuer given, both files conform; the checker can fail
acct=(--billing-account "12345678:Contoso Enterprise Agreement" --invoice-issuer Microsoft)
run focus-rows 0 tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv" "${acct[@]}" -o "$work/focus.csv"
if grep -q "not a conforming FOCUS dataset" "$work/err"; then bad "focus-rows: warned although the account was given"; else ok; fi
run focus-totals 0 tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv" "${acct[@]}" --by cost-center -o "$work/focus-totals.csv"
run focus-check 0 python3 "$here/focus_check.py" "$work/focus.csv" "$work/focus-totals.csv" "$work/focus.metadata.json"
out_has focus-check ": 0 violations"
same focus-account "$(python3 -c 'import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); print(r["BillingAccountId"], "|", r["BillingAccountName"], "|", r["InvoiceIssuerName"], "|", r["ServiceName"], "|", r["RegionName"])' "$work/focus.csv")" "12345678 | Contoso Enterprise Agreement | Microsoft | Azure SQL Database | North Europe"
run focus-check-unconforming 1 python3 "$here/focus_check.py" "$work/cb.csv" "$work/focus-totals.csv" "$work/cb.metadata.json"
out_has focus-check-unconforming "BillingAccountId is null"
# an MCA billing account id keeps its colon; TIERLEDGER_BILLING_ACCOUNT stands in for the option
mca=0a1b2c3d-0000-4000-8000-000000000001:0a1b2c3d-0000-4000-8000-000000000002_2019-05-31
run focus-mca 0 env TIERLEDGER_BILLING_ACCOUNT="$mca:Contoso MCA" TIERLEDGER_INVOICE_ISSUER=Microsoft "$TIERLEDGER" report chargeback --month 2026-10 --prices "$data/demo-prices.csv"
same focus-mca-id "$(python3 -c 'import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); print(r["BillingAccountId"], "|", r["BillingAccountName"])' "$work/out")" "$mca | Contoso MCA"
# a sheet that names the provider's SKU fills SkuId, SkuPriceId and SkuMeter
{ echo "region,kind,redundancy,unit_price,currency,effective_from,meter,sku_id,sku_price_id"
  grep -v '^#' "$data/demo-prices.csv" | tail -n +2 | sed 's/$/,Backup RA-GRS Data Stored,DZH318Z0BQ4L,DZH318Z0BQ4L\/0005/'; } >"$work/sku-prices.csv"
run focus-sku 0 tl report chargeback --month 2026-10 --prices "$work/sku-prices.csv" "${acct[@]}"
same focus-sku-cells "$(python3 -c 'import csv,sys; r=next(csv.DictReader(open(sys.argv[1]))); print(r["SkuId"], "|", r["SkuPriceId"], "|", r["SkuMeter"], "|", r["x_SkuMeterName"])' "$work/out")" "DZH318Z0BQ4L | DZH318Z0BQ4L/0005 | Backup RA-GRS Data Stored | Backup RA-GRS Data Stored"

# a missing price: exit 65 naming the key, no file, no temporary left behind
run missing-price 65 tl report chargeback --month 2026-10 --prices "$here/../../reports/prices.example.csv" -o "$work/missing.csv"
err_has missing-price "no price for region 'northeurope', kind pitr, redundancy RA-GZRS"
if ls "$work"/missing.csv* >/dev/null 2>&1; then bad "missing-price left a file"; else ok; fi
# a bad price sheet: FILE:LINE
printf '# sheet\nregion,kind,redundancy,unit_price,currency,effective_from\n*,pitr,LRS,0.10,USD,2024-01-01\n*,pitr,XRS,0.10,USD,2024-01-01\n' >"$work/bad-prices.csv"
run bad-sheet 65 tl report chargeback --month 2026-10 --prices "$work/bad-prices.csv" -o "$work/bad.csv"
err_has bad-sheet "bad-prices.csv:4: unknown redundancy 'XRS'"
if ls "$work"/bad.csv* >/dev/null 2>&1; then bad "bad-sheet left a file"; else ok; fi
printf 'region,kind,redundancy,unit_price,currency,effective_from\n*,pitr,LRS,-0.10,USD,2024-01-01\n' >"$work/neg.csv"
run negative-price 65 tl report chargeback --month 2026-10 --prices "$work/neg.csv"
err_has negative-price "neg.csv:2: unit_price '-0.10' is not a plain decimal"
run no-sheet 64 tl report chargeback --month 2026-10
run bad-month 64 tl report chargeback --month 2026-13 --prices "$data/demo-prices.csv"
run future-month 64 tl report chargeback --month 2999-01 --prices "$data/demo-prices.csv"
run unknown-report 64 tl report bogus

# --- warnings: worst first; exit 1 with anything at warn or critical ---
run warnings 1 tl report warnings --as-of 2026-11-20T12:00:00Z
golden warnings warnings-2026-11-20.txt
out_has warnings "13 database lineages: 1 critical, 6 warn, 6 info"
run warnings-json 1 tl report warnings --as-of 2026-11-20T12:00:00Z --format json
golden warnings-json warnings-2026-11-20.json
run warnings-csv 1 tl report warnings --as-of 2026-11-20T12:00:00Z --format csv -o "$work/w.csv"
same warnings-csv-rows "$(wc -l <"$work/w.csv" | tr -d ' ')" 14
run warnings-bad-format 64 tl report warnings --format xml
# rows beyond the sort's memory go to runs on disk and merge back in the same order
run warnings-spilled 1 env TIERLEDGER_SORT_MEMORY=4096 "$TIERLEDGER" report warnings --as-of 2026-11-20T12:00:00Z
golden warnings-spilled warnings-2026-11-20.txt
run warnings-spilled-json 1 env TIERLEDGER_SORT_MEMORY=4096 "$TIERLEDGER" report warnings --as-of 2026-11-20T12:00:00Z --format json
golden warnings-spilled-json warnings-2026-11-20.json
# the runs need $TMPDIR: without it the report fails whole and writes nothing
run warnings-no-tmpdir 74 env TIERLEDGER_SORT_MEMORY=4096 TMPDIR="$work/no-such-dir" "$TIERLEDGER" report warnings --as-of 2026-11-20T12:00:00Z -o "$work/w-none.csv"
err_has warnings-no-tmpdir "$work/no-such-dir: cannot create a sort file: No such file or directory"
same warnings-no-tmpdir-file "$(ls "$work" | grep -c '^w-none' || true)" 0
# in memory (the default budget) it needs no $TMPDIR
run warnings-in-memory 1 env TMPDIR="$work/no-such-dir" "$TIERLEDGER" report warnings --as-of 2026-11-20T12:00:00Z
golden warnings-in-memory warnings-2026-11-20.txt
# before anything happened to the fleet: clean, exit 0
run warnings-clean 0 tl report warnings --as-of 2019-03-02
out_has warnings-clean "nothing to act on"

# formula injection: a tag value from Azure must not run in Excel
cat >"$work/evil.csv" <<CSV
$H,tags
$S/sql-prod-weu/databases/orders,2026-10-31,1,1,1,,1,1,Geo,"{""cost-center"":""=HYPERLINK(\""http://evil.example/\"",\""x\"")"",""owner"":""+1 555""}"
CSV
run evil-usage 0 tl import-usage "$work/evil.csv"
run evil-report 0 tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv"
out_has evil-report ',"'"'"'=HYPERLINK(""http://evil.example/"",""x"")",rg-prod,'
out_lacks evil-report ',=HYPERLINK('
out_lacks evil-report ',"=HYPERLINK('

run evil-by 0 tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv" --by cost-center
out_has evil-by ",Azure SQL Database,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\","

finish
