#!/usr/bin/env bash
# bench_collect.sh [SERVERS] [DBS_PER_SERVER] - figures for `tierledger collect`
# at fleet scale: the fake Azure (tests/fakeazure, loopback) serves SERVERS x
# DBS_PER_SERVER databases with 50 ms added to every request; a private
# cluster takes the writes. Prints the first run (every database detailed:
# operations, retention, links, 30 days of metrics), a steady-state run (lists
# only), the same through Resource Graph and a run with the details due
# again, each with requests, wall seconds, the collector's own CPU seconds,
# peak RSS and its lower bound requests x latency / concurrency. The Python
# fake is single-process (about 1 ms of its CPU an answer, with TCP_NODELAY
# since session 28): a detailed run's wall time is partly its speed. Since
# session 26 the runs without latency are gone: they measured the fake and
# took a third of the section's time.
set -eu
cd "$(dirname "$0")/.."
servers=${1:-20} per=${2:-250}
. tests/pgcluster.sh
dir=$(mktemp -d); chmod 755 "$dir"
fake_pid=
trap '[ -n "$fake_pid" ] && kill $fake_pid 2>/dev/null; pg_cluster_stop "$dir"; rm -rf "$dir"' EXIT
pg_cluster_start "$dir" >/dev/null
tl=$PWD/bin/tierledger
"$tl" init 2>/dev/null
# item 7 of the issue "Fleet scale": 50 ms added to every request, each run
# against its lower bound requests x latency / concurrency
latency=0.05
python3 tests/fakeazure/fakeazure.py --fixtures ../shared/fixtures/azure --scenario fleet \
    --fleet "$servers,$per" --no-auth --port-file "$dir/port" --ttl 1800 --delay ":$latency" \
    >"$dir/fake.out" 2>&1 &
fake_pid=$!
for _ in $(seq 300); do [ -s "$dir/port" ] && break; sleep 0.1; done
export TIERLEDGER_ARM_URL=http://127.0.0.1:$(cat "$dir/port")
# run LABEL ARGS...: one collect, timed, with its peak RSS (KiB)
run() {
    local label=$1; shift
    python3 - "$tl" collect --auth none "$@" >"$dir/run.out" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
secs = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(p.stdout, end="")
print(f"{secs:.2f} {ru.ru_maxrss} {p.returncode} {ru.ru_utime + ru.ru_stime:.2f}")
PY
    local last secs rss rc cpu summary
    last=$(tail -n 1 "$dir/run.out"); read -r secs rss rc cpu <<<"$last"
    summary=$(sed -n 's/^collector run [0-9]*: //p' "$dir/run.out")
    printf '  %-34s %7.2f s (collector CPU %.2f s)  peak RSS %6d KiB  exit %s\n      %s\n      %s\n' \
        "$label" "$secs" "$cpu" "$rss" "$rc" \
        "$summary" "$(grep '^recorded' "$dir/run.out")"
}
# bound LABEL CONCURRENCY ARGS...: one run, its wall seconds against the bound
bound() {
    local label=$1 conc=$2; shift 2
    run "$label" --concurrency "$conc" "$@"
    local secs requests
    secs=$(tail -n 1 "$dir/run.out" | cut -d' ' -f1)
    requests=$(sed -n 's/.*(\([0-9]*\) requests.*/\1/p' "$dir/run.out")
    python3 -c 'import sys; s, n, l, c = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]); b = n * l / c; print(f"      lower bound {n} requests x {l * 1000:.0f} ms / {c} = {b:.2f} s; the run {s / b:.2f}x it")' \
        "$secs" "${requests:-0}" "$latency" "$conc"
}
printf 'collect: %d servers x %d databases = %d databases (fake Azure on loopback, %.0f ms added to every request)\n' \
    "$servers" "$per" "$((servers * per))" "$(python3 -c "print($latency * 1000)")"
bound "first run (all detailed), 50 ms" 16 --observed-at 2026-11-01T00:00:00Z
bound "steady state (lists only), 50 ms" 16 --observed-at 2026-11-01T00:10:00Z
bound "steady state, --via resource-graph" 16 --observed-at 2026-11-01T00:20:00Z --via resource-graph
bound "details due again (6 h later), 64 in flight" 64 --observed-at 2026-11-01T06:30:00Z
printf '  stored: %s lineages, %s transitions, %s usage days, %s facts rows\n' \
    "$(psql -X -A -t -c 'SELECT count(*) FROM databases')" \
    "$(psql -X -A -t -c 'SELECT count(*) FROM transitions')" \
    "$(psql -X -A -t -c 'SELECT count(*) FROM backup_usage')" \
    "$(psql -X -A -t -c 'SELECT count(*) FROM database_facts')"
