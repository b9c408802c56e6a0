#!/usr/bin/env bash
# test_import.sh - import: idempotent, all or nothing, FILE:LINE errors with
# exit 65 leaving the database byte for byte unchanged, new versions of
# running transitions, lineages of re-created databases.
. "$(dirname "$0")/lib.sh"
S=/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-t/providers/Microsoft.Sql/servers/srv-t/databases
H=resource_id,started_at,ended_at,state,from_objective,to_objective

run init 0 tl init
run import-fleet 0 tl import "$data/fleet.csv"
err_has import-fleet "34 rows: 34 transitions recorded (14 new database lineages), 0 already recorded"
same fleet-rows "$(sql 'SELECT count(*) FROM transitions')" 34
# each version says where it came from: FILE:LINE, the line of its row
same fleet-source-records "$(sql "SELECT count(*) FROM transitions WHERE source = 'import' AND starts_with(source_record_id, '$data/fleet.csv:')")" 34
same fleet-source-lines "$(sql "SELECT string_agg(DISTINCT split_part(source_record_id, ':', 2), ',') FROM transitions")" \
    "$(awk 'NR > 4 && !/^#/ && NF { print NR }' "$data/fleet.csv" | sort | paste -sd,)"
run import-again 0 tl import "$data/fleet.csv"
err_has import-again "0 transitions recorded (0 new database lineages), 34 already recorded"
same fleet-rows-again "$(sql 'SELECT count(*) FROM transitions')" 34
same fleet-dbs "$(sql 'SELECT count(*) FROM databases')" 14
# progress on stderr when asked (or on a terminal), never on stdout
run import-progress 0 tl import --progress "$data/fleet.csv"
err_has import-progress "tierledger import: $data/fleet.csv: 34 rows valid, merging them with what is recorded"
err_has import-progress-writing "tierledger import: $data/fleet.csv: valid, writing"
same import-progress-stdout "$(wc -c <"$work/out")" 0
run import-quiet 0 tl import "$data/fleet.csv"
same import-no-progress "$(grep -c 'rows valid' "$work/err")" 0

