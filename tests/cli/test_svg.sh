#!/usr/bin/env bash
# test_svg.sh - `lineage --format svg`: a self-contained, escaped SVG
# (golden), rendered by headless Chromium (Debian's package) to a PNG that
# is not blank: it must carry far more than a blank page of the same size.
. "$(dirname "$0")/lib.sh"

run init 0 tl init
run import 0 tl import "$data/fleet.csv"
run facts 0 tl import-facts "$data/fleet-facts.csv"

run svg 0 tl lineage sql-prod-weu/salesdb --as-of 2025-04-12 --format svg
golden svg salesdb-lineage.svg
out_has svg '<svg xmlns="http://www.w3.org/2000/svg" width="1200"'
out_has svg "lost 2025-03-19 (L3: reverse_migration to GP_Gen5_4 Succeeded)"
out_has svg "lost 2025-04-01 (L4: conversion to HS_Gen5_4 Succeeded)"
out_has svg "expires 2025-05-15"
out_has svg "as of 2025-04-12"
# standard again at that instant: no reverse-migration deadline is drawn
out_lacks svg "reverse-migration deadline"
out_lacks svg "href="
cp "$work/out" "$work/salesdb.svg"
run svg-deadline 0 tl lineage sql-prod-weu/orders --as-of 2026-11-20T12:00:00Z --format svg
out_has svg-deadline "reverse-migration deadline 2026-12-25"
out_has svg-deadline 'text-anchor="end">reverse-migration deadline'

# names are escaped
printf 'resource_id,started_at,ended_at,state,from_objective,to_objective\n%s,2026-01-01T00:00:00Z,,Succeeded,,"S0<&>""x"\n' \
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/srv/databases/a&b" >"$work/odd.csv"
run odd-import 0 tl import "$work/odd.csv"
run odd-svg 0 tl lineage srv/a\&b --as-of 2026-02-01 --format svg
out_has odd-svg "S0&lt;&amp;&gt;&quot;x"
out_has odd-svg "databases/a&amp;b"
out_lacks odd-svg "S0<&>"

# render it, and a blank page of the same size, in headless Chromium
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    bad "chromium is not installed (make test installs Debian's chromium as root)"
else
    render() { # SVG PNG
        rm -rf "$work/profile"
        timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --hide-scrollbars --user-data-dir="$work/profile" --window-size=1200,480 \
            --screenshot="$2" "file://$1" >/dev/null 2>&1
    }
    printf '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="480"><rect width="100%%" height="100%%" fill="#fff"/></svg>\n' >"$work/blank.svg"
    render "$work/salesdb.svg" "$work/salesdb.png"
    render "$work/blank.svg" "$work/blank.png"
    if [ -s "$work/salesdb.png" ] && [ "$(head -c 4 "$work/salesdb.png" | od -An -c | tr -d ' ')" = '211PNG' ]; then ok; else bad "no PNG rendered"; fi
    big=$(stat -c %s "$work/salesdb.png" 2>/dev/null || echo 0)
    blank=$(stat -c %s "$work/blank.png" 2>/dev/null || echo 1)
    if [ "$big" -gt $((blank * 5)) ] && [ "$big" -gt 20000 ]; then ok; else bad "picture looks blank: $big bytes vs a blank page's $blank"; fi
    # a Managed Instance lineage's picture renders too (E1, day 25: pending, the 30-day limit)
    tl import-mi "$data/mi/e1-lrs.csv" 2>/dev/null
    tl lineage "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-mi/providers/Microsoft.Sql/managedInstances/mi-a/databases/sales" \
        --as-of 2026-03-30T12:00:00Z --format svg >"$work/mi.svg"
    render "$work/mi.svg" "$work/mi.png"
    mi=$(stat -c %s "$work/mi.png" 2>/dev/null || echo 0)
    if [ "$mi" -gt $((blank * 5)) ] && [ "$mi" -gt 20000 ]; then ok; else bad "the MI picture looks blank: $mi bytes vs a blank page's $blank"; fi
fi
finish
