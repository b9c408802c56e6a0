#!/usr/bin/env bash
# test_roles.sh - three roles, least privilege, in both directions: init
# makes login roles members (--grant-writer, --grant-reader); as
# tierledger_writer every writing command works but history cannot be
# changed, tables not altered, triggers not disabled, and the server records
# who wrote each row; as tierledger_reader lineage, check, both reports and
# verify work, every write and the collector lock
# are refused with exit 77 naming the role, and the old advisory-lock trick
# no longer stops a collector.
. "$(dirname "$0")/lib.sh"
W=tl_writer_$$ R=tl_reader_$$
sql "CREATE ROLE $W LOGIN; CREATE ROLE $R LOGIN"
trap 'fake_stop; sql "DROP OWNED BY $W; DROP OWNED BY $R; DROP ROLE IF EXISTS $W; DROP ROLE IF EXISTS $R" >/dev/null 2>&1; rm -rf "$work"' EXIT
as() { local role=$1; shift; PGUSER=$role "$@"; }
psql_as() { PGUSER=$1 psql -X -q -v ON_ERROR_STOP=1 -c "$2"; }

run init-grants 0 tl init --grant-writer "$W" --grant-reader "$R"
err_has init-grants "$W is a member of tierledger_writer"
err_has init-grants "$R is a member of tierledger_reader"
run init-unknown-role 64 tl init --grant-reader no_such_role_here
err_has init-unknown-role "no role 'no_such_role_here' exists"
same owner "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'tierledger_owner'")" 0

# ---- the writer writes ---------------------------------------------------------
run writer-import 0 as "$W" "$TIERLEDGER" import "$data/fleet.csv"
run writer-import-facts 0 as "$W" "$TIERLEDGER" import-facts "$data/fleet-facts.csv"
run writer-import-usage 0 as "$W" "$TIERLEDGER" import-usage "$data/fleet-usage.csv"
run writer-import-usage-again 0 as "$W" "$TIERLEDGER" import-usage "$data/fleet-usage.csv"
run writer-refresh 0 as "$W" "$TIERLEDGER" refresh --as-of 2026-11-20T12:00:00Z
fake_start lifecycle
run writer-collect 0 as "$W" "$TIERLEDGER" collect --observed-at 2026-11-01T00:00:00Z
# ...but cannot rewrite what it wrote, nor change the tables
history_before=$(sql "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM transitions t")
for stmt in "UPDATE transitions SET state = 'Failed'" "DELETE FROM transitions" \
    "TRUNCATE transitions" "ALTER TABLE transitions DISABLE TRIGGER transitions_no_update" \
    "UPDATE databases SET created_at = now()" "DELETE FROM databases" \
    "UPDATE database_facts SET retention_days = 1" "DELETE FROM database_facts" \
    "DELETE FROM backup_usage" "DROP TABLE transitions" "CREATE TABLE sneaky (x int)" \
    "ALTER TABLE databases ADD COLUMN x int" "UPDATE schema_version SET version = 1"; do
    run "writer-denied: $stmt" 1 psql_as "$W" "$stmt"
    if grep -q -E 'permission denied|must be owner|append-only' "$work/err"; then ok; else bad "writer-denied: $stmt: $(head -c 200 "$work/err")"; fi
done
same writer-history-intact "$(sql "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM transitions t")" "$history_before"
# who wrote each row and from which file or run, as the server recorded it
same writer-recorded-by "$(sql "SELECT string_agg(DISTINCT recorded_by, ',') FROM transitions")" "$W"
same writer-recorded-by-usage "$(sql "SELECT string_agg(DISTINCT recorded_by, ',') FROM backup_usage")" "$W"
# what a writer sends as recorded_by / recorded_via is corrected (0025: the
# trigger runs only when they differ from the truth), on insert and update
run writer-forged-usage 0 psql_as "$W" "INSERT INTO backup_usage (database_id, day, source, recorded_by, recorded_via)
    SELECT min(id), '2001-01-01', 'import', 'someone_else', 'forged' FROM databases"
