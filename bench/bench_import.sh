#!/usr/bin/env bash
# bench_import.sh [N_DATABASES] [CHANGES_PER_DB] - figures for import and
# lookups on a private cluster: rows/s for a first import, the time of a
# re-import that adds nothing, and lineage/check latency on the loaded set.
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000} k=${2:-10}
. tests/pgcluster.sh
dir=$(mktemp -d); chmod 755 "$dir"
trap 'pg_cluster_stop "$dir"; rm -rf "$dir"' EXIT
pg_cluster_start "$dir" >/dev/null
tl=$PWD/bin/tierledger
bench/gen-fleet.sh "$n" "$k" >"$dir/fleet.csv"
rows=$(($(wc -l <"$dir/fleet.csv") - 1))
"$tl" init 2>/dev/null
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
t0=$(secs psql -X -q -c "CREATE TABLE copy_baseline (a text, b text, c text, d text, e text, f text, g text, h text)" \
    -c "\\copy copy_baseline FROM '$dir/fleet.csv' WITH (FORMAT csv, HEADER true)")
t1=$(secs "$tl" import "$dir/fleet.csv")
t2=$(secs "$tl" import "$dir/fleet.csv")
t3=$(secs "$tl" lineage srv-7/db-7 --format json)
t4=$(secs "$tl" check srv-7/db-7 --to HS_Gen5_4)
t5=$(secs "$tl" report warnings --as-of 2020-01-20)
t6=$(secs "$tl" report chargeback --month 2020-01 --prices tests/data/demo-prices.csv)
t7=$(secs "$tl" refresh --as-of 2020-01-20 --months 1)
t8=$(secs "$tl" verify)
t9=$(secs "$tl" verify --heads)
printf 'import of %d rows (%d databases x %d changes + creation)\n' "$rows" "$n" "$k"
printf '  \\copy baseline: %6.2f s  (the same file into a plain table)\n' "$t0"
printf '  first import:   %6.2f s  (%.0f rows/s, %.1fx the \\copy)\n' "$t1" "$(echo "$rows / $t1" | bc -l)" \
    "$(echo "$t1 / $t0" | bc -l)"
printf '  re-import:      %6.2f s  (adds nothing)\n' "$t2"
printf '  lineage (json): %6.3f s  (one database, %d recorded in all)\n' "$t3" "$n"
printf '  check:          %6.3f s\n' "$t4"
printf '  report warnings (all %d): %6.2f s\n' "$n" "$t5"
printf '  report chargeback (month): %6.2f s  (no usage rows: lineage and pricing work only)\n' "$t6"
printf '  refresh (segments + 1 month): %6.2f s\n' "$t7"
printf '  transitions stored: %s\n' "$(psql -X -A -t -c 'SELECT count(*) FROM transitions')"
printf '  verify (every chain): %6.2f s\n' "$t8"
printf '  verify --heads:       %6.2f s\n' "$t9"
