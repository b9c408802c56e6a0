#!/usr/bin/env bash
# test_verify.sh - a history nobody can rewrite unseen (the issue "Auditors
# can rely on it"): the server hashes every lineage's identity and chains
# its transition versions; `verify` recomputes them and names the lineage and
# the row of a superuser's edit; heads kept outside (--heads) catch a
# rewrite that recomputed the hashes, a removed last version or lineage
# (--against), and still match a history that only grew; --as-of gives the
# heads of an earlier instant; a store from before migration 0014 gets its
# chains on init.
. "$(dirname "$0")/lib.sh"
export PGTZ=UTC
edit() { psql -X -q -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" -c "$1"; }

run init 0 tl init
run import 0 tl import "$data/fleet.csv"
run facts 0 tl import-facts "$data/fleet-facts.csv"
run usage 0 tl import-usage "$data/fleet-usage.csv"
run verify-clean 0 tl verify
out_has verify-clean "14 lineages, 34 transition versions: every identity and hash chain holds"
run verify-as-reader 0 env PGOPTIONS="-c role=tierledger_reader" "$TIERLEDGER" verify
run verify-json 0 tl verify --format json
same verify-json-holds "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["holds"], d["lineages"], d["versions"], d["breaks"])' "$work/out")" "True 14 34 []"
same chains-numbered "$(sql "SELECT string_agg(chain_seq::text, ',' ORDER BY chain_seq) FROM transitions t JOIN databases d ON d.id = t.database_id WHERE d.database_name = 'salesdb'")" "1,2,3,4,5,6"

# who and where from, set by the server
same recorded-by "$(sql "SELECT DISTINCT recorded_by FROM transitions")" "$(sql 'SELECT session_user')"
same recorded-via "$(sql "SELECT DISTINCT recorded_via FROM transitions")" "import $data/fleet.csv"
same facts-via "$(sql "SELECT DISTINCT recorded_via FROM database_facts")" "import-facts $data/fleet-facts.csv"
same usage-via "$(sql "SELECT DISTINCT recorded_via FROM backup_usage")" "import-usage $data/fleet-usage.csv"
same lineage-via "$(sql "SELECT DISTINCT recorded_via FROM databases")" "import $data/fleet.csv"
# a hand-written row says so; what a writer sends for the chain is ignored
sql "INSERT INTO transitions (database_id, started_at, state, from_objective, to_objective, source, chain_seq, chain_hash, recorded_by, recorded_via)
     SELECT id, '2026-11-25T00:00:00Z', 'InProgress', 'HS_Gen5_16', 'HS_Gen5_8', 'import', 1, '\\x00', 'mallory', 'forged' FROM databases WHERE database_name = 'analytics'"
same forged-ignored "$(sql "SELECT chain_seq, recorded_by = session_user, recorded_via FROM transitions WHERE to_objective = 'HS_Gen5_8' AND started_at = '2026-11-25T00:00:00Z'")" "3|t|unattributed"
run verify-after-insert 0 tl verify

# heads kept outside the database, in every format
run heads 0 tl verify --heads
cp "$work/out" "$work/heads.txt"
same heads-lines "$(wc -l <"$work/heads.txt")" 14
same heads-first "$(head -1 "$work/heads.txt" | awk '{print $1, $2, length($3)}')" "1 3 64"
run heads-csv 0 tl verify --heads --format csv
cp "$work/out" "$work/heads.csv"
same heads-csv-header "$(head -1 "$work/heads.csv")" "lineage_id,versions,head_hash,resource_id,created_at"
run heads-json 0 tl verify --heads --format json
same heads-json-parses "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/out")" 14
run against-clean 0 tl verify --against "$work/heads.txt"
out_has against-clean "14 heads kept in $work/heads.txt: every identity and hash chain holds, and every kept head is still there"
run against-csv 0 tl verify --against "$work/heads.csv"
run against-stdin 0 sh -c "\"$TIERLEDGER\" verify --against - <\"$work/heads.txt\""

# the history grows: old heads still match; heads --as-of the earlier instant are the old ones
sleep 1.1
before=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.1
legacy=$(grep -o '^[^,]*/databases/legacy' "$data/fleet.csv")
printf '%s\n%s\n' "resource_id,operation_id,started_at,ended_at,state,from_objective,to_objective,initiated_by" \
    "$legacy,op-leg-1,2026-11-21T00:00:00Z,2026-11-21T01:00:00Z,Succeeded,Basic,S0,dba@contoso.com" >"$work/more.csv"
run import-more 0 tl import "$work/more.csv"
err_has import-more "1 transitions recorded"
run against-after-growth 0 tl verify --against "$work/heads.txt"
run heads-as-of 0 tl verify --heads --as-of "$before"
if diff -q "$work/heads.txt" "$work/out" >/dev/null; then ok; else bad "heads --as-of $before differ from the heads kept then"; fi
run heads-now 0 tl verify --heads
if diff -q "$work/heads.txt" "$work/out" >/dev/null; then bad "heads now equal the old ones after an import"; else ok; fi
run verify-as-of 0 tl verify --as-of "$before"
out_has verify-as-of "14 lineages, 35 transition versions recorded by $before"