same writer-forged-usage-who "$(sql "SELECT recorded_by || ' ' || recorded_via FROM backup_usage WHERE day = '2001-01-01'")" "$W unattributed"
run writer-forged-update 0 psql_as "$W" "UPDATE backup_usage SET recorded_by = 'x', recorded_via = 'y' WHERE day = '2001-01-01'"
same writer-forged-update-who "$(sql "SELECT recorded_by || ' ' || recorded_via FROM backup_usage WHERE day = '2001-01-01'")" "$W unattributed"
run writer-forged-session 0 psql_as "$W" "BEGIN; SET LOCAL tierledger.recorded_via = 'by hand';
    INSERT INTO backup_usage (database_id, day, source, recorded_by, recorded_via)
    SELECT min(id), '2001-01-02', 'import', '$W', 'unattributed' FROM databases; COMMIT"
same writer-forged-session-via "$(sql "SELECT recorded_via FROM backup_usage WHERE day = '2001-01-02'")" "by hand"
# usage naming no lineage is refused per statement (0025 replaced the
# per-row foreign key), on insert and update; so is deleting a lineage it names
run usage-no-lineage 1 psql_as "$W" "INSERT INTO backup_usage (database_id, day, source) VALUES (987654321, '2001-01-03', 'import')"
err_has usage-no-lineage "names lineage 987654321, which databases does not hold"
run usage-update-no-lineage 1 psql_as "$W" "UPDATE backup_usage SET database_id = 987654321 WHERE day = '2001-01-01'"
err_has usage-update-no-lineage "names lineage 987654321"
same usage-no-lineage-nothing "$(sql "SELECT count(*) FROM backup_usage WHERE database_id = 987654321")" 0
sql "INSERT INTO databases (resource_id, subscription_id, resource_group, server_name, database_name, created_at)
     VALUES ('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/gone/databases/db', 's', 'rg', 'gone', 'db', '2001-01-01');
     INSERT INTO backup_usage (database_id, day, source) SELECT id, '2001-01-04', 'import' FROM databases WHERE server_name = 'gone'" >/dev/null
run owner-delete-named-lineage 1 sql "DELETE FROM databases WHERE server_name = 'gone'"
err_has owner-delete-named-lineage "which backup_usage rows name"
same owner-delete-kept "$(sql "SELECT count(*) FROM databases WHERE server_name = 'gone'")" 1
sql "DELETE FROM backup_usage WHERE day BETWEEN '2001-01-01' AND '2001-01-04'" >/dev/null
# refresh's results too name only recorded lineages (0025: per statement)
run segments-no-lineage 1 sql "UPDATE lineage_segments SET database_id = 987654321 WHERE database_id = (SELECT min(database_id) FROM lineage_segments)"
err_has segments-no-lineage 'table "lineage_segments" names lineage 987654321, which databases does not hold'
run billing-no-lineage 1 sql "UPDATE billing_monthly SET database_id = 987654321 WHERE database_id = (SELECT min(database_id) FROM billing_monthly)"
err_has billing-no-lineage 'table "billing_monthly" names lineage 987654321'
run owner-delete-unnamed-lineage 0 sql "DELETE FROM databases WHERE server_name = 'gone'"
# transitions name only recorded lineages too (0026 replaced their foreign
# key): a direct insert, and the batch function import uses
run transition-no-lineage 1 psql_as "$W" "INSERT INTO transitions (database_id, started_at, state, to_objective, source) VALUES (987654321, now(), 'Succeeded', 'S0', 'import')"
err_has transition-no-lineage 'table "transitions" names lineage 987654321, which databases does not hold'
run append-no-lineage 1 psql_as "$W" "SELECT tierledger_append_transitions(ARRAY[ROW(987654321, now(), NULL, 'Succeeded', NULL, 'S0', NULL, NULL, 'import', NULL, false)::tierledger_new_transition])"
err_has append-no-lineage 'names lineage 987654321, which databases does not hold'
same transitions-no-lineage-nothing "$(sql "SELECT count(*) FROM transitions WHERE database_id = 987654321")" 0
sql "DELETE FROM lineage_changes c WHERE NOT EXISTS (SELECT FROM databases d WHERE d.id = c.database_id)" >/dev/null
same collector-facts-recorded "$(sql "SELECT count(*) > 0 FROM database_facts WHERE source = 'collector'")" t
same collector-recorded-via "$(sql "SELECT count(*) FROM database_facts f WHERE source = 'collector' AND NOT EXISTS (SELECT FROM collector_runs r WHERE f.recorded_via = 'collect run ' || r.id)")" 0
same import-recorded-via "$(sql "SELECT count(*) FROM transitions WHERE recorded_via = 'import $data/fleet.csv'")" 34

