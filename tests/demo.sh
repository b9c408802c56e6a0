#!/usr/bin/env bash
# demo.sh run|stop - `make demo`: start a private PostgreSQL cluster under
# build/demo (no system service is touched), load the sample fleet of
# tests/data, and show lineage and checks. Re-running reuses the cluster;
# loading again adds nothing (import is idempotent).
set -eu
cd "$(dirname "$0")/.."
. tests/pgcluster.sh
dir=$PWD/build/demo
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
    dir=/tmp/tierledger-demo   # a private home: the postgres user cannot reach build/
fi
tl=$PWD/bin/tierledger
AS_OF=2026-11-20T12:00:00Z

if [ "${1:-run}" = stop ]; then
    pg_cluster_stop "$dir" && echo "demo cluster in $dir stopped"
    exit 0
fi

if [ -t 1 ]; then bold='\033[1m' plain='\033[0m'; else bold= plain=; fi
say() { printf "\n${bold}== %s${plain}\n" "$*"; }
show() { printf '\n$ %s\n' "tierledger $*"; "$tl" "$@" || true; }

pg_cluster_start "$dir"
export PGDATABASE=tierledger
psql -X -q -A -t -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'tierledger'" | grep -q 1 ||
    createdb -h "$PGHOST" -U postgres tierledger

say "Schema and sample fleet (a private cluster in $dir)"
"$tl" init
"$tl" import tests/data/fleet.csv
"$tl" import-facts tests/data/fleet-facts.csv
"$tl" import-usage tests/data/fleet-usage.csv
"$tl" import-mi tests/data/mi/demo-mi.csv
"$tl" refresh --as-of $AS_OF

say "1. The docs' example (domain.md section 6): only backups from steps 5 and 6 are left"
show lineage sql-prod-weu/salesdb --as-of 2025-04-12T00:00:00Z

say "2. What the DBA would have seen before the second reverse migration"
show check sql-prod-weu/salesdb --to GP_Gen5_4 --as-of 2025-04-09T12:00:00Z

say "3. The fleet as of $AS_OF: one planned change per database (exit: 0 ok, 1 warn, 2 blocked, 3 unknown)"
printf '\n  %-24s %-24s %-12s %s\n' DATABASE PROPOSED VERDICT FINDINGS
while read -r db to; do
    json=$("$tl" check "$db" --to "$to" --as-of $AS_OF --format json) && rc=0 || rc=$?
    codes=$(printf '%s\n' "$json" | sed -n 's/.*"code": "\([a-z_]*\)".*/\1/p' | awk '!seen[$0]++' | paste -sd, -)
    verdict=$(printf '%s\n' "$json" | sed -n 's/^  "verdict": "\([a-z]*\)".*/\1/p')
    from=$(printf '%s\n' "$json" | sed -n 's/^  "objective": "\([^"]*\)".*/\1/p')
    printf '  %-24s %-24s %-12s %s\n' "$db" "$from -> $to" "$verdict ($rc)" "$codes"
done <<'FLEET'
sql-prod-weu/orders GP_Gen5_8
sql-prod-weu/telemetry GP_Gen5_4
sql-prod-weu/billing GP_Gen5_4
sql-prod-weu/billing BC_Gen5_4
sql-prod-weu/archive GP_Gen5_2
sql-prod-weu/crm GP_Gen5_4
sql-prod-weu/inventory HS_Gen5_4
sql-prod-neu/payments GP_Gen5_4
sql-prod-neu/reporting HS_Gen5_4
sql-prod-neu/legacy HS_Gen5_2
sql-prod-neu/analytics GP_Gen5_4
sql-prod-neu/customers HS_Gen5_4
sql-prod-neu/scratch HS_Gen5_4
FLEET

say "4. A reverse migration that would destroy backups (exit 1)"
show check sql-prod-weu/orders --to GP_Gen5_8 --as-of $AS_OF

say "5. A cancelled reverse migration still lost the pre-conversion backups (L3)"
show lineage sql-prod-weu/crm --as-of $AS_OF

say "6. Blocked: created in Hyperscale (exit 2)"
show check sql-prod-weu/telemetry --to GP_Gen5_4 --as-of $AS_OF

say "7. The DBA's morning report: everything to act on, worst first (exit 1 when anything is at warn)"
show report warnings --as-of $AS_OF

say "8. Finance: October's backup storage per cost center, and the chargeback file (FOCUS 1.2)"
echo "   (MADE-UP demo prices from tests/data/demo-prices.csv; figures are estimates, x_CostSource=estimate)"
acct=(--billing-account "DEMO-0001:Demo billing account (made up)" --invoice-issuer Microsoft)
printf '\n$ tierledger report chargeback --month 2026-10 --prices tests/data/demo-prices.csv %s\n' \
    '--billing-account "DEMO-0001:Demo billing account (made up)" --invoice-issuer Microsoft --by cost-center'
