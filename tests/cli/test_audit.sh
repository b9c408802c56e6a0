#!/usr/bin/env bash
# test_audit.sh - refresh stores the model's results; the README's example
# audit queries answer under the read-only role (golden output, pinned with
# tierledger.as_of); that role cannot write anything.
. "$(dirname "$0")/lib.sh"
export PGTZ=UTC
A=2026-11-20T12:00:00Z

run init 0 tl init
run import 0 tl import "$data/fleet.csv"
run facts 0 tl import-facts "$data/fleet-facts.csv"
run usage 0 tl import-usage "$data/fleet-usage.csv"
run refresh 0 tl refresh --as-of $A --months 2
err_has refresh "14 lineages: 27 segments"
run refresh-again 0 tl refresh --as-of $A --months 2
run refresh-months-not-a-number 64 tl refresh --as-of $A --months 2x
err_has refresh-months-named "--months: expected a number from 1 to 36, not '2x'"
same segments-once "$(sql 'SELECT count(*) FROM lineage_segments')" 27

# the README's queries, verbatim, as the reader
sed -n '/<!-- audit-queries:begin -->/,/<!-- audit-queries:end -->/p' "$here/../../README.md" |
    grep -v -e '^<!--' -e '^```' >"$work/queries.sql"
same readme-has-queries "$(grep -c '^SELECT' "$work/queries.sql")" 4
run readme-queries 0 psql -X -v ON_ERROR_STOP=1 -c "SET ROLE tierledger_reader" \
    -c "SET tierledger.as_of = '$A'" -f "$work/queries.sql"
golden readme-queries audit-queries.txt
out_has readme-queries "salesdb       |       1 | standard     | 2025-03-19 22:00:00+00 | L3"
out_has readme-queries " orders        |       1 | restorable | 2026-11-06 12:00:00+00 | 2026-11-10 02:15:00+00"

# the billing view agrees with the chargeback file's quantities for October
view=$(sql "SELECT round(sum(billable_gb_month), 4) FROM monthly_billable_gb WHERE month = '2026-10-01'")
file=$(tl report chargeback --month 2026-10 --prices "$data/demo-prices.csv" --billing-account 1:Audit --invoice-issuer Microsoft --by cost-center |
       awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "PricingQuantity") q = i; next }
                { s += $q } END { printf "%.4f", s }')
same billing-view-matches-chargeback "$view" "$file"

# the reader cannot write, anywhere
for stmt in "INSERT INTO transitions (database_id, started_at, state, to_objective, source) VALUES (1, now(), 'Succeeded', 'S0', 'import')" \
            "DELETE FROM lineage_segments" "UPDATE billing_monthly SET billable_gb_month = 0" \
            "DELETE FROM backup_usage" "TRUNCATE database_facts" "CREATE TABLE x (a int)"; do
    run "reader-denied: ${stmt%% *}" 1 psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE tierledger_reader" -c "$stmt"
    err_has "reader-denied: ${stmt%% *}" "permission denied"
done
finish