# ---- the reader reads ----------------------------------------------------------
run reader-lineage 0 as "$R" "$TIERLEDGER" lineage sql-prod-weu/salesdb --as-of 2025-04-12
run reader-check 1 as "$R" "$TIERLEDGER" check sql-prod-weu/orders --to GP_Gen5_8 --as-of 2026-11-20T12:00:00Z
run reader-warnings 1 as "$R" "$TIERLEDGER" report warnings --as-of 2026-11-20T12:00:00Z
run reader-chargeback 0 as "$R" "$TIERLEDGER" report chargeback --month 2026-10 --prices "$data/demo-prices.csv"
# the fleet's pages are read on two more connections on the reader's snapshot
# when the server grants them, on one when it grants one, else on the first
# alone: the same reports whatever it grants (pages of 2 lineages: many). The
# server's log says how many it tried: the refused one is its FATAL.
log=$PGHOST/server.log
refused() { grep -c "too many connections for role \"$R\"" "$log"; }
for limit in -1 2 1; do
    sql "ALTER ROLE $R CONNECTION LIMIT $limit" >/dev/null
    before=$(refused)
    run "reader-warnings-conns-$limit" 1 as "$R" env TIERLEDGER_FLEET_PAGE=2 "$TIERLEDGER" report warnings --as-of 2026-11-20T12:00:00Z --format csv
    cp "$work/out" "$work/warnings-$limit"
    same "reader-warnings-conns-$limit-refused" "$(($(refused) - before))" "$([ "$limit" = -1 ] && echo 0 || echo 1)"
    # (pages of 5 with usage: 3 lineages on one connection, 2 on the other)
    run "reader-chargeback-conns-$limit" 0 as "$R" env TIERLEDGER_FLEET_PAGE=10 "$TIERLEDGER" report chargeback --month 2026-10 --prices "$data/demo-prices.csv"
    cp "$work/out" "$work/chargeback-$limit"
done
sql "ALTER ROLE $R CONNECTION LIMIT -1" >/dev/null
# ...and a role that may not export its snapshot reads on its one connection
sql "REVOKE EXECUTE ON FUNCTION pg_export_snapshot() FROM PUBLIC" >/dev/null
run reader-warnings-no-export 1 as "$R" env TIERLEDGER_FLEET_PAGE=2 "$TIERLEDGER" report warnings --as-of 2026-11-20T12:00:00Z --format csv
cp "$work/out" "$work/warnings-no-export"
run reader-refresh-no-export 77 as "$R" "$TIERLEDGER" refresh
sql "GRANT EXECUTE ON FUNCTION pg_export_snapshot() TO PUBLIC" >/dev/null
# (test_refresh.sh sees the three connections at work, and loses each)
run reader-warnings-one-page 1 as "$R" "$TIERLEDGER" report warnings --as-of 2026-11-20T12:00:00Z --format csv
for limit in -1 2 1 no-export; do
    if cmp -s "$work/out" "$work/warnings-$limit"; then ok; else bad "warnings with connection limit $limit differ: $(diff "$work/out" "$work/warnings-$limit" | head -5)"; fi
    [ "$limit" = no-export ] && continue
    if cmp -s "$work/chargeback--1" "$work/chargeback-$limit"; then ok; else bad "chargeback with connection limit $limit differs"; fi
