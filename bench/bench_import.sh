#!/usr/bin/env bash
# bench_import.sh [N_DATABASES] [CHANGES_PER_DB] [USAGE_DAYS] - figures for
# the imports and the fleet commands on a private cluster, each beside a
# baseline measured in the same run: seconds, rows/s, the ratio to the
# baseline, and peak RSS (/usr/bin/time). import and import-usage are set
# against \copy of the same file into a plain table.
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000} k=${2:-10} days=${3:-30}
. tests/pgcluster.sh
dir=$(mktemp -d); chmod 755 "$dir"
trap 'pg_cluster_stop "$dir"; rm -rf "$dir"' EXIT
pg_cluster_start "$dir" >/dev/null
tl=$PWD/bin/tierledger
bench/gen-fleet.sh "$n" "$k" >"$dir/fleet.csv"
bench/gen-usage.sh "$n" "$days" >"$dir/usage.csv"
{ echo "region,kind,redundancy,unit_price,currency,effective_from"
  for kind in pitr hyperscale_backup ltr; do for red in LRS ZRS RA-GRS RA-GZRS; do
      echo "*,$kind,$red,0.1,USD,2000-01-01"; done; done; } >"$dir/prices.csv" # made-up figures
rows=$(($(wc -l <"$dir/fleet.csv") - 1)) urows=$(($(wc -l <"$dir/usage.csv") - 1))
"$tl" init 2>/dev/null
# measure NAME CMD...: seconds and peak RSS (KB) into $secs and $rss
measure() {
    /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>"$dir/stderr" ||
        { echo "bench: $* failed: $(tail -2 "$dir/stderr")" >&2; exit 1; }
    read -r secs rss < <(tail -1 "$dir/time")
}
# the same for a command whose verdict is its exit status (check: 0, 1, 2)
measure_verdict() {
    /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>"$dir/stderr" || [ $? -lt 64 ] ||
        { echo "bench: $* failed: $(tail -2 "$dir/stderr")" >&2; exit 1; }
    read -r secs rss < <(tail -1 "$dir/time")
}
line() { # LABEL SECS RSS BASELINE ROWS
    printf '  %-34s %8.2f s  %6.2fx  %7.1f MB' "$1" "$2" \
        "$(echo "if ($4 > 0) $2 / $4 else 1" | bc -l)" "$(echo "$3 / 1024" | bc -l)"
    [ -n "${5:-}" ] && printf '  %9.0f rows/s' "$(echo "if ($2 > 0) $5 / $2 else 0" | bc -l)"
    printf '\n'
}
psql -X -q -c "CREATE TABLE copy_fleet (a text, b text, c text, d text, e text, f text, g text, h text)" \
    -c "CREATE TABLE copy_usage (a text, b text, c text, d text, e text, f text, g text, h text, i text, j text, k text, l text)"
measure psql -X -q -c "\\copy copy_fleet FROM '$dir/fleet.csv' WITH (FORMAT csv, HEADER true)"
c_fleet=$secs r_fleet=$rss
measure psql -X -q -c "\\copy copy_usage FROM '$dir/usage.csv' WITH (FORMAT csv, HEADER true)"
c_usage=$secs r_usage=$rss
printf '%d databases: %d transitions rows (%d changes each), %d usage rows (%d days)\n' "$n" "$rows" "$k" "$urows" "$days"
printf '  %-34s %8s    %6s  %10s\n' "command" "time" "ratio" "peak RSS"
line "\\copy of the transitions CSV" "$c_fleet" "$r_fleet" "$c_fleet" "$rows"
measure "$tl" import "$dir/fleet.csv"; line "import (first)" "$secs" "$rss" "$c_fleet" "$rows"
measure "$tl" import "$dir/fleet.csv"; line "import again (adds nothing)" "$secs" "$rss" "$c_fleet" "$rows"
line "\\copy of the usage CSV" "$c_usage" "$r_usage" "$c_usage" "$urows"
measure "$tl" import-usage "$dir/usage.csv"; line "import-usage (first)" "$secs" "$rss" "$c_usage" "$urows"
measure "$tl" import-usage "$dir/usage.csv"; line "import-usage again (adds nothing)" "$secs" "$rss" "$c_usage" "$urows"
measure psql -X -q -c "COPY (SELECT * FROM transitions ORDER BY database_id, started_at) TO STDOUT"; c_scan=$secs
line "ordered scan of transitions (COPY)" "$c_scan" "$rss" "$c_scan"
measure_verdict "$tl" report warnings --as-of 2020-01-20; line "report warnings" "$secs" "$rss" "$c_scan"
measure "$tl" refresh --as-of 2020-01-20 --months 1; line "refresh (segments + 1 month)" "$secs" "$rss" "$c_scan"
c_refresh=$secs r_refresh=$rss # the incremental ones against the full one
# what refresh reads besides transitions: its usage window (36 days before the
# month to the as-of), as one COPY; the full refresh against both scans
measure psql -X -q -c "COPY (SELECT * FROM backup_usage WHERE day >= '2019-11-26' AND day < '2020-01-20') TO STDOUT"
c_window=$secs; line "COPY of refresh's usage window" "$c_window" "$rss" "$c_window"
line "refresh vs both scans (sum)" "$c_refresh" "$r_refresh" "$(echo "$c_scan + $c_window" | bc -l)"
measure "$tl" refresh --as-of 2020-01-20 --months 1; line "refresh, nothing changed (vs full)" "$secs" "$rss" "$c_refresh"
# one usage day changed for 1% of the databases (every 100th)
awk -F, -v OFS=, -v days="$days" 'NR == 1 { print; next }
    (NR - 2) % (100 * days) == 0 { $3 = sprintf("%.0f", $3 + 1); print }' "$dir/usage.csv" >"$dir/usage-1pct.csv"
