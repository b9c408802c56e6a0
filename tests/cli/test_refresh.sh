#!/usr/bin/env bash
# test_refresh.sh - refresh is incremental (the issue "Fleet scale", item 3):
# a refresh after no change computes and writes nothing; after a change to
# one lineage's usage, transitions or facts it recomputes that lineage only
# (and the other members of its elastic pool), giving what a full refresh
# gives; a new billing window, other --months, an earlier --as-of or --full
# recompute everything; a failed refresh keeps the changes it took; the
# connection lost in the middle of a refresh or of the warnings (read a page
# ahead on a second thread) ends it with exit 69 and the store as it was.
. "$(dirname "$0")/lib.sh"
export PGTZ=UTC
A=2026-11-20T12:00:00Z
S=/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-prod/providers/Microsoft.Sql/servers
pool=$S/sql-prod-weu/elasticPools/pool-weu

# fleet-usage.csv with orders and salesdb in one elastic pool
python3 - "$data/fleet-usage.csv" "$pool" >"$work/usage.csv" <<'PY'
import csv, sys
r = csv.reader(open(sys.argv[1], newline=""))
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(next(r))
for row in r:
    if row[0].endswith(("/databases/orders", "/databases/salesdb")):
        row = row[:7] + ["2199023255552"] + row[8:10] + [sys.argv[2]] + row[11:]
    w.writerow(row)
PY
# the stored results without computed_at, and who was computed at an as-of
rows="SELECT string_agg(r, ';' ORDER BY r) FROM (
        SELECT concat_ws(' ', 's', database_id, seq, architecture, start_at, end_at, lost_at, lost_rule, retention_days) AS r FROM lineage_segments
        UNION ALL SELECT concat_ws(' ', 'b', database_id, month, seq, backup_kind, billable_gb_month, consumed_gb_month, partial_month) FROM billing_monthly) x"
written="SELECT string_agg(x, ',' ORDER BY x) FROM (SELECT xmin::text AS x FROM lineage_segments UNION ALL SELECT xmin::text FROM billing_monthly) t"
computed_at() { # AS-OF: the databases with results computed at that as-of
    sql "SELECT coalesce(string_agg(DISTINCT d.database_name, ',' ORDER BY d.database_name), '-')
           FROM (SELECT database_id FROM lineage_segments WHERE computed_at = '$1'
                 UNION ALL SELECT database_id FROM billing_monthly WHERE computed_at = '$1') r
           JOIN databases d ON d.id = r.database_id"
}
changes() { sql "SELECT count(*) FROM lineage_changes"; }

run init 0 tl init
run import 0 tl import "$data/fleet.csv"
run facts 0 tl import-facts "$data/fleet-facts.csv"
run usage 0 tl import-usage "$work/usage.csv"
same changes-recorded "$(($(changes) > 0))" 1
same changes-of-lineages "$(sql 'SELECT count(DISTINCT database_id) FROM lineage_changes')" 14

run first 0 tl refresh --as-of $A --months 2
err_has first "14 lineages: 27 segments"
err_has first "every lineage (the first refresh)"
same first-takes-changes "$(changes)" 0
same state "$(sql "SELECT as_of, months, first_month, full_as_of, lineages FROM refresh_state")" \
    "2026-11-20 12:00:00+00|2|2026-10-01|2026-11-20 12:00:00+00|14"
before_rows=$(sql "$rows")
# the same results whatever the pages: of 5 lineages (3 read on one
# connection, 2 on the other), of one (on one), of all (one page)
for page in 10 2 2000; do
    run "first-pages-$page" 0 env TIERLEDGER_FLEET_PAGE=$page "$TIERLEDGER" refresh --as-of $A --months 2 --full
    same "first-pages-$page-rows" "$(sql "$rows")" "$before_rows"
done
before_written=$(sql "$written")

# nothing changed: nothing computed, nothing written, later or at the same as-of
run no-change 0 tl refresh --as-of 2026-11-20T13:00:00Z --months 2
err_has no-change "0 lineages: 0 segments, 0 monthly billing rows (2 months); only those changed since the refresh as of 2026-11-20T12:00:00Z"
same no-change-writes-nothing "$(sql "$written")" "$before_written"
same no-change-state "$(sql "SELECT as_of, full_as_of, lineages FROM refresh_state")" \
    "2026-11-20 13:00:00+00|2026-11-20 12:00:00+00|0"