# a superuser edits one row: verify names the lineage and the row
row=$(sql "SELECT t.id FROM transitions t JOIN databases d ON d.id = t.database_id WHERE d.database_name = 'salesdb' AND t.chain_seq = 3")
edit "UPDATE transitions SET initiated_by = 'someone-else' WHERE id = $row"
run verify-edited 1 tl verify
err_has verify-edited "databases/salesdb, created 2025-03-01T00:00:00Z): transition version 3 (transitions.id $row, started 2025-03-19T22:00:00Z) does not match its chain_hash"
out_has verify-edited "BROKEN lineage"
out_has verify-edited ": 1 break"
run verify-edited-json 1 tl verify --format json
same verify-edited-json-row "$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["breaks"]; print(len(b), b[0]["kind"], b[0]["transition_id"], b[0]["version"])' "$work/out")" "1 hash $row 3"
run heads-when-broken 1 tl verify --heads
same heads-when-broken-empty "$(wc -c <"$work/out")" 0
# ... and rewrites the hashes after it: the chain holds again, the kept head does not
edit "DO \$\$ DECLARE r record; prev bytea; BEGIN
        SELECT identity_hash INTO prev FROM databases d WHERE d.id = (SELECT database_id FROM transitions WHERE id = $row);
        FOR r IN SELECT id FROM transitions WHERE database_id = (SELECT database_id FROM transitions WHERE id = $row) ORDER BY chain_seq LOOP
            UPDATE transitions t SET chain_hash = sha256(prev || convert_to(tierledger_transition_text(t), 'UTF8')) WHERE t.id = r.id RETURNING chain_hash INTO prev;
        END LOOP; END \$\$"
run verify-rehashed 0 tl verify
run against-rehashed 1 tl verify --against "$work/heads.txt"
err_has against-rehashed "transition version 6 no longer has the head hash kept at $work/heads.txt:"
err_has against-rehashed "the history up to it was rewritten"

# the last version removed, a lineage removed, a creation time changed
run heads-fresh 0 tl verify --heads
cp "$work/out" "$work/heads2.txt"
crm=$(sql "SELECT id FROM databases WHERE database_name = 'crm'")
edit "DELETE FROM transitions WHERE database_id = $crm AND chain_seq = 3"
run against-truncated 1 tl verify --against "$work/heads2.txt"
err_has against-truncated "lineage $crm has 2 transition versions, fewer than the 3 kept at $work/heads2.txt:"
scratch=$(sql "SELECT id FROM databases WHERE database_name = 'scratch'")
edit "DELETE FROM database_facts WHERE database_id = $scratch; DELETE FROM transitions WHERE database_id = $scratch; DELETE FROM databases WHERE id = $scratch"
run against-gone 1 tl verify --against "$work/heads2.txt"
out_has against-gone "lineage $scratch, kept at $work/heads2.txt:"
out_has against-gone "is no longer recorded"
inv=$(sql "SELECT id FROM databases WHERE database_name = 'inventory'")
edit "UPDATE databases SET created_at = created_at - interval '1 day' WHERE id = $inv"
run verify-identity 1 tl verify
out_has verify-identity "databases/inventory, created 2025-01-31T00:00:00Z): its identity (resource id, creation time, names) is not the one its identity_hash covers"
# even the owner cannot change an identity with the triggers on
run owner-identity 1 psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE tierledger_owner" -c "UPDATE databases SET created_at = created_at + interval '1 day' WHERE id = $inv"
err_has owner-identity "a lineage's identity cannot change"

# bad input
printf 'lineage_id,versions,head_hash\n1 2 zz\n' >"$work/bad.txt"
run against-bad 65 tl verify --against "$work/bad.txt"
err_has against-bad "$work/bad.txt:2: expected LINEAGE_ID VERSIONS HEAD_HASH"
run against-missing 66 tl verify --against "$work/no-such-file"
run heads-and-against 64 tl verify --heads --against "$work/heads.txt"
run verify-bad-as-of 64 tl verify --as-of yesterday

# ---- a store from before migration 0014 gets its chains on init --------------
export PGDATABASE=tl_verify_old
"$PG_BINDIR/dropdb" --if-exists "$PGDATABASE" >/dev/null 2>&1
"$PG_BINDIR/createdb" "$PGDATABASE"
for f in "$here"/../../sql/migrations/00*.sql; do
    v=$((10#$(basename "$f" | cut -c1-4)))
    [ "$v" -ge 14 ] && break
    { echo "SET client_min_messages = warning;"
      [ "$v" -gt 9 ] && echo "SET ROLE tierledger_owner;"
      cat "$f"
      [ "$v" -gt 0 ] && echo "INSERT INTO schema_version (version, name) VALUES ($v, '$(basename "$f")');"
    } | psql -X -q -v ON_ERROR_STOP=1 -f - >/dev/null || bad "applying $(basename "$f") by hand"
done
sql "INSERT INTO databases (resource_id, subscription_id, resource_group, server_name, database_name, created_at)
     VALUES ('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/old/databases/db1', 's', 'rg', 'old', 'db1', '2025-01-01');
     INSERT INTO transitions (database_id, started_at, ended_at, state, from_objective, to_objective, source) VALUES
       (1, '2025-01-01', NULL, 'Succeeded', NULL, 'GP_Gen5_4', 'import'),
       (1, '2025-02-01', '2025-02-01T03:00:00Z', 'Succeeded', 'GP_Gen5_4', 'HS_Gen5_4', 'import'),
       (1, '2025-02-10', NULL, 'InProgress', 'HS_Gen5_4', 'GP_Gen5_4', 'import')"
run old-init 0 tl init
later=0 # the migrations from 0014 on, which init applies
for f in "$here"/../../sql/migrations/00*.sql; do
    [ $((10#$(basename "$f" | cut -c1-4))) -ge 14 ] && later=$((later + 1))
done
err_has old-init "$later migrations applied"
run old-verify 0 tl verify
out_has old-verify "1 lineage, 3 transition versions: every identity and hash chain holds"
same old-chain "$(sql "SELECT string_agg(chain_seq || ':' || coalesce(recorded_by, '-'), ',' ORDER BY id) FROM transitions")" "1:-,2:-,3:-"
"$PG_BINDIR/dropdb" --if-exists "$PGDATABASE" >/dev/null 2>&1
export PGDATABASE=tl_verify
finish