echo "  (a FOCUS 1.2 file of 24 columns; six of them here)"
"$tl" report chargeback --month 2026-10 --prices tests/data/demo-prices.csv "${acct[@]}" --by cost-center |
    tr -d '\r' | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
        { printf "  %-12s %-20s %-15s %-12s %16s %6s\n", $c["x_CostCenter"], $c["ServiceName"],
                 $c["BillingCurrency"], $c["BilledCost"], $c["PricingQuantity"], $c["x_Rows"] }'
"$tl" report chargeback --month 2026-10 --prices tests/data/demo-prices.csv "${acct[@]}" \
    -o build/chargeback-2026-10.csv
printf '\n  the whole file: build/chargeback-2026-10.csv (%s rows, FOCUS 1.2) and its metadata\n' \
    "$(($(wc -l <build/chargeback-2026-10.csv) - 1))"
printf '  build/chargeback-2026-10.metadata.json; open the file in a spreadsheet\n'

# tests/data/demo-invoice-2026-10.csv: made up by tests/cli/invoice_from.py from the
# estimate, with price:analytics:1.2 drop:inventory upper:billing and a line for an
# unrecorded database "ghost" (7.5 USD)
say "8b. Finance: the invoice (a made-up Cost Management FOCUS export) against the estimate"
show import-costs tests/data/demo-invoice-2026-10.csv
show report reconcile --month 2026-10 --prices tests/data/demo-prices.csv
"$tl" report chargeback --month 2026-10 --prices tests/data/demo-prices.csv "${acct[@]}" \
    --source billed -o build/chargeback-2026-10-billed.csv
printf '\n  the invoice shared out to the same rows: build/chargeback-2026-10-billed.csv (x_CostSource billed,\n'
printf '  not-invoiced or invoice-only; BilledCost sums to the invoice exactly)\n'

"$tl" lineage sql-prod-weu/salesdb --as-of 2025-04-12T00:00:00Z --format svg >build/salesdb-lineage.svg
printf '\n  the docs example as a picture: build/salesdb-lineage.svg (open it in a browser)\n'

say "9. Auditors: the views, as the read-only role (SET tierledger.as_of pins the instant)"
printf "\n$ psql -c \"SET ROLE tierledger_reader; SET tierledger.as_of = '$AS_OF'; SELECT ... FROM backup_loss_events\"\n"
psql -X -q -c "SET ROLE tierledger_reader" -c "SET tierledger.as_of = '$AS_OF'" \
    -c "SELECT database_name, segment, lost_at, cause_rule, cause_kind, cause_state FROM backup_loss_events ORDER BY lost_at"

say "10. The collector: five polls of a fake Azure on loopback (tests/fakeazure, official examples + made-up scenario)"
echo "   salesdb on sqlcrudtest-4645: converted to Hyperscale, a reverse migration started and cancelled,"
echo "   then scaled up with no operation seen. Each poll is collected twice: the second adds nothing."
if [ ! -d ../shared/fixtures/azure ]; then
    echo "demo: ../shared/fixtures/azure not found beside the checkout: the fake Azure serves those" >&2
    echo "      official examples; put the shared folder there and run make demo again" >&2
    exit 66
fi
fake_dir=$(mktemp -d)
# a made-up service principal, accepted by the fake's token endpoint
export AZURE_TENANT_ID=72f988bf-0000-4000-8000-00000000fa4e AZURE_CLIENT_ID=5f0c1e55-0000-4000-8000-0000000c11e7
export AZURE_CLIENT_SECRET=demo-secret-not-real FAKEAZURE_CLIENT_SECRET=demo-secret-not-real
python3 tests/fakeazure/fakeazure.py --fixtures ../shared/fixtures/azure --scenario lifecycle \
    --port-file "$fake_dir/port" --ttl 120 >"$fake_dir/log" 2>&1 &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null; rm -rf "$fake_dir"' EXIT
for _ in $(seq 100); do [ -s "$fake_dir/port" ] && break; sleep 0.1; done
fake=http://127.0.0.1:$(cat "$fake_dir/port")
export TIERLEDGER_ARM_URL=$fake AZURE_AUTHORITY_HOST=$fake
i=0
for poll in 2026-10-01T10:00:00Z 2026-10-01T12:00:00Z 2026-10-20T08:00:00Z 2026-10-20T09:00:00Z 2026-10-25T00:00:00Z; do
    curl -s -X POST "$fake/_fake/step?n=$i" >/dev/null
    show collect --observed-at $poll
    "$tl" collect --observed-at $poll | sed -n 's/^recorded/  again: recorded/p'
    i=$((i + 1))