"$tl" import-usage "$dir/usage-1pct.csv" 2>/dev/null
measure "$tl" refresh --as-of 2020-01-20 --months 1; line "refresh, 1% changed (vs full)" "$secs" "$rss" "$c_refresh"
measure psql -X -q -c "COPY (SELECT * FROM backup_usage WHERE day >= '2020-01-01' AND day < '2020-02-01') TO STDOUT"
c_month=$secs; line "COPY of the month's usage rows" "$c_month" "$rss" "$c_month"
measure "$tl" report chargeback --month 2020-01 --prices "$dir/prices.csv"; line "report chargeback" "$secs" "$rss" "$c_month"
# an invoice: a FOCUS export line a database and day (as many lines as the usage file,
# at most 3,000,000: the streamed import's cost is per line, and at 1M databases the
# 30M-line file took 5 of make bench's 30 minutes), imported streaming against \copy
# of the same file
clines=$((urows < 3000000 ? urows : 3000000))
awk -F, -v OFS=, -v last=$((clines + 1)) 'NR > last { exit } NR == 1 { print "BillingAccountId,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ConsumedQuantity,PricingQuantity,ResourceId,ServiceName,SkuMeter,x_SkuMeterName,Tags"; next }
    { print "1", "2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z", $2 "T00:00:00Z", $2 "T23:59:59Z",
            "0.12", "0.12", "USD", "0.6", "0.6", $1, "Azure SQL Database", "",
            "single/elastic pool pitr backup storage", "{}" }' "$dir/usage.csv" >"$dir/costs.csv"
psql -X -q -c "CREATE TABLE copy_costs (a text, b text, c text, d text, e text, f text, g text, h text, i text, j text, k text, l text, m text, n text, o text)"
measure psql -X -q -c "\\copy copy_costs FROM '$dir/costs.csv' WITH (FORMAT csv, HEADER true)"
c_costs=$secs; printf '  (an invoice of %d lines, the first of the usage file)\n' "$clines"
line "\\copy of the invoice CSV" "$c_costs" "$rss" "$c_costs" "$clines"
measure "$tl" import-costs "$dir/costs.csv"; line "import-costs (streamed)" "$secs" "$rss" "$c_costs" "$clines"
measure "$tl" lineage srv-7/db-7 --format json; line "lineage (one database)" "$secs" "$rss" "$secs"
measure_verdict "$tl" check srv-7/db-7 --to HS_Gen5_4; line "check (one database)" "$secs" "$rss" "$secs"
measure_verdict "$tl" verify; line "verify (every chain)" "$secs" "$rss" "$c_scan"
printf '  transitions stored: %s, usage rows stored: %s\n' "$(psql -X -A -t -c 'SELECT count(*) FROM transitions')" \
    "$(psql -X -A -t -c 'SELECT count(*) FROM backup_usage')"
# at 1M (SIZE=1m): a 10,000,000-row transitions CSV (1M databases, 9 changes
# on average) into a fresh database of the same cluster, for its peak RSS
# (the issue's "a 10M-row transitions CSV imports under 100 MB")
if [ "$n" -ge 1000000 ]; then
    bench/gen-fleet.sh "$n" 9 >"$dir/fleet-10m.csv"
    rows10=$(($(wc -l <"$dir/fleet-10m.csv") - 1))
    psql -X -q -c "CREATE DATABASE tl_bench_10m"
    PGDATABASE=tl_bench_10m "$tl" init 2>/dev/null
    rm -f "$dir/fleet.csv" "$dir/usage.csv" "$dir/costs.csv" # room on $TMPDIR
    PGDATABASE=tl_bench_10m measure "$tl" import "$dir/fleet-10m.csv"
    line "import of $rows10 transition rows" "$secs" "$rss" "$c_fleet" "$rows10"
    printf '  (the ratio is against the 4M-row \\copy above: compare rows/s)\n'
fi