# a re-import adds nothing, so it changes nothing
run reimport 0 tl import-usage "$work/usage.csv"
run reimport-facts 0 tl import-facts "$data/fleet-facts.csv"
run reimport-fleet 0 tl import "$data/fleet.csv"
same reimport-no-changes "$(changes)" 0
# a rejected file records no change either
{ head -1 "$data/fleet-usage.csv"; grep '/databases/crm,' "$data/fleet-usage.csv" | head -1 | sed 's/,2026-\([0-9-]*\),[0-9]*,/,2026-\1,-5,/'; } >"$work/bad.csv"
run bad-usage 65 tl import-usage "$work/bad.csv"
same bad-no-changes "$(changes)" 0
run no-change-again 0 tl refresh --as-of 2026-11-20T13:00:00Z --months 2
err_has no-change-again "0 lineages"
same results-kept "$(sql "$rows")" "$before_rows"

# one database's usage changes: it alone is recomputed, as a full refresh would
{ head -1 "$data/fleet-usage.csv"; grep '/databases/crm,2026-10-05,' "$data/fleet-usage.csv" |
      awk -F, -v OFS=, '{ $3 = sprintf("%.0f", $3 * 2); print }'; } >"$work/crm.csv"
run usage-crm 0 tl import-usage "$work/crm.csv"
same usage-crm-change "$(sql 'SELECT DISTINCT d.database_name FROM lineage_changes c JOIN databases d ON d.id = c.database_id')" crm
T1=2026-11-20T14:00:00Z
run refresh-crm 0 tl refresh --as-of $T1 --months 2
err_has refresh-crm "tierledger refresh: 1 lineages:"
same refresh-crm-only "$(computed_at "$T1")" crm
same refresh-crm-moved "$([ "$(sql "$rows")" != "$before_rows" ] && echo yes)" yes

# its transitions change: a new scale of inventory
{ echo "resource_id,operation_id,started_at,ended_at,state,from_objective,to_objective,initiated_by"
  echo "$S/sql-prod-weu/databases/inventory,op-inv-2,2026-11-10T01:00:00Z,2026-11-10T01:30:00Z,Succeeded,GP_Gen5_4,GP_Gen5_8,dba@contoso.com"; } >"$work/inv.csv"
run import-inventory 0 tl import "$work/inv.csv"
T2=2026-11-20T15:00:00Z
run refresh-inventory 0 tl refresh --as-of $T2 --months 2
err_has refresh-inventory "tierledger refresh: 1 lineages:"
same refresh-inventory-only "$(computed_at "$T2")" inventory
same inventory-objectives "$(sql "SELECT array_to_string(objectives, ',') FROM lineage_segments s JOIN databases d ON d.id = s.database_id WHERE d.database_name = 'inventory' ORDER BY seq DESC LIMIT 1")" \
    "GP_Gen5_4,GP_Gen5_8"

# its facts change: scratch's retention becomes known
{ echo "resource_id,observed_at,retention_days,in_elastic_pool,geo_replication,named_replicas,allocated_bytes,max_size_bytes"
  echo "$S/sql-prod-neu/databases/scratch,2026-11-19T06:00:00Z,14,false,false,0,,"; } >"$work/scratch.csv"
run facts-scratch 0 tl import-facts "$work/scratch.csv"
T3=2026-11-20T16:00:00Z
run refresh-scratch 0 tl refresh --as-of $T3 --months 2
err_has refresh-scratch "tierledger refresh: 1 lineages:"
same refresh-scratch-only "$(computed_at "$T3")" scratch
same scratch-retention "$(sql "SELECT DISTINCT retention_days || ' ' || retention_assumed FROM lineage_segments s JOIN databases d ON d.id = s.database_id WHERE d.database_name = 'scratch'")" "14 false"

# a pooled database changes: the pool's other member is recomputed with it (B1)
{ head -1 "$work/usage.csv"; grep '/databases/orders,2026-10-0[1-5],' "$work/usage.csv" |
      awk -F, -v OFS=, '{ $3 = sprintf("%.0f", $3 + 1073741824); print }'; } >"$work/orders-more.csv"