done
psql -X -q -c "SELECT to_char(t.started_at, 'YYYY-MM-DD HH24:MI') AS started, to_char(t.ended_at, 'YYYY-MM-DD HH24:MI') AS ended,
                      t.state, t.from_objective AS from, t.to_objective AS to, t.initiated_by AS who, t.source, t.inferred
                 FROM transitions t JOIN databases d ON d.id = t.database_id
                WHERE d.server_name = 'sqlcrudtest-4645' AND d.database_name = 'salesdb' ORDER BY t.id"
show lineage sqlcrudtest-4645/salesdb --as-of 2026-10-26T00:00:00Z
show check sqlcrudtest-4645/salesdb --to GP_Gen5_4 --as-of 2026-10-26T00:00:00Z
echo "   Daily backup usage from Azure Monitor (GiB, the day's average; the billing report reads it):"
psql -X -q -c "SELECT u.day, round(u.full_bytes / 1073741824.0, 2) AS full, round(u.diff_bytes / 1073741824.0, 2) AS diff,
                      round(u.log_bytes / 1073741824.0, 3) AS log, round(u.snapshot_bytes / 1073741824.0, 2) AS snapshot,
                      round(u.allocated_bytes / 1073741824.0, 2) AS allocated, u.max_size_bytes, u.redundancy
                 FROM backup_usage u JOIN databases d ON d.id = u.database_id
                WHERE d.server_name = 'sqlcrudtest-4645' AND d.database_name = 'salesdb' AND u.source = 'collector'
                  AND u.day IN ('2026-09-27', '2026-09-29', '2026-10-19', '2026-10-24') ORDER BY u.day"
psql -X -q -c "SELECT id, status, subscriptions, servers, databases, requests, transitions_added, usage_days_added AS usage_days, errors FROM collector_runs ORDER BY id DESC LIMIT 3"

say "11. Auditors: nobody rewrote the history unseen (hash chains the server computed on insert)"
show verify
printf '\n$ tierledger verify --heads > heads.txt   # keep it outside the database; first lines:\n'
"$tl" verify --heads | head -3 | cut -c1-110
"$tl" verify --heads >build/heads.txt
show verify --against build/heads.txt
psql -X -q -c "SELECT recorded_by, recorded_via, count(*) AS transition_versions FROM transitions GROUP BY 1, 2 ORDER BY 2"

M=/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-prod/providers/Microsoft.Sql/managedInstances/mi-prod-weu
say "12. Managed Instance (domain-mi.md): an LRS migration on day 26, a link, a dropped database"
echo "   erp: LRS since 10-25, not cut over: MI has no backup of it yet, and Azure cancels the job at day 30."
show lineage $M/databases/erp --as-of $AS_OF
echo "   orders: MI link; the segment opened when seeding ended, F observed 50 minutes later."
show lineage $M/databases/orders --as-of $AS_OF
echo "   staging: dropped 11-15, retention 14: restorable until 11-29 15:00 (the window slides, AMB-MI-4);"
echo "   its LTR backups (weekly for 4 weeks, the month's first for 12 months) outlive it (MI-B9)."
show lineage $M/databases/staging --as-of $AS_OF
printf "\n$ psql -c \"SET ROLE tierledger_reader; SET tierledger.as_of = '$AS_OF'; SELECT ... FROM restorable_now WHERE service = 'managed_instance'\"\n"
psql -X -q -c "SET ROLE tierledger_reader" -c "SET tierledger.as_of = '$AS_OF'" \
    -c "SELECT server_name AS instance, database_name, status, restore_from, restore_to, expires_at, retention_days AS days
          FROM restorable_now WHERE service = 'managed_instance' ORDER BY 2"
printf '\n$ tierledger report chargeback --month 2026-10 ... | Managed Instance rows\n'
"$tl" report chargeback --month 2026-10 --prices tests/data/demo-prices.csv "${acct[@]}" -o build/chargeback-mi.csv
python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["ServiceName"] == "SQL Managed Instance":
        print("  %-8s %-7s %8.2f GB-month %10s %s  %s" % (r["ResourceName"], r["x_BackupKind"],
              float(r["PricingQuantity"]), r["BilledCost"], r["BillingCurrency"],
              r["ChargeDescription"][:60]))' build/chargeback-mi.csv
printf '\n$ tierledger report warnings --as-of %s | grep -A3 mi-prod-weu\n' "$AS_OF"
"$tl" report warnings --as-of $AS_OF | grep -A2 mi-prod-weu || true

cat <<MSG

The demo cluster keeps running. To try your own commands:
  export PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=tierledger
  bin/tierledger lineage sql-prod-neu/customers --as-of $AS_OF --format json
  bin/tierledger check sql-prod-neu/analytics --to GP_Gen5_4 --as-of $AS_OF
  psql -c 'SELECT * FROM restorable_now'          (the README has more audit queries)
Stop it with: make demo-stop
MSG
