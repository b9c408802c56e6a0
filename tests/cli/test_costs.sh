#!/usr/bin/env bash
# test_costs.sh - import-costs: a Cost Management export of backup storage
# (written here in the documented header variants: the FOCUS export, MCA
# camelCase and EA PascalCase cost details), other services and meters
# skipped, a billing period imported again replaces the stored one, a bad
# row or an unknown header rejects the file whole with FILE:LINE, exit 65 and
# the store unchanged.
. "$(dirname "$0")/lib.sh"
S=/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-prod/providers/Microsoft.Sql/servers
run init 0 tl init
run import 0 tl import "$data/fleet.csv"

cat >"$work/focus.csv" <<CSV
BillingAccountId,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ConsumedQuantity,PricingQuantity,ResourceId,ServiceName,SkuMeter,x_SkuMeterName,Tags
1,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,1.25,1.20,USD,6.25,6.25,$S/sql-prod-weu/databases/orders,Azure SQL Database,,single/elastic pool pitr backup storage,{}
1,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,1.30,1.30,USD,6.5,6.5,$S/sql-prod-weu/databases/ORDERS,Azure SQL Database,,single/elastic pool pitr backup storage,{}
1,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,40.00,40.00,USD,24,24,$S/sql-prod-weu/databases/orders,Azure SQL Database,,vCore,{}
1,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,0.50,0.50,USD,10,10,/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/backupsa,Storage,,Backup LRS Data Stored,{}
CSV
run focus 0 tl import-costs "$work/focus.csv"
err_has focus "(focus export): 4 rows: 2 backup storage lines recorded (0 replaced), 2 of other services or meters skipped"
same focus-stored "$(sql "SELECT billing_period, charge_day, billed_cost, effective_cost, quantity, currency, export_format FROM invoice_costs ORDER BY charge_day")" "2026-10-01|2026-10-01|1.25|1.20|6.25|USD|focus
2026-10-01|2026-10-02|1.30|1.30|6.5|USD|focus"
same focus-recorded "$(sql "SELECT DISTINCT recorded_via FROM invoice_costs")" "import-costs $work/focus.csv"
run focus-again 0 tl import-costs "$work/focus.csv"
err_has focus-again "2 backup storage lines recorded (2 replaced)"
same focus-again-count "$(sql "SELECT count(*) FROM invoice_costs")" 2

cat >"$work/mca.csv" <<CSV
invoiceId,billingAccountId,billingPeriodStartDate,billingPeriodEndDate,date,meterName,meterCategory,ResourceId,quantity,unitOfMeasure,billingCurrency,costInBillingCurrency,tags
,1,10/01/2026,10/31/2026,10/05/2026,Data Stored - Backup - RA,SQL Database,$S/sql-prod-weu/databases/billing,3.5,1 GB/Month,EUR,0.70,
,1,10/01/2026,10/31/2026,10/06/2026,Data Stored - Backup - RA,SQL Database,$S/sql-prod-weu/databases/billing,3.75,1 GB/Month,EUR,0.75,
CSV
run mca 0 tl import-costs "$work/mca.csv"
err_has mca "(mca export): 2 rows: 2 backup storage lines recorded (2 replaced)"
same mca-stored "$(sql "SELECT count(*), sum(billed_cost), min(currency) FROM invoice_costs WHERE export_format = 'mca'")" "2|1.45|EUR"
same mca-replaced-focus "$(sql "SELECT count(*) FROM invoice_costs WHERE export_format = 'focus'")" 0

cat >"$work/ea.csv" <<CSV
BillingPeriodStartDate,BillingPeriodEndDate,Date,MeterName,MeterCategory,ResourceId,Quantity,BillingCurrencyCode,CostInBillingCurrency
09/01/2026,09/30/2026,09/15/2026,single/elastic pool pitr backup storage,SQL Database,$S/sql-prod-neu/databases/payments,12,USD,2.4
CSV
run ea 0 tl import-costs "$work/ea.csv"
err_has ea "(ea export): 1 rows: 1 backup storage lines recorded (0 replaced)"
same periods "$(sql "SELECT string_agg(DISTINCT billing_period::text, ',') FROM invoice_costs")" "2026-09-01,2026-10-01"
# one file of three periods, out of order: the two stored are replaced, nothing else
# (and a line written by hand with an id above any the sequence gave: replaced all the same)
sql "INSERT INTO invoice_costs (billing_period, charge_day, resource_id, meter, currency, export_format, source_file, billed_cost, effective_cost, source_line)
     VALUES ('2026-07-01', '2026-07-02', 'kept', 'm', 'USD', 'ea', 'by hand', 1, 1, 1);
     INSERT INTO invoice_costs (id, billing_period, charge_day, resource_id, meter, currency, export_format, source_file, billed_cost, effective_cost, source_line)
     OVERRIDING SYSTEM VALUE VALUES (9000000000, '2026-08-01', '2026-08-02', 'high id', 'm', 'USD', 'ea', 'by hand', 9, 9, 1)" >/dev/null