done
same warnings-rows "$(($(wc -l <"$work/out") > 5))" 1
run reader-views 0 psql_as "$R" "SELECT count(*) FROM restorable_now"
run reader-verify 0 as "$R" "$TIERLEDGER" verify
out_has reader-verify "every identity and hash chain holds"
run reader-heads 0 as "$R" "$TIERLEDGER" verify --heads
# ...and writes nothing: 77, the role and what was refused named, no usage line
run reader-import 77 as "$R" "$TIERLEDGER" import "$data/fleet.csv"
err_has reader-import "permission denied for table tierledger_locks (connected as role $R)"
if grep -q '^usage:' "$work/err"; then bad "reader-import: a usage line"; else ok; fi
run reader-refresh 77 as "$R" "$TIERLEDGER" refresh
runs_before=$(sql "SELECT count(*) FROM collector_runs")
run reader-collect 77 as "$R" "$TIERLEDGER" collect --observed-at 2026-11-01T00:10:00Z
err_has reader-collect "record the run: permission denied"
same reader-collect-no-run "$(sql "SELECT count(*) FROM collector_runs")" "$runs_before"
run reader-init 77 as "$R" "$TIERLEDGER" init
for stmt in "INSERT INTO transitions (database_id, started_at, state, to_objective, source) SELECT id, now(), 'Succeeded', 'X', 'import' FROM databases LIMIT 1" \
    "SELECT name FROM tierledger_locks FOR UPDATE" "SELECT name FROM tierledger_locks FOR SHARE" \
    "DELETE FROM lineage_segments" "UPDATE collector_runs SET status = 'failed'"; do
    run "reader-denied: $stmt" 1 psql_as "$R" "$stmt"
    err_has "reader-denied: $stmt" "permission denied"
done
# the reader's old way to stop the collector (its advisory lock) stops nothing now
PGUSER=$R psql -X -q -c "SELECT pg_advisory_lock(7581625, 3), pg_advisory_lock(7581625011734151), pg_sleep(5)" >/dev/null 2>&1 &
squatter=$!
sleep 0.5
run writer-collect-despite-reader-locks 0 as "$W" "$TIERLEDGER" collect --observed-at 2026-11-01T00:20:00Z
run writer-import-despite-reader-locks 0 as "$W" "$TIERLEDGER" import "$data/fleet.csv"
kill "$squatter" 2>/dev/null; wait "$squatter" 2>/dev/null
# what the function appends is linked and attributed by the server, whatever the writer sets
sql "INSERT INTO databases (resource_id, subscription_id, resource_group, server_name, database_name, created_at)
     VALUES ('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/chained/databases/db', 's', 'rg', 'chained', 'db', '2001-01-01')" >/dev/null
tr_before=$(sql "SELECT count(*) FROM transitions")
run append-by-writer 0 psql_as "$W" "BEGIN; SET LOCAL tierledger.recorded_via = 'by function';
    SELECT tierledger_append_transitions(ARRAY[
      ROW(d.id, '2001-02-01', NULL, 'InProgress', 'S0', 'S1', NULL, NULL, 'import', NULL, NULL)::tierledger_new_transition,
      ROW(d.id, '2001-02-01', '2001-02-01T01:00:00Z', 'Succeeded', 'S0', 'S1', NULL, NULL, 'import', NULL, NULL)::tierledger_new_transition])
      FROM databases d WHERE d.server_name = 'chained'; COMMIT"