# --- bad files: rejected whole, FILE:LINE, exit 65, database untouched ---
bad_file() { # NAME EXPECTED_TEXT CONTENT
    local name=$1 text=$2
    printf '%s' "$3" >"$work/$name.csv"
    dump >"$work/before.sql"
    run "$name" 65 tl import "$work/$name.csv"
    err_has "$name" "$work/$name.csv:$text"
    dump >"$work/after.sql"
    if cmp -s "$work/before.sql" "$work/after.sql"; then ok; else bad "$name: database changed"; fi
}
good="$S/a,2026-01-01T00:00:00Z,,Succeeded,,GP_Gen5_2"
# bad bytes and out-of-range years stop at FILE:LINE, before PostgreSQL sees them
bad_file bad-utf8 "3: a field is not valid UTF-8" "$H
$good
$S/a,2026-02-01T00:00:00Z,,Pending,GP_Gen5_2,HS_Gen5_2"$'\xff\xfe'"
"
bad_file overlong-utf8 "2: a field is not valid UTF-8" "$H
$S/a,2026-01-01T00:00:00Z,,Succeeded,,GP_Gen5_2"$'\xc0\xaf'"
"
bad_file year-zero "2: started_at '0000-01-01T00:00:00Z' is not an RFC 3339 time from 1970 to 9999" "$H
$S/a,0000-01-01T00:00:00Z,,Succeeded,,GP_Gen5_2
"
bad_file wrong-column "1: unknown column 'to_objectiv'" "resource_id,started_at,ended_at,state,from_objective,to_objectiv
$good
"
bad_file missing-column "1: the header has no column 'state'" "resource_id,started_at,ended_at,from_objective,to_objective
"
bad_file duplicate-column "1: column 'state' appears twice" "$H,state
"
bad_file bad-timestamp "3: started_at '2026-02-30T00:00:00Z' is not an RFC 3339 time" "$H
$good
$S/a,2026-02-30T00:00:00Z,2026-02-28T01:00:00Z,Succeeded,GP_Gen5_2,HS_Gen5_2
"
bad_file unknown-state "3: unknown state 'Done'" "$H
$good
$S/a,2026-02-01T00:00:00Z,2026-02-01T01:00:00Z,Done,GP_Gen5_2,HS_Gen5_2
"
bad_file before-creation "3: transition at 2025-12-01T00:00:00Z comes before the creation row" "$H
$good
$S/a,2025-12-01T00:00:00Z,2025-12-01T01:00:00Z,Succeeded,GP_Gen5_2,HS_Gen5_2
"
bad_file no-creation "2: transition at 2026-02-01T00:00:00Z comes before the creation row" "$H
$S/a,2026-02-01T00:00:00Z,2026-02-01T01:00:00Z,Succeeded,GP_Gen5_2,HS_Gen5_2
"
bad_file wrong-from "4: from_objective 'GP_Gen5_2' is not the objective in effect at 2026-03-01T00:00:00Z ('HS_Gen5_2')" "$H
$good
$S/a,2026-02-01T00:00:00Z,2026-02-01T01:00:00Z,Succeeded,GP_Gen5_2,HS_Gen5_2
$S/a,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,Succeeded,GP_Gen5_2,BC_Gen5_2
"
bad_file failed-does-not-change "4: from_objective 'BC_Gen5_2'" "$H
$good
$S/a,2026-02-01T00:00:00Z,2026-02-01T01:00:00Z,Failed,GP_Gen5_2,BC_Gen5_2
$S/a,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,Succeeded,BC_Gen5_2,HS_Gen5_2
"
bad_file field-count "3: 5 fields, the header has 6" "$H
$good
$S/a,2026-02-01T00:00:00Z,,InProgress,GP_Gen5_2
"
bad_file unterminated-quote "3: unterminated quoted field" "$H
$good
$S/a,2026-02-01T00:00:00Z,,InProgress,GP_Gen5_2,\"HS_Gen5_2
"
bad_file not-a-sql-id "2: resource_id '/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites/z' is not an Azure SQL database resource id" "$H
/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites/z,2026-01-01T00:00:00Z,,Succeeded,,GP_Gen5_2
"
bad_file end-while-running "3: state InProgress must have an empty ended_at" "$H
$good
$S/a,2026-02-01T00:00:00Z,2026-02-01T01:00:00Z,InProgress,GP_Gen5_2,HS_Gen5_2
"
bad_file end-missing "3: state Succeeded needs an ended_at" "$H
$good
$S/a,2026-02-01T00:00:00Z,,Succeeded,GP_Gen5_2,HS_Gen5_2
"
bad_file empty-file "0: empty file" ""
# valid rows for a new database, then one bad row: nothing of the file is written
bad_file all-or-nothing "4: unknown state 'Sucess'" "$H
$good
$S/a,2026-02-01T00:00:00Z,2026-02-01T01:00:00Z,Succeeded,GP_Gen5_2,HS_Gen5_2
$S/a,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,Sucess,HS_Gen5_2,GP_Gen5_2
"
# contradicting a recorded, finished transition of the fleet (orders' conversion)
bad_file contradicts-recorded "2: the transition started 2026-11-09T22:00:00Z is recorded as Succeeded; this row says Failed" "$H
/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-prod/providers/Microsoft.Sql/servers/sql-prod-weu/databases/orders,2026-11-09T22:00:00Z,2026-11-10T02:15:00Z,Failed,GP_Gen5_8,HS_Gen5_8
"
bad_file splits-recorded "2: a creation at 2026-10-01T00:00:00Z would split the recorded history" "$H
/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-prod/providers/Microsoft.Sql/servers/sql-prod-weu/databases/orders,2026-10-01T00:00:00Z,,Succeeded,,GP_Gen5_8
"
run missing-file 66 tl import "$work/no-such-file.csv"
err_has missing-file "no-such-file.csv: cannot open"

# --- any column order, optional columns absent, BOM + CRLF, any-case ids, stdin ---
printf '\xEF\xBB\xBFto_objective,state,from_objective,ended_at,started_at,resource_id\r\nGP_Gen5_2,Succeeded,,,2026-01-01T00:00:00Z,%s/b\r\nHS_Gen5_2,InProgress,GP_Gen5_2,,2026-02-01T00:00:00Z,%s/B\r\n' "$S" "$S" >"$work/order.csv"
run any-order 0 tl import "$work/order.csv"
err_has any-order "2 transitions recorded (1 new database lineages)"
same one-db-any-case "$(sql "SELECT count(*) FROM databases WHERE resource_key = lower('$S/B')")" 1