cat >"$work/three.csv" <<CSV
BillingPeriodStartDate,BillingPeriodEndDate,Date,MeterName,MeterCategory,ResourceId,Quantity,BillingCurrencyCode,CostInBillingCurrency
10/01/2026,10/31/2026,10/15/2026,single/elastic pool pitr backup storage,SQL Database,$S/sql-prod-neu/databases/payments,1,USD,0.1
08/01/2026,08/31/2026,08/15/2026,single/elastic pool pitr backup storage,SQL Database,$S/sql-prod-neu/databases/payments,2,USD,0.2
09/01/2026,09/30/2026,09/15/2026,single/elastic pool pitr backup storage,SQL Database,$S/sql-prod-neu/databases/payments,3,USD,0.3
10/01/2026,10/31/2026,10/16/2026,single/elastic pool pitr backup storage,SQL Database,$S/sql-prod-neu/databases/payments,4,USD,0.4
CSV
run three-periods 0 tl import-costs "$work/three.csv"
err_has three-periods "(ea export): 4 rows: 4 backup storage lines recorded (4 replaced)"
same three-periods-stored "$(sql "SELECT string_agg(billing_period || ':' || billed_cost || ':' || source_line, ',' ORDER BY billing_period, source_line) FROM invoice_costs")" "2026-07-01:1:1,2026-08-01:0.2:3,2026-09-01:0.3:4,2026-10-01:0.1:2,2026-10-01:0.4:5"
same three-periods-attributed "$(sql "SELECT count(*) FROM invoice_costs WHERE recorded_by = session_user AND recorded_via = 'import-costs $work/three.csv'")" 4
run three-periods-again 0 tl import-costs "$work/three.csv"
err_has three-periods-again "4 backup storage lines recorded (4 replaced)"
sql "DELETE FROM invoice_costs WHERE billing_period <> '2026-09-01'" >/dev/null
tl import-costs "$work/ea.csv" 2>/dev/null

# bad input: the file is rejected whole, the store unchanged
bad_costs() { # NAME LINE-TEXT CONTENT
    printf '%s' "$3" >"$work/$1.csv"
    dump >"$work/before.sql"
    run "$1" 65 tl import-costs "$work/$1.csv"
    err_has "$1" "$work/$1.csv:$2"
    dump >"$work/after.sql"
    if cmp -s "$work/before.sql" "$work/after.sql"; then ok; else bad "$1: the store changed"; fi
}
bad_costs costs-bad-cost "3: cost 'lots' is not a number" "BillingPeriodStartDate,Date,MeterName,ResourceId,Quantity,BillingCurrencyCode,CostInBillingCurrency
09/01/2026,09/16/2026,single/elastic pool pitr backup storage,$S/sql-prod-neu/databases/payments,12,USD,2.4
09/01/2026,09/17/2026,single/elastic pool pitr backup storage,$S/sql-prod-neu/databases/payments,12,USD,lots
"
bad_costs costs-bad-date "2: date '2026-13-40' is not a date" "BillingPeriodStartDate,Date,MeterName,ResourceId,Quantity,BillingCurrencyCode,CostInBillingCurrency
09/01/2026,2026-13-40,single/elastic pool pitr backup storage,$S/sql-prod-neu/databases/payments,12,USD,2.4
"
bad_costs costs-bad-currency "2: currency 'dollars' is not an ISO 4217 code" "Date,MeterName,ResourceId,Quantity,BillingCurrencyCode,CostInBillingCurrency
09/16/2026,single/elastic pool pitr backup storage,$S/sql-prod-neu/databases/payments,12,dollars,2.4
"
bad_costs costs-unknown-header "1: not a Cost Management export" "a,b,c
1,2,3
"
bad_costs costs-no-meter "1: a ea export without a column for the meter name" "Date,ResourceId,Quantity,BillingCurrencyCode,CostInBillingCurrency
09/16/2026,$S/sql-prod-neu/databases/payments,12,USD,2.4
"
bad_costs costs-short-last-row "4: " "BillingPeriodStartDate,Date,MeterName,ResourceId,Quantity,BillingCurrencyCode,CostInBillingCurrency
09/01/2026,09/16/2026,single/elastic pool pitr backup storage,$S/sql-prod-neu/databases/payments,12,USD,2.4
09/01/2026,09/17/2026,single/elastic pool pitr backup storage,$S/sql-prod-neu/databases/payments,12,USD,2.5
09/01/2026,09/18/2026,single/elastic pool pitr backup storage
"
# streamed: from stdin too, a row at a time
run costs-stdin 0 tl import-costs - <"$work/ea.csv"
err_has costs-stdin "stdin (ea export): 1 rows: 1 backup storage lines recorded (1 replaced)"
run costs-missing 66 tl import-costs "$work/no-such.csv"
finish
