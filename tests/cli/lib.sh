# lib.sh - helpers for the CLI suites: each suite gets a fresh database in
# the private cluster, runs the real binary ($TIERLEDGER) and checks exit
# codes, output and stored data. Sourced by tests/cli/test_*.sh.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
data=$here/../data
golden=$here/golden
suite=$(basename "$0" .sh)
passed=0
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export PGDATABASE="tl_${suite}"
"$PG_BINDIR/dropdb" --if-exists "$PGDATABASE" >/dev/null 2>&1
"$PG_BINDIR/createdb" "$PGDATABASE" || { echo "$suite: createdb failed"; exit 1; }

tl() { "$TIERLEDGER" "$@"; }
# the schema versions a complete init records: every migration but 0000 (the
# table of versions itself)
MIGRATIONS=$(($(find "$here/../../sql/migrations" -name '[0-9][0-9][0-9][0-9]_*.sql' | wc -l) - 1))
# every command, one per line; a command made of subcommands gives each
# ("report chargeback") in its stead
all_commands() {
    local c
    for c in $(tl --help | sed -n 's/^  \([a-z-]*\)  .*/\1/p'); do
        if tl "$c" --help | grep -q '^subcommands'; then
            tl "$c" --help | sed -n '/^subcommands/,/^$/s/^  \([a-z-]*\)  .*/\1/p' | sed "s/^/$c /"
        else
            echo "$c"
        fi
    done
}
sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL [$suite] $*" >&2; }

# run NAME EXPECTED_EXIT CMD... : stdout in $work/out, stderr in $work/err
run() {
    local name=$1 want=$2; shift 2
    "$@" >"$work/out" 2>"$work/err"
    local got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$name: exit $got, expected $want; stderr: $(head -c 600 "$work/err")"; fi
    if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$work/err"; then
        bad "$name: sanitizer report: $(grep -m3 -E 'Sanitizer|runtime error' "$work/err")"
    fi
}
out_has() { if grep -q -F -- "$2" "$work/out"; then ok; else bad "$1: stdout lacks '$2'"; fi; }
err_has() { if grep -q -F -- "$2" "$work/err"; then ok; else bad "$1: stderr lacks '$2': $(head -c 400 "$work/err")"; fi; }
out_lacks() { if grep -q -F -- "$2" "$work/out"; then bad "$1: stdout has '$2'"; else ok; fi; }
same() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', expected '$3'"; fi; }
# golden NAME FILE: stdout must equal tests/cli/golden/FILE (UPDATE_GOLDEN=1 rewrites it)
golden() {
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$work/out" "$golden/$2"; fi
    if diff -u "$golden/$2" "$work/out" >"$work/diff"; then ok; else bad "$1: differs from golden/$2:"; head -40 "$work/diff" >&2; fi
}
# pg_dump >= 15.14 writes a random \restrict key into every dump: pin it
dump() { "$PG_BINDIR/pg_dump" --no-owner --restrict-key=tierledgertest "$PGDATABASE"; }

finish() {
    echo "$suite: $passed passed, $failed failed"
    "$PG_BINDIR/dropdb" --if-exists "$PGDATABASE" >/dev/null 2>&1
    [ "$failed" -eq 0 ]
}

# ---- the fake Azure (tests/fakeazure/fakeazure.py) on loopback ------------
fixtures=$here/../../../shared/fixtures/azure
fake_pid=
# fake_start SCENARIO [fakeazure options]: starts it, exports the collector's
# environment (service principal against the fake's token endpoint)
fake_start() {
    fake_stop
    rm -f "$work/port"
    FAKEAZURE_CLIENT_SECRET=$TEST_SECRET python3 "$here/../fakeazure/fakeazure.py" \
        --fixtures "$fixtures" --scenario "$1" --port-file "$work/port" --log "$work/fake.log" \
        --ttl 300 "${@:2}" >"$work/fake.out" 2>&1 &
    fake_pid=$!
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
    FAKE=http://127.0.0.1:$(cat "$work/port")
    export TIERLEDGER_ARM_URL=$FAKE AZURE_AUTHORITY_HOST=$FAKE
    export AZURE_TENANT_ID=72f988bf-0000-4000-8000-00000000fa4e
    export AZURE_CLIENT_ID=5f0c1e55-0000-4000-8000-0000000c11e7
    export AZURE_CLIENT_SECRET=$TEST_SECRET
}
fake_stop() { [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null; fake_pid=; }
fake_step() { curl -s -X POST "$FAKE/_fake/step?n=$1" >/dev/null; }
fake_stat() { curl -s "$FAKE/_fake/stats" | sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"; }
TEST_SECRET="tl-test-secret-$$-$RANDOM-do-not-print"
trap 'fake_stop; rm -rf "$work"' EXIT
