#!/usr/bin/env bash
# check-layers.sh - the layering rules of docs/architecture.md, by grep:
#   - only sql/store/ speaks to PostgreSQL: no libpq call, type or header and
#     no SQL statement text in cli/, collector/, reports/ or model/;
#   - model/ is pure: no I/O library, no files, environment, printing or clock;
#   - collector/ never links libpq, sql/ never links libcurl or cJSON;
#   - reports/ never talks to the network;
#   - no function over 100 lines; each cli/ command under 300 lines, their
#     shared plumbing under 700.
# Prints each offending line as FILE:LINE: text and ends "check-layers: N
# passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0
rule() { # rule NAME REGEX DIR... : no line of the C sources under DIR matches
    local name=$1 regex=$2 hits
    shift 2
    hits=$(grep -rnE --include='*.c' --include='*.h' "$regex" "$@" 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "check-layers: $name:" >&2
        echo "$hits" | sed 's/^/  /' >&2
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
}
rule "libpq outside sql/store" 'PQ[a-z]+[A-Za-z]*\(|libpq-fe\.h|\bPGconn\b|\bPGresult\b' \
    cli collector reports model
rule "SQL text outside sql/store" \
    '"[^"]*\b(SELECT|INSERT INTO|DELETE FROM|UPDATE [a-z_]+ SET|SAVEPOINT|ROLLBACK|COMMIT|BEGIN|CREATE TABLE|pg_advisory)\b' \
    cli collector reports model
rule "model/ includes an I/O library" '#include <(curl/|cjson/|libpq|csv\.h|unistd\.h|fcntl\.h|time\.h|sys/|dirent\.h)' model
rule "model/ reads files, environment or clock, or prints" \
    '\b(fopen|fread|fwrite|getenv|time|clock_gettime|gettimeofday|printf|fprintf|puts|fputs)\(' model
rule "collector/ uses libpq" 'libpq|\bPQ[a-z]' collector
rule "sql/ uses libcurl or cJSON" 'curl/|\bcurl_|cjson/|\bcJSON_' sql
rule "reports/ uses libcurl" 'curl/|\bcurl_' reports
rule "includes name their layer" '#include "[^/"]+\.h"' model reports collector sql cli tests bench
# the size rules of docs/architecture.md: no function over 100 lines; cli/
# stays thin: each command (cmd_*.c) under 300 lines, the plumbing they share
# (main, args, output, subject, commands.h) under 700; the readers of input
# files (csvfile, rows, prices, heads) are not counted
long=$(awk '/^[A-Za-z].*\(/ && !/;[[:space:]]*$/ { name = $0; start = FNR }
            /^}/ && start { if (FNR - start + 1 > 100) printf "  %s:%d: %d lines: %s\n", FILENAME, start, FNR - start + 1, name; start = 0 }' \
       model/*.c reports/*.c collector/*.c sql/store/*.c cli/*.c)
if [ -n "$long" ]; then
    echo "check-layers: functions over 100 lines:" >&2; echo "$long" >&2; failed=$((failed + 1))
else
    passed=$((passed + 1))
fi
fat=$(wc -l cli/cmd_*.c | awk '$2 != "total" && $1 >= 300 { printf "  %s: %d lines\n", $2, $1 }')
plumbing=$(ls cli/*.c cli/*.h | grep -v -E '^cli/(cmd_.*|csvfile\.[ch]|rows\.[ch]|prices\.[ch]|heads\.[ch])$' |
           xargs cat | wc -l)
if [ -n "$fat" ] || [ "$plumbing" -ge 700 ]; then
    echo "check-layers: cli/ is not thin (commands under 300 lines, plumbing $plumbing of 700):" >&2
    [ -n "$fat" ] && echo "$fat" >&2
    failed=$((failed + 1))
else
    passed=$((passed + 1))
fi
echo "check-layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