# --- a running transition completes: a new version, append-only ---
printf '%s\n%s/b,2026-02-01T00:00:00Z,2026-02-01T05:00:00Z,Succeeded,GP_Gen5_2,HS_Gen5_2\n' "$H" "$S" >"$work/done.csv"
run completes 0 tl import --db "" "$work/done.csv"
err_has completes "1 transitions recorded (0 new database lineages), 0 already recorded"
same two-versions "$(sql "SELECT count(*) FROM transitions t JOIN databases d ON d.id = t.database_id WHERE d.resource_key = lower('$S/b')")" 3
same current-succeeded "$(sql "SELECT state FROM current_transitions t JOIN databases d ON d.id = t.database_id WHERE d.resource_key = lower('$S/b') AND from_objective IS NOT NULL")" Succeeded
# the older InProgress file again: older news, nothing added
run stale-again 0 tl import - <"$work/order.csv"
err_has stale-again "0 transitions recorded (0 new database lineages), 2 already recorded"

# --- re-created database (L7): a second creation row is a new lineage ---
printf '%s\n%s/b,2026-06-01T00:00:00Z,,Succeeded,,GP_Gen5_8\n%s/b,2026-06-10T00:00:00Z,2026-06-10T00:10:00Z,Succeeded,GP_Gen5_8,GP_Gen5_4\n' "$H" "$S" "$S" >"$work/recreated.csv"
run recreated 0 tl import "$work/recreated.csv"
err_has recreated "2 transitions recorded (1 new database lineages)"
same two-lineages "$(sql "SELECT count(*) FROM databases WHERE resource_key = lower('$S/b')")" 2

# --- dry run writes nothing ---
printf '%s\n%s/c,2026-01-01T00:00:00Z,,Succeeded,,S0\n' "$H" "$S" >"$work/dry.csv"
dump >"$work/before.sql"
run dry-run 0 tl import --dry-run "$work/dry.csv"
err_has dry-run "1 would be recorded"
dump >"$work/after.sql"
if cmp -s "$work/before.sql" "$work/after.sql"; then ok; else bad "dry-run changed the database"; fi

# --- facts ---
run facts 0 tl import-facts "$data/fleet-facts.csv"
err_has facts "12 rows: 12 recorded, 0 already recorded"
run facts-again 0 tl import-facts "$data/fleet-facts.csv"
err_has facts-again "0 recorded, 12 already recorded"
printf 'resource_id,observed_at,retention_days\n%s/b,2026-11-01T00:00:00Z,7\n%s/b,2026-11-02T00:00:00Z,36\n' "$S" "$S" >"$work/facts-bad.csv"
dump >"$work/before.sql"
run facts-bad 65 tl import-facts "$work/facts-bad.csv"
err_has facts-bad "facts-bad.csv:3: retention_days '36' is not between 1 and 35"
dump >"$work/after.sql"
if cmp -s "$work/before.sql" "$work/after.sql"; then ok; else bad "facts-bad changed the database"; fi
printf 'resource_id,observed_at\n%s/nope,2026-11-01T00:00:00Z\n' "$S" >"$work/facts-unknown.csv"
run facts-unknown 65 tl import-facts "$work/facts-unknown.csv"
err_has facts-unknown "facts-unknown.csv:2: no lineage of"
printf 'resource_id,observed_at,elastic_pool_id\n%s/b,2026-11-01T00:00:00Z,pool\377\n' "$S" >"$work/facts-utf8.csv"
printf 'resource_id,observed_at,retention_days\n%s/b,0000-01-01T00:00:00Z,7\n' "$S" >"$work/facts-year.csv"
U=resource_id,day,full_bytes,diff_bytes,log_bytes,snapshot_bytes,allocated_bytes,max_size_bytes,redundancy,region,elastic_pool_id,tags
printf '%s\n%s/b,0000-01-01,1,1,1,,,,Geo,westeurope,,\n' "$U" "$S" >"$work/usage-year.csv"
printf '%s\n%s/b,2026-11-01,1,1,1,,,,Geo,west\377,,\n' "$U" "$S" >"$work/usage-utf8.csv"
dump >"$work/before.sql"
run facts-utf8 65 tl import-facts "$work/facts-utf8.csv"
err_has facts-utf8 "facts-utf8.csv:2: a field is not valid UTF-8"
run facts-year 65 tl import-facts "$work/facts-year.csv"
err_has facts-year "facts-year.csv:2: observed_at '0000-01-01T00:00:00Z' is not an RFC 3339 time from 1970 to 9999"
run usage-year 65 tl import-usage "$work/usage-year.csv"
err_has usage-year "usage-year.csv:2: day '0000-01-01' is not a date (YYYY-MM-DD, 1970 to 9999)"
run usage-utf8 65 tl import-usage "$work/usage-utf8.csv"
err_has usage-utf8 "usage-utf8.csv:2: a field is not valid UTF-8"
# a good SQL Database day beside a Managed Instance day whose database was never
# imported: the file is refused whole, naming the MI line
M=/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi/databases/x
printf '%s
%s/b,2026-11-01,1,1,1,,,,Geo,westeurope,,
%s,2026-11-01,1,1,1,,,,Geo,westeurope,,
' "$U" "$S" "$M" >"$work/usage-mixed.csv"
run usage-mixed 65 tl import-usage "$work/usage-mixed.csv"
err_has usage-mixed "usage-mixed.csv:3: Managed Instance database $M did not exist on 2026-11-01"
dump >"$work/after.sql"
if cmp -s "$work/before.sql" "$work/after.sql"; then ok; else bad "bad bytes or years changed the database"; fi
# a resource group with a letter beyond ASCII, in two cases: one lineage
# (the imports key ASCII ids in the client, the server lowers the others, as
# it does databases.resource_key; before, an upper-case Ü failed with 70)
N=/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/Rg-Über/providers/Microsoft.Sql/servers/srv-u/databases/du
printf '%s\n%s,2026-01-01T00:00:00Z,,Succeeded,,GP_Gen5_2\n%s,2026-02-01T00:00:00Z,2026-02-01T01:00:00Z,Succeeded,GP_Gen5_2,GP_Gen5_4\n' \
    "$H" "$N" "$(printf '%s' "$N" | sed 's/Rg-Über/rg-über/')" >"$work/unicode.csv"
