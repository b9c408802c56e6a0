#!/usr/bin/env bash
# test_lineage.sh - `lineage` on the sample fleet: the docs' worked example
# exactly (golden text and JSON), as-of evaluation, identities (any case,
# SERVER/DB, re-created databases), and argument errors.
. "$(dirname "$0")/lib.sh"
SALES=/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-prod/providers/Microsoft.Sql/servers/sql-prod-weu/databases/salesdb

run init 0 tl init
run import 0 tl import "$data/fleet.csv"
run facts 0 tl import-facts "$data/fleet-facts.csv"

# domain.md section 6: only backups from steps 5 and 6 (S4, S5)
run worked-text 0 tl lineage sql-prod-weu/salesdb --as-of 2025-04-12T00:00:00Z
golden worked-text salesdb-lineage.txt
run worked-json 0 tl lineage sql-prod-weu/salesdb --as-of 2025-04-12 --format json
golden worked-json salesdb-lineage.json
for want in '"status": "lost",' '"lost_at": "2025-03-19T22:00:00Z",' '"lost_at": "2025-04-01T00:00:00Z",' \
            '"lost_at": "2025-04-10T00:00:00Z",' '"status": "restorable",' '"status": "current",'; do
    out_has worked-json-fields "$want"
done
# the resource id in another case gives the same lineage
upper=$(printf '%s' "$SALES" | tr '[:lower:]' '[:upper:]')
run any-case 0 tl lineage "$upper" --as-of 2025-04-12 --format json
golden any-case salesdb-lineage.json

# mid-operation (L11): a reverse migration running at as-of has already lost S1
run in-progress 0 tl lineage sql-prod-neu/payments --as-of 2026-11-20T12:00:00Z --format json
golden in-progress payments-lineage.json
out_has in-progress '"in_progress": "reverse_migration"'
out_has in-progress '"lost_at": "2026-11-20T10:00:00Z"'

# cancelled reverse migration: lost anyway (L3)
run cancelled 0 tl lineage sql-prod-weu/crm --as-of 2026-11-20T12:00:00Z
golden cancelled crm-lineage.txt
out_has cancelled "(final state: Cancelled)"

# re-created database (L7): the newest lineage unless asked
run recreated-newest 0 tl lineage sql-prod-neu/customers --as-of 2026-11-20T12:00:00Z
out_has recreated-newest "created 2026-09-01T12:00:00Z"
out_has recreated-newest "This resource id has 2 lineages"
run recreated-older 0 tl lineage sql-prod-neu/customers --as-of 2026-11-20T12:00:00Z --created 2026-01-01 --format json
out_has recreated-older '"created_at": "2026-01-01T00:00:00Z"'
out_has recreated-older '"lineages": 2'
# L11 (round two): at an instant before the re-creation, the lineage meant is
# the one that existed then; before any existed, an error naming them all
run recreated-as-of-older 0 tl lineage sql-prod-neu/customers --as-of 2026-06-01 --format json
out_has recreated-as-of-older '"created_at": "2026-01-01T00:00:00Z"'
# the older lineage was Hyperscale then (converted 2026-02-01): a reverse migration, window closed
run recreated-check-as-of-older 2 tl check sql-prod-neu/customers --to GP_Gen5_4 --as-of 2026-06-01 --format json
out_has recreated-check-as-of-older '"code": "reverse_window_expired"'
run recreated-before-any 65 tl lineage sql-prod-neu/customers --as-of 2025-06-01
err_has recreated-before-any "did not exist at 2025-06-01T00:00:00Z: its lineages were created 2026-01-01T00:00:00Z, 2026-09-01T12:00:00Z"
run recreated-none 65 tl lineage sql-prod-neu/customers --created 2025-01-01
err_has recreated-none "has no lineage created at 2025-01-01T00:00:00Z"

# unknown retention is said, not hidden (L9)
run assumed-retention 0 tl lineage sql-prod-neu/scratch --as-of 2026-11-20 --format json
out_has assumed-retention '"retention_assumed": true'
out_has assumed-retention '"retention_days": 7'

# identity errors
printf 'resource_id,started_at,ended_at,state,from_objective,to_objective\n%s,2026-01-01T00:00:00Z,,Succeeded,,S0\n' \
    /subscriptions/other/resourceGroups/rg/providers/Microsoft.Sql/servers/sql-prod-weu/databases/salesdb >"$work/twin.csv"
run twin 0 tl import "$work/twin.csv"
run ambiguous 65 tl lineage sql-prod-weu/salesdb
err_has ambiguous "is ambiguous"
run full-id-still-fine 0 tl lineage "$SALES" --as-of 2025-04-12 --format json
golden full-id-still-fine salesdb-lineage.json
run not-found 65 tl lineage nosuch/db
err_has not-found "no database 'nosuch/db' is recorded"
run not-an-id 64 tl lineage /subscriptions/x/resourceGroups/y
run before-creation 65 tl lineage "$SALES" --as-of 2025-02-01
err_has before-creation "did not exist at 2025-02-01T00:00:00Z"
run bad-as-of 64 tl lineage "$SALES" --as-of yesterday
err_has bad-as-of "--as-of: 'yesterday' is not an RFC 3339 time"
run bad-format 64 tl lineage "$SALES" --format xml
run no-args 64 tl lineage
run unknown-command 64 tl lineages
for cmd in init import import-facts lineage check; do
    run "help-$cmd" 0 tl "$cmd" --help
    out_has "help-$cmd" "usage: tierledger $cmd"
done
# L3 round two: a reverse migration that ended Failed may never have started
# (prerequisite checks fail before the start): the loss counts, marked assumed
F=/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-t/providers/Microsoft.Sql/servers/srv-f/databases/failedrm
printf '%s\n' "resource_id,started_at,ended_at,state,from_objective,to_objective" \
    "$F,2026-02-01T00:00:00Z,,Succeeded,,GP_Gen5_4" \
    "$F,2026-02-10T00:00:00Z,2026-02-10T05:00:00Z,Succeeded,GP_Gen5_4,HS_Gen5_4" \
    "$F,2026-02-15T09:00:00Z,2026-02-15T09:01:00Z,Failed,HS_Gen5_4,GP_Gen5_4" >"$work/failed.csv"
run failed-rm-import 0 tl import "$work/failed.csv"
run failed-rm-json 0 tl lineage srv-f/failedrm --as-of 2026-02-16 --format json
same failed-rm-assumed "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["segments"]; print([(x["status"], x["loss_assumed"]) for x in s])' "$work/out")" "[('lost', True), ('current', False)]"
run failed-rm-text 0 tl lineage srv-f/failedrm --as-of 2026-02-16
out_has failed-rm-text "The loss is assumed"
run failed-rm-running 0 tl lineage srv-f/failedrm --as-of 2026-02-15T09:00:30Z --format json
same failed-rm-while-running "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["segments"][0]["loss_assumed"])' "$work/out")" False
# ...and refresh stores it for the audit view
run failed-rm-refresh 0 tl refresh --as-of 2026-02-16
same failed-rm-view "$(sql "SELECT segment, cause_rule, cause_state, loss_assumed FROM backup_loss_events WHERE database_name = 'failedrm'" | tr '|' ' ')" "1 L3 Failed t"
same failed-rm-view-others "$(sql "SELECT count(*) FROM backup_loss_events WHERE loss_assumed AND database_name <> 'failedrm'")" 0

run help 0 tl --help
out_has help "check"

finish