same append-attributed "$(sql "SELECT count(*), bool_and(recorded_by = '$W'), min(recorded_via), bool_and(NOT inferred) FROM transitions WHERE started_at = '2001-02-01'")" "2|t|by function|t"
same append-linked "$(sql "SELECT string_agg(chain_seq || ':' || state, ',' ORDER BY id) FROM transitions WHERE started_at = '2001-02-01'")" "1:InProgress,2:Succeeded"
same append-latest-last "$(sql "SELECT state FROM current_transitions WHERE started_at = '2001-02-01'")" Succeeded
same append-count "$(sql "SELECT count(*) - $tr_before FROM transitions")" 2
run append-verify 0 tl verify
out_has append-verify "every identity and hash chain holds"
run append-by-reader 1 psql_as "$R" "SELECT tierledger_append_transitions(ARRAY[]::tierledger_new_transition[])"
err_has append-by-reader "permission denied for function tierledger_append_transitions"
# one writing transaction at a time per chain: a writer waits for the
# writers' lock; one that claims the lock without taking it (setting
# tierledger.chain_locked itself) cannot fork the chain: the unique index
# refuses its version once the holder commits
ins_chained() { # STARTED: a version of the chained lineage, as $W
    echo "INSERT INTO transitions (database_id, started_at, ended_at, state, from_objective, to_objective, source)
          SELECT id, '$1', '$1', 'Succeeded', 'S1', 'S2', 'import' FROM databases WHERE server_name = 'chained'"
}
psql_as "$W" "BEGIN; $(ins_chained 2001-04-01); SELECT pg_sleep(2); COMMIT" >/dev/null 2>"$work/holder.err" &
holder=$!
sleep 0.5
psql_as "$W" "$(ins_chained 2001-04-03)" >/dev/null 2>"$work/waiter.err" &
waiter=$!
run chain-fork-refused 1 psql_as "$W" "BEGIN; SELECT set_config('tierledger.chain_locked', txid_current()::text, true); $(ins_chained 2001-04-02); COMMIT"
err_has chain-fork-refused 'duplicate key value violates unique constraint "transitions_chain"'
wait "$holder" && wait "$waiter" && ok || bad "chain-holder or chain-waiter failed: $(cat "$work/holder.err" "$work/waiter.err")"
same chain-serialised "$(sql "SELECT string_agg(chain_seq || ':' || started_at::date, ',' ORDER BY chain_seq) FROM transitions t JOIN databases d ON d.id = t.database_id WHERE d.server_name = 'chained'")" "1:2001-02-01,2:2001-02-01,3:2001-04-01,4:2001-04-03"
run chain-serialised-verify 0 tl verify
# new lineages a batch at a time (0026): attributed and hashed by the server,
# one already recorded left as it is
run add-lineages-by-writer 0 psql_as "$W" "BEGIN; SET LOCAL tierledger.recorded_via = 'by function';
    SELECT tierledger_add_lineages(ARRAY[
      ROW('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/batch/databases/a', 's', 'rg', 'batch', 'a', '2001-03-01')::tierledger_new_lineage,
      ROW('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/chained/databases/db', 's', 'rg', 'chained', 'db', '2001-01-01')::tierledger_new_lineage]); COMMIT"
same add-lineages-attributed "$(sql "SELECT count(*), min(recorded_by) = '$W', min(recorded_via) FROM databases WHERE server_name = 'batch'")" "1|t|by function"
same add-lineages-kept "$(sql "SELECT count(*), min(recorded_via) FROM databases WHERE server_name = 'chained'")" "1|unattributed"
psql_as "$W" "SELECT tierledger_append_transitions(ARRAY[ROW(d.id, '2001-03-01', NULL, 'Succeeded', NULL, 'S0', NULL, NULL, 'import', NULL, false)::tierledger_new_transition]) FROM databases d WHERE server_name = 'batch'" >/dev/null
run add-lineages-verify 0 tl verify
out_has add-lineages-verify "every identity and hash chain holds"
run add-lineages-identity-kept 1 sql "UPDATE databases SET database_name = 'b' WHERE server_name = 'batch'"
err_has add-lineages-identity-kept "a lineage's identity cannot change"
run add-lineages-by-reader 1 psql_as "$R" "SELECT tierledger_add_lineages(ARRAY[]::tierledger_new_lineage[])"
err_has add-lineages-by-reader "permission denied for function tierledger_add_lineages"
run owner-delete-chained-lineage 1 sql "DELETE FROM databases WHERE server_name = 'chained'"
err_has owner-delete-chained-lineage "which transitions rows name"
fake_stop
finish
