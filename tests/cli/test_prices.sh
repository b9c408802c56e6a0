#!/usr/bin/env bash
# test_prices.sh - `prices fetch` against a fake Azure Retail Prices API on
# loopback (tests/fakeazure/fakeprices.py, documented shape, made-up values):
# paging, noise skipped (compute meters, Dev/Test, volume tiers, an older
# price), a missing meter named and exit 1, the sheet accepted by report
# chargeback, currency, a 429 retried, and a cut-off page, a NextPageLink
# loop or a foreign host, an unreachable endpoint: a clear error and no file.
. "$(dirname "$0")/lib.sh"
fp_pid=
fp_start() { # fp_start MODE: the fake, $fp_url its API
    fp_stop
    rm -f "$work/fp.port" "$work/fp.log"
    python3 "$here/../fakeazure/fakeprices.py" --port-file "$work/fp.port" --mode "$1" \
        --log "$work/fp.log" --ttl 120 &
    fp_pid=$!
    for _ in $(seq 100); do [ -s "$work/fp.port" ] && break; sleep 0.1; done
    fp_url=http://127.0.0.1:$(cat "$work/fp.port")/api/retail/prices
}
fp_stop() { [ -n "$fp_pid" ] && kill "$fp_pid" 2>/dev/null; wait "$fp_pid" 2>/dev/null; fp_pid=; }
trap 'fp_stop; rm -rf "$work"' EXIT
rows() { grep -v '^#' "$1" | tail -n +2 | wc -l; }
cell() { grep "^$2,$3,$4," "$1" | cut -d, -f"$5"; }

fp_start ok
run fetch 1 tl prices fetch --region westeurope --region northeurope --prices-url "$fp_url" -o "$work/prices.csv"
err_has fetch "not returned by the API: northeurope hyperscale_backup RA-GZRS"
err_has fetch "23 prices for 2 regions (31 items read, 8 pages)"
same fetch-rows "$(rows "$work/prices.csv")" 23
same fetch-header "$(grep -v '^#' "$work/prices.csv" | head -1)" "region,kind,redundancy,unit_price,currency,effective_from,meter,sku_id,sku_price_id"
same fetch-pitr-lrs "$(cell "$work/prices.csv" westeurope pitr LRS 4,6,7)" "0.1,2024-11-01,LRS Data Stored"
same fetch-hs-ra "$(cell "$work/prices.csv" northeurope hyperscale_backup RA-GRS 4,7)" "0.21,Data Stored - Backup - RA"
same fetch-ltr-zrs "$(cell "$work/prices.csv" westeurope ltr ZRS 4)" "0.0313"
same fetch-pages-followed "$(grep -c '\$skip=' "$work/fp.log")" 6
same fetch-filter "$(grep -v 'skip=' "$work/fp.log" | python3 -c 'import json,sys,urllib.parse
for line in sorted(sys.stdin):
    q = urllib.parse.parse_qs(json.loads(line)["query"]); print(q["currencyCode"][0], "|", q["$filter"][0])')" "'USD' | serviceName eq 'SQL Database' and armRegionName eq 'northeurope'
'USD' | serviceName eq 'SQL Database' and armRegionName eq 'westeurope'"

# the sheet prices the demo fleet (both of its regions are in it; a database
# without usage has no region: the sheet gets '*' rows, copies of westeurope's)
{ cat "$work/prices.csv"; grep '^westeurope,' "$work/prices.csv" | sed 's/^westeurope,/*,/'; } >"$work/prices-all.csv"
run init 0 tl init
run import 0 tl import "$data/fleet.csv"
run usage 0 tl import-usage "$data/fleet-usage.csv"
run chargeback 0 tl report chargeback --month 2026-10 --prices "$work/prices-all.csv" --billing-account 1:Test --invoice-issuer Microsoft -o "$work/cb.csv"
same chargeback-sku "$(python3 -c 'import csv,sys; print(all(r["SkuId"].startswith("DZH318Z0FAKE/") for r in csv.DictReader(open(sys.argv[1]))))' "$work/cb.csv")" True
run chargeback-without-fallback 65 tl report chargeback --month 2026-10 --prices "$work/prices.csv"
err_has chargeback-without-fallback "no price for region '(unknown) or *', kind pitr"

# no --region: the regions of the recorded usage
run fetch-default-regions 1 tl prices fetch --prices-url "$fp_url"
err_has fetch-default-regions "23 prices for 2 regions"
run fetch-eur 0 tl prices fetch --region westeurope --currency EUR --prices-url "$fp_url"
same fetch-eur-cell "$(grep '^westeurope,pitr,RA-GRS,' "$work/out" | cut -d, -f4,5)" "0.184,EUR"
run fetch-one-region 0 tl prices fetch --region eastus --prices-url "$fp_url"
same fetch-one-region-rows "$(grep -c '^eastus,' "$work/out")" 12

fp_start throttle
run fetch-throttled 0 tl prices fetch --region westeurope --prices-url "$fp_url"
same fetch-throttled-retried "$(wc -l <"$work/fp.log")" 5

fail_case() { # NAME MODE EXIT TEXT
    fp_start "$2"
    run "$1" "$3" tl prices fetch --region westeurope --prices-url "$fp_url" -o "$work/$1.csv"
    err_has "$1" "$4"
    if [ -e "$work/$1.csv" ]; then bad "$1: a file was written"; else ok; fi
}
fail_case fetch-badpage badpage 76 "the answer is not JSON"
fail_case fetch-loop loop 76 "loops: stopped"
fail_case fetch-foreign foreign 76 "https://prices.example.invalid/api/retail/prices?\$skip=4 is not on"
fp_stop
run fetch-unreachable 69 tl prices fetch --region westeurope --prices-url "$fp_url" -o "$work/none.csv"
if [ -e "$work/none.csv" ]; then bad "fetch-unreachable: a file was written"; else ok; fi

"$PG_BINDIR/createdb" tl_prices_empty && PGDATABASE=tl_prices_empty "$TIERLEDGER" init >/dev/null 2>&1
run fetch-no-region 64 env PGDATABASE=tl_prices_empty "$TIERLEDGER" prices fetch --prices-url "$fp_url"
err_has fetch-no-region "no --region given and no backup usage of the last 40 days names a region"
"$PG_BINDIR/dropdb" tl_prices_empty
run fetch-bad-currency 64 tl prices fetch --region westeurope --currency usd
run fetch-plain-http 64 tl prices fetch --region westeurope --prices-url http://prices.example.com/api/retail/prices
run prices-none 64 tl prices
finish