run unicode-import 0 tl import "$work/unicode.csv"
err_has unicode-import "2 transitions recorded (1 new database lineages)"
run unicode-import-again 0 tl import "$work/unicode.csv"
err_has unicode-import-again "0 transitions recorded (0 new database lineages), 2 already recorded"
printf '%s\n%s,2026-11-01,1,1,1,,,,Geo,westeurope,,\n%s/b,2026-11-01,2,2,2,,,,Geo,westeurope,,\n' \
    "$U" "$(printf '%s' "$N" | tr 'a-z' 'A-Z' | sed "s/ü/Ü/")" "$S" >"$work/usage-unicode.csv"
run usage-unicode 0 tl import-usage "$work/usage-unicode.csv"
err_has usage-unicode "2 rows: 2 days recorded"
same usage-unicode-lineage "$(sql "SELECT u.full_bytes FROM backup_usage u JOIN databases d ON d.id = u.database_id WHERE d.server_name = 'srv-u' AND u.day = '2026-11-01'")" 1
# a file none of whose days is recorded (a day's file) is inserted without
# the merge with what is: a day given twice counts by its last line there
# too, and the next import of the file finds every day recorded
printf '%s\n%s/b,2026-11-02,5,5,5,,,,Geo,westeurope,,\n%s/b,2026-11-03,6,6,6,,,,Geo,westeurope,,\n%s/b,2026-11-02,7,7,7,,,,Geo,westeurope,,\n' \
    "$U" "$S" "$S" "$S" >"$work/usage-new.csv"
new_days="SELECT string_agg(u.day || ':' || u.full_bytes, ',' ORDER BY u.day) FROM backup_usage u
            JOIN databases d ON d.id = u.database_id WHERE d.resource_key = lower('$S/b')"
run usage-new-twice 0 tl import-usage "$work/usage-new.csv"
err_has usage-new-twice "3 rows: 2 days recorded, 0 replaced, 1 already recorded"
same usage-new-twice-last "$(sql "$new_days")" "2026-11-01:2,2026-11-02:7,2026-11-03:6"
run usage-new-again 0 tl import-usage "$work/usage-new.csv"
err_has usage-new-again "3 rows: 0 days recorded, 0 replaced, 3 already recorded"
sed -i 's/,7,7,7,/,8,8,8,/' "$work/usage-new.csv"
run usage-new-changed 0 tl import-usage "$work/usage-new.csv"
err_has usage-new-changed "3 rows: 0 days recorded, 1 replaced, 2 already recorded"
same usage-new-changed-last "$(sql "$new_days")" "2026-11-01:2,2026-11-02:8,2026-11-03:6"

