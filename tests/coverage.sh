#!/usr/bin/env bash
# coverage.sh BUILD_DIR - line coverage per source folder from the .gcda
# files a `--coverage` test build left in BUILD_DIR (make coverage). Prints
# one line per folder and fails when model/ is under 90%.
set -u
cd "$(dirname "$0")/.."
build=${1:-build/test}
status=0
printf '%-12s %8s %8s %7s\n' folder lines covered percent
for dir in model sql/store collector reports cli; do
    ls "$build/$dir"/*.gcda >/dev/null 2>&1 || { printf '%-12s %s\n' "$dir" "no coverage data"; continue; }
    read -r total covered < <(
        gcov -n -o "$build/$dir" "$dir"/*.c 2>/dev/null | awk -v dir="$dir/" '
            /^File / { f = $2; gsub(/\x27/, "", f); keep = index(f, dir) == 1 && f ~ /\.c$/ }
            keep && /^Lines executed:/ {
                split($2, a, ":"); pct = a[2] + 0; n = $4 + 0
                total += n; covered += n * pct / 100; keep = 0 }
            END { printf "%d %d\n", total, covered + 0.5 }')
    pct=$(awk -v t="$total" -v c="$covered" 'BEGIN { printf "%.1f", t ? 100 * c / t : 0 }')
    printf '%-12s %8d %8d %6s%%\n' "$dir" "$total" "$covered" "$pct"
    if [ "$dir" = model ] && awk -v p="$pct" 'BEGIN { exit !(p < 90) }'; then
        echo "coverage: model/ is under 90%" >&2; status=1
    fi
done
exit $status