run usage-orders 0 tl import-usage "$work/orders-more.csv"
T4=2026-11-20T17:00:00Z
run refresh-pool 0 tl refresh --as-of $T4 --months 2
err_has refresh-pool "tierledger refresh: 2 lineages:"
same refresh-pool-members "$(computed_at "$T4")" "orders,salesdb"

# a new lineage: it alone
{ echo "resource_id,operation_id,started_at,ended_at,state,from_objective,to_objective,initiated_by"
  echo "$S/sql-prod-weu/databases/newcomer,,2026-11-02T00:00:00Z,,Succeeded,,GP_Gen5_2,terraform"; } >"$work/new.csv"
run import-new 0 tl import "$work/new.csv"
T5=2026-11-20T18:00:00Z
run refresh-new 0 tl refresh --as-of $T5 --months 2
err_has refresh-new "tierledger refresh: 1 lineages:"
same refresh-new-only "$(computed_at "$T5")" newcomer

# after changes of every kind, an incremental refresh stores what a full one
# stores, at the same as-of, row for row
run full 0 tl refresh --as-of $T5 --months 2 --full
err_has full "15 lineages:"
err_has full "every lineage (--full)"
same full-state "$(sql "SELECT full_as_of, lineages FROM refresh_state")" "2026-11-20 18:00:00+00|15"
full_rows=$(sql "$rows")
{ head -1 "$data/fleet-usage.csv"; grep '/databases/crm,2026-11-0[1-3],' "$data/fleet-usage.csv" |
      awk -F, -v OFS=, '{ $4 = sprintf("%.0f", $4 * 3); print }'
  grep '/databases/orders,2026-11-0[1-3],' "$work/usage.csv" |
      awk -F, -v OFS=, '{ $5 = sprintf("%.0f", $5 + 5368709120); print }'; } >"$work/more.csv"
run usage-more 0 tl import-usage "$work/more.csv"
{ echo "resource_id,operation_id,started_at,ended_at,state,from_objective,to_objective,initiated_by"
  echo "$S/sql-prod-weu/databases/inventory,op-inv-3,2026-11-15T01:00:00Z,2026-11-15T02:00:00Z,Succeeded,GP_Gen5_8,HS_Gen5_8,dba@contoso.com"
  echo "$S/sql-prod-weu/databases/newcomer,op-new-1,2026-11-12T01:00:00Z,2026-11-12T02:00:00Z,Succeeded,GP_Gen5_2,GP_Gen5_4,dba@contoso.com"; } >"$work/more-tr.csv"
run import-more 0 tl import "$work/more-tr.csv"
{ echo "resource_id,observed_at,retention_days,in_elastic_pool,geo_replication,named_replicas,allocated_bytes,max_size_bytes"
  echo "$S/sql-prod-neu/databases/scratch,2026-11-19T07:00:00Z,21,false,false,0,,"; } >"$work/scratch2.csv"
run facts-more 0 tl import-facts "$work/scratch2.csv"
run incremental 0 tl refresh --as-of $T5 --months 2
err_has incremental "tierledger refresh: 6 lineages:"
incremental=$(sql "$rows")
same incremental-moved "$([ "$incremental" != "$full_rows" ] && echo yes)" yes
run full-after 0 tl refresh --as-of $T5 --months 2 --full
same incremental-equals-full "$incremental" "$(sql "$rows")"

# another billing window recomputes everything
run new-month 0 tl refresh --as-of 2026-12-02T00:00:00Z --months 2
err_has new-month "every lineage (a new billing window (a month began))"
run other-months 0 tl refresh --as-of 2026-12-02T00:00:00Z --months 3
err_has other-months "every lineage (--months differs from the last refresh's)"
run earlier 0 tl refresh --as-of 2026-12-01T00:00:00Z --months 3
err_has earlier "every lineage (the as-of is before the last refresh's)"
run same-again 0 tl refresh --as-of 2026-12-01T00:00:00Z --months 3
err_has same-again "0 lineages"

# a failed refresh keeps the changes it took: they are there for the next
{ head -1 "$data/fleet-usage.csv"; grep '/databases/crm,2026-10-06,' "$data/fleet-usage.csv" |
      awk -F, -v OFS=, '{ $3 = sprintf("%.0f", $3 * 3); print }'; } >"$work/crm3.csv"