# --- a file whose rows are recorded as they are is left out of the merge;
# a row that differs in any field goes to it (store_import_staged). Each
# variant of one recorded row is imported in the whole file (its resources
# compared with every recorded version) and alone (with its resource's only,
# the form for a file much smaller than the store); each must reach the
# merge, which refuses it.
row=$(grep -F ',op-sales-1,' "$data/fleet.csv")
variant() { # NAME SED EXPECTED_TEXT: the two files' imports exit 65, store unchanged
    local name=$1 new
    new=$(printf '%s' "$row" | sed "$2")
    [ "$new" != "$row" ] || bad "$name: the variant changes nothing"
    awk -v r="$row" -v n="$new" '$0 == r { print n; next } { print }' "$data/fleet.csv" >"$work/$name-all.csv"
    printf '%s\n%s\n' "$(grep '^resource_id,' "$data/fleet.csv")" "$new" >"$work/$name-one.csv"
    dump >"$work/before.sql"
    run "$name-all" 65 tl import "$work/$name-all.csv"
    err_has "$name-all" "$work/$name-all.csv:$(grep -n -F -- "$new" "$work/$name-all.csv" | cut -d: -f1): $3"
    run "$name-one" 65 tl import "$work/$name-one.csv"
    err_has "$name-one" "$work/$name-one.csv:2: $3"
    dump >"$work/after.sql"
    if cmp -s "$work/before.sql" "$work/after.sql"; then ok; else bad "$name: database changed"; fi
}
recorded_as="the transition started 2025-03-09T20:00:00Z is recorded as Succeeded; this row says"
recorded_as=${recorded_as% Succeeded; this row says}
variant exact-ended 's/2025-03-10T00:00:00Z/2025-03-10T00:30:00Z/' \
    "$recorded_as Succeeded, ended 2025-03-10T00:00:00Z; this row says it ended 2025-03-10T00:30:00Z"
variant exact-operation 's/,op-sales-1,/,op-sales-9,/' \
    "$recorded_as Succeeded, operation op-sales-1; this row says op-sales-9"
variant exact-initiator 's/dba@contoso.com$/eve@contoso.com/' \
    "$recorded_as Succeeded, initiated by dba@contoso.com; this row says eve@contoso.com"
recorded_as="$recorded_as Succeeded; this row says"
variant exact-state 's/,Succeeded,/,Failed,/' "$recorded_as Failed"
variant exact-from 's/,GP_Gen5_4,HS_Gen5_4,/,GP_Gen5_2,HS_Gen5_4,/' \
    "from_objective 'GP_Gen5_2' is not the objective in effect at 2025-03-09T20:00:00Z ('GP_Gen5_4')"
variant exact-to 's/,GP_Gen5_4,HS_Gen5_4,/,GP_Gen5_4,HS_Gen5_8,/' \
    "with this file the recorded transition of ${row%%,*} at 2025-03-19T22:00:00Z is inconsistent: from_objective 'HS_Gen5_4' is not the objective in effect at 2025-03-19T22:00:00Z ('HS_Gen5_8')"
variant exact-started 's/,2025-03-09T20:00:00Z,/,2025-02-09T20:00:00Z,/' \
    "transition at 2025-02-09T20:00:00Z comes before the creation row"
variant exact-resource 's|/databases/salesdb,|/databases/salesdb2,|' \
    "transition at 2025-03-09T20:00:00Z comes before the creation row"
# rows recorded as they are but written differently: the merge decides
# they add nothing (an objective's case, an operation id left out)
for v in 's/,HS_Gen5_4,/,hs_gen5_4,/' 's/,op-sales-1,/,,/'; do
    new=$(printf '%s' "$row" | sed "$v")
    awk -v r="$row" -v n="$new" '$0 == r { print n; next } { print }' "$data/fleet.csv" >"$work/form.csv"
    run exact-form 0 tl import "$work/form.csv"
    err_has exact-form "34 rows: 0 transitions recorded (0 new database lineages), 34 already recorded"
done
# one resource with a new row, the others recorded as they are: only it is
# merged, and every other row counts as recorded
printf '%s,op-sales-6,2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,Succeeded,GP_Gen5_4,GP_Gen5_8,dba@contoso.com\n' \
    "${row%%,*}" | cat "$data/fleet.csv" - >"$work/one-more.csv"
run exact-one-more 0 tl import "$work/one-more.csv"
err_has exact-one-more "35 rows: 1 transitions recorded (0 new database lineages), 34 already recorded"
same exact-one-more-stored "$(sql "SELECT count(*) FROM transitions WHERE operation_id = 'op-sales-6'")" 1
run exact-one-more-again 0 tl import "$work/one-more.csv"
err_has exact-one-more-again "35 rows: 0 transitions recorded (0 new database lineages), 35 already recorded"

finish
