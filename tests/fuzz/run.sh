#!/bin/sh
# tests/fuzz/run.sh - the fuzz targets' inputs and runs.
#   run.sh seeds NAME            the seed files and folders of target NAME
#   run.sh fuzz SECONDS DIR NAME...
#                                libFuzzer: DIR/fuzz_NAME for SECONDS each, on
#                                DIR/corpus/NAME (kept between runs) and the
#                                seeds; a failing input is written to DIR/NAME-crash-*
#                                (or timeout-*, oom-*) and the run fails
#                                naming it
# Seeds are the official Azure examples (../shared/fixtures/azure), the CSV
# files of tests/data, tests/fuzz/seeds/NAME and tests/fuzz/regress/NAME:
# every input a fuzzer once found, kept so that `make test` replays it.
set -eu
cd "$(dirname "$0")/../.."
seeds() {
    case $1 in
        arm) echo ../shared/fixtures/azure tests/fuzz/regress/arm ;;
        import) echo tests/data/fleet.csv tests/data/fleet-facts.csv tests/data/fleet-usage.csv \
            tests/fuzz/seeds/import tests/fuzz/regress/import ;;
        prices) echo tests/data/demo-prices.csv reports/prices.example.csv tests/fuzz/seeds/prices \
            tests/fuzz/regress/prices ;;
        time | objective) echo "tests/fuzz/seeds/$1 tests/fuzz/regress/$1" ;;
        *) echo "run.sh: no fuzz target '$1'" >&2; exit 64 ;;
    esac
}
case ${1:-} in
    seeds) seeds "$2" ;;
    fuzz)
        seconds=$2 dir=$3; shift 3
        status=0
        for name in "$@"; do
            mkdir -p "$dir/corpus/$name"
            dirs=""   # libFuzzer reads folders: seed files are copied into the corpus
            for s in $(seeds "$name"); do
                if [ -d "$s" ]; then dirs="$dirs $s"; else cp "$s" "$dir/corpus/$name/"; fi
            done
            rm -f "$dir/$name"-crash-* "$dir/$name"-timeout-* "$dir/$name"-oom-*
            echo "== fuzz_$name: $seconds s"
            # shellcheck disable=SC2086
            if ! "$dir/fuzz_$name" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
                -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/$name-" \
                "$dir/corpus/$name" $dirs >"$dir/fuzz_$name.log" 2>&1; then
                tail -40 "$dir/fuzz_$name.log"
                found=$(grep -o "Test unit written to .*" "$dir/fuzz_$name.log" | sed 's/Test unit written to //' | head -1)
                if [ -n "$found" ]; then
                    echo "fuzz_$name: FOUND a failing input: $found (fix it, then add it to tests/fuzz/regress/$name)" >&2
                else
                    echo "fuzz_$name: libFuzzer failed: see $dir/fuzz_$name.log" >&2
                fi
                status=1
            else
                grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs' \
                    "$dir/fuzz_$name.log" | tr '\n' ' '
                echo
            fi
        done
        exit $status ;;
    *) echo "usage: run.sh seeds NAME | run.sh fuzz SECONDS DIR NAME..." >&2; exit 64 ;;
esac