run usage-crm3 0 tl import-usage "$work/crm3.csv"
pending=$(changes)
same pending "$((pending > 0))" 1
crm=$(sql "SELECT id FROM databases WHERE database_name = 'crm'")
sql "ALTER TABLE billing_monthly ADD CONSTRAINT test_refuse CHECK (database_id <> $crm) NOT VALID"
run refresh-fails 70 tl refresh --as-of 2026-12-01T01:00:00Z --months 3
err_has refresh-fails "test_refuse"
same failed-keeps-changes "$(changes)" "$pending"
same failed-keeps-state "$(sql "SELECT as_of FROM refresh_state")" "2026-12-01 00:00:00+00"
sql "ALTER TABLE billing_monthly DROP CONSTRAINT test_refuse"
run refresh-after 0 tl refresh --as-of 2026-12-01T01:00:00Z --months 3
err_has refresh-after "tierledger refresh: 1 lineages:"
same refresh-after-crm "$(computed_at 2026-12-01T01:00:00Z)" crm

# the connection lost in the middle of a run, whichever of its two threads
# (the page read ahead, sql/store/fleet.h) is using it then, and whichever of
# its connections (the first, the last of the two the reader opens on its
# snapshot, or all three): exit 69, one line, the store as it was; the next
# run completes
lost=tl_refresh_lost
"$PG_BINDIR/dropdb" --if-exists "$lost" >/dev/null 2>&1
"$PG_BINDIR/createdb" "$lost"
"$here/../../bench/gen-fleet.sh" 1500 3 >"$work/lost.csv"
run lost-init 0 env PGDATABASE=$lost "$TIERLEDGER" init
run lost-import 0 env PGDATABASE=$lost "$TIERLEDGER" import "$work/lost.csv"
lost_state="SELECT (SELECT count(*) FROM lineage_segments) || ' ' || (SELECT count(*) FROM lineage_changes)"
before=$(PGDATABASE=$lost sql "$lost_state")
for cmd in "refresh --as-of 2020-01-20T00:00:00Z --months 1" "report warnings --as-of 2020-01-20T00:00:00Z"; do
    for which in all first last; do
        name="lost: ${cmd%% --*}, $which"
        case $which in
        all) order=backend_start limit=3 ;;
        first) order=backend_start limit=1 ;;
        last) order="backend_start DESC" limit=1 ;;
        esac
        # shellcheck disable=SC2086
        TIERLEDGER_FLEET_PAGE=2 PGDATABASE=$lost "$TIERLEDGER" $cmd >"$work/out" 2>"$work/err" &
        victim=$!
        # once it has read pages for a while (a page is one lineage here) on
        # its three connections
        killed=0
        for _ in $(seq 300); do
            killed=$(PGDATABASE=$lost sql "SELECT count(pg_terminate_backend(pid)) FROM (
                       SELECT pid FROM pg_stat_activity WHERE datname = '$lost' AND pid <> pg_backend_pid()
                          AND (SELECT count(*) FROM pg_stat_activity WHERE datname = '$lost'
                                  AND pid <> pg_backend_pid() AND xact_start < now() - interval '0.3 s') = 3
                        ORDER BY $order LIMIT $limit) k")
            [ "$killed" != 0 ] && break
            sleep 0.02
        done
        wait "$victim"
        rc=$?
        same "$name: the backends were terminated while it ran" "$killed" "$limit"
        same "$name: exit" "$rc" 69
        same "$name: one line on stderr: $(head -c 300 "$work/err")" "$(wc -l <"$work/err")" 1
        err_has "$name" "postgresql: "
        if grep -q -E 'Sanitizer|runtime error' "$work/err"; then bad "$name: sanitizer report"; else ok; fi
        same "$name: the store as it was" "$(PGDATABASE=$lost sql "$lost_state")" "$before"
    done
done
run lost-refresh-again 0 env PGDATABASE=$lost "$TIERLEDGER" refresh --as-of 2020-01-20T00:00:00Z --months 1
err_has lost-refresh-again "tierledger refresh: 1500 lineages"
"$PG_BINDIR/dropdb" "$lost"

# the reader can neither record nor take changes
run reader-insert 1 psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE tierledger_reader" -c "INSERT INTO lineage_changes (database_id) VALUES (1)"
run reader-delete 1 psql -X -q -v ON_ERROR_STOP=1 -c "SET ROLE tierledger_reader" -c "DELETE FROM lineage_changes"
finish
