#!/usr/bin/env bash
# run.sh SIZE N_DATABASES BENCH_MODEL - what `make bench SIZE=...` runs: the
# model's figures, the imports and fleet commands (bench_import.sh) and the
# collector (bench_collect.sh), printed as they come; then the run, with its
# date, machine, command and wall time, into bench/RESULTS.md, in place of
# the last run of the same SIZE (between its two markers; the sections by
# hand below them, which say what the figures mean, are left as they are).
set -eu -o pipefail
cd "$(dirname "$0")/.."
size=$1 n=$2 model=$3
out=$(mktemp)
trap 'rm -f "$out" "$out.md"' EXIT
start=$(date +%s)
{
    echo "== model: lineage and check evaluation"; "$model"
    echo "== imports and fleet commands on a private cluster"; bench/bench_import.sh "$n" 3 30
    echo "== collect at fleet scale (fake Azure on loopback)"; bench/bench_collect.sh 20 500
} 2>&1 | tee "$out"
secs=$(($(date +%s) - start))
begin="<!-- make bench SIZE=$size: begin (written by bench/run.sh) -->"
end="<!-- make bench SIZE=$size: end -->"
pg=$(. tests/pgcluster.sh && "$(pg_bindir)/postgres" --version) || pg="PostgreSQL (version unknown)"
{
    echo "$begin"
    echo "## The last \`make bench SIZE=$size\` ($(date -u +%Y-%m-%d), written by the run)"
    echo
    echo "- **Command**: \`make bench SIZE=$size\` at $(git rev-parse --short HEAD 2>/dev/null || echo 'a tree without git')$(git diff --quiet HEAD 2>/dev/null || echo ' (with changes)'); **wall time $((secs / 60)) min $((secs % 60)) s**"
    echo "- **Machine**: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), $pg"
    echo
    echo '```'
    grep -v -E '^  (CC|LINK|AR|GEN) ' "$out"
    echo '```'
    echo "$end"
} >"$out.md"
python3 - bench/RESULTS.md "$out.md" "$begin" "$end" <<'PY'
import sys
path, new, begin, end = sys.argv[1:]
text = open(path).read()
block = open(new).read()
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    text = head + block.rstrip("\n") + rest.split(end, 1)[1]
else:  # the first run of this size: after the header, before the first section
    at = text.find("\n## ")
    at = len(text) if at < 0 else at + 1
    text = text[:at] + block + "\n" + text[at:]
open(path, "w").write(text)
PY
echo "bench: the run is in bench/RESULTS.md ($((secs / 60)) min $((secs % 60)) s)" >&2
