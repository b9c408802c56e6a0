#!/usr/bin/env bash
# test_init.sh - schema migrations: applied once, idempotent, commented,
# append-only transitions, the read-only role, and a too-new schema refused.
. "$(dirname "$0")/lib.sh"

run no-schema 78 tl lineage srv/db
err_has no-schema "has no tierledger schema"
run init-first 0 tl init
err_has init-first "$MIGRATIONS migrations applied, views updated"
run init-again 0 tl init
err_has init-again "(0 migrations applied)"
same versions "$(sql 'SELECT count(*) FROM schema_version')" "$MIGRATIONS"
same views-hash-recorded "$(sql 'SELECT count(*) FROM schema_views')" 1

# two init at once on a fresh database serialise: both succeed, one applies
for k in 1 2 3 4 5; do
    "$PG_BINDIR/createdb" "tl_race_$k"
    tl init --db "dbname=tl_race_$k" >"$work/race1" 2>&1 & first=$!
    tl init --db "dbname=tl_race_$k" >"$work/race2" 2>&1 & second=$!
    wait "$first"; rc1=$?; wait "$second"; rc2=$?
    same "concurrent init $k: both exit 0" "$rc1 $rc2" "0 0"
    # each migration is its own transaction under the writers' lock: the two
    # may share the work, but every migration is applied exactly once
    same "concurrent init $k: each migration applied once" \
        "$(cat "$work/race1" "$work/race2" | grep -oE '[0-9]+ migrations? applied' | awk '{n += $1} END {print n}')" "$MIGRATIONS"
    same "concurrent init $k: schema complete" "$(psql -X -A -t -q -d "tl_race_$k" -c 'SELECT count(*) FROM schema_version')" "$MIGRATIONS"
    "$PG_BINDIR/dropdb" "tl_race_$k"
done

# COMMENT ON every table and view of ours
same all-commented "$(sql "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v') AND obj_description(c.oid, 'pg_class') IS NULL")" 0
# ... and on every column of them, named when one lacks it
same all-columns-commented "$(sql "SELECT string_agg(c.relname || '.' || a.attname, ' ' ORDER BY 1)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v') AND col_description(c.oid, a.attnum) IS NULL")" ""

run import 0 tl import "$data/fleet.csv"
# transitions are append-only
run no-update 1 psql -X -q -v ON_ERROR_STOP=1 -c "UPDATE transitions SET state = 'Failed'"
err_has no-update "append-only"
run no-delete 1 psql -X -q -v ON_ERROR_STOP=1 -c "DELETE FROM transitions"
run no-truncate 1 psql -X -q -v ON_ERROR_STOP=1 -c "TRUNCATE transitions CASCADE"
same still-34 "$(sql 'SELECT count(*) FROM transitions')" 34

# the read-only role reads the audit view and cannot write
run reader-reads 0 psql -X -A -t -q -v ON_ERROR_STOP=1 -c "SET ROLE tierledger_reader; SELECT count(*) FROM transition_history"
out_has reader-reads "34"
run reader-cannot-write 1 psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE tierledger_reader; INSERT INTO databases (resource_id, subscription_id, resource_group, server_name, database_name, created_at) VALUES ('x','s','g','v','d', now())"
err_has reader-cannot-write "permission denied"

# a schema newer than the binary is refused by every command, init included
sql "INSERT INTO schema_version (version, name) VALUES (9999, '9999_future.sql')"
run newer-lineage 78 tl lineage sql-prod-weu/salesdb
err_has newer-lineage "newer than this binary knows"
run newer-init 78 tl init
err_has newer-init "newer than this binary knows"
sql "DELETE FROM schema_version WHERE version = 9999"

# PostgreSQL unreachable: exit 69, one line naming it
run unreachable 69 tl init --db "host=/nonexistent-socket-dir"
err_has unreachable "postgresql: cannot connect"
# a password in argv is refused before connecting
run password-in-argv 64 tl init --db "host=/tmp password=hunter2"
if grep -q hunter2 "$work/err"; then bad "password echoed in the error"; else ok; fi

finish
