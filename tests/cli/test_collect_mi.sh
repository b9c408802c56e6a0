#!/usr/bin/env bash
# test_collect_mi.sh - `tierledger collect` for Azure SQL Managed Instance:
# the real binary over real HTTP (tests/fakeazure/fakeazure.py, scenario
# "mi": the official MI examples plus a scripted LRS migration, a tier change,
# a dropped database whose retention goes to 0 and a deleted instance) into
# the real PostgreSQL. Every poll runs twice: each event is recorded once, at
# the instant Azure gives or bounded by the polls, and never again.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { bad "python3 is needed for the fake Azure"; finish; exit 1; }
tl init >/dev/null 2>&1 || bad "init"
collect() { # collect EXPECTED_EXIT NAME [args]
    local want=$1 name=$2; shift 2
    run "$name" "$want" tl collect "$@"
}
q() { sql "$1" | tr '|' ' '; }
SUB=00000000-1111-2222-3333-444444444444
MI_A=/subscriptions/$SUB/resourceGroups/Test1/providers/Microsoft.Sql/managedInstances/testinstance1
MI_B=/subscriptions/$SUB/resourceGroups/Test1/providers/Microsoft.Sql/managedInstances/testinstance2
SALES=$MI_A/databases/salesdb
HR_B=$MI_B/databases/hr HR_A=$MI_A/databases/hr
# an event as recorded: name, instant, its lower bound, and what it carries
events_of() { # events_of RESOURCE_ID
    q "SELECT event, to_char(at AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'),
              coalesce(to_char(not_before AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'), '-'),
              coalesce(origin, '-'), coalesce(retention_days::text, '-'),
              coalesce(to_char(earliest_restore_point AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'), '-'),
              coalesce(tier, '-'), source
         FROM mi_events WHERE resource_key = lower('$1') AND event NOT LIKE 'ltr_%'
        ORDER BY at, id"
}
backups_of() { # backups_of RESOURCE_ID: its LTR backup events (MI-A11)
    q "SELECT event, to_char(at AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'),
              coalesce(to_char(not_before AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'), '-'),
              coalesce(redundancy, '-'), split_part(detail, ';', 2)
         FROM mi_events WHERE resource_key = lower('$1') AND event LIKE 'ltr_backup%' ORDER BY at, id"
}
ltr_of() { # ltr_of RESOURCE_ID: its LTR policy events (MI-A10)
    q "SELECT to_char(at AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'),
              coalesce(to_char(not_before AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'), '-'),
              concat_ws('/', ltr_weekly, ltr_monthly, ltr_yearly), coalesce(ltr_week_of_year::text, '-'),
              coalesce(detail, '-')
         FROM mi_events WHERE resource_key = lower('$1') AND event = 'ltr_policy_changed' ORDER BY at, id"
}

fake_start mi
polls=(2026-10-01T10:00:00Z 2026-10-01T11:00:00Z 2026-10-27T10:00:00Z 2026-10-28T10:00:00Z
       2026-10-28T12:00:00Z 2026-10-29T12:00:00Z 2026-10-30T12:00:00Z 2026-10-30T13:00:00Z)
for i in "${!polls[@]}"; do
    fake_step "$i"
    collect 0 "poll $i" --observed-at "${polls[$i]}"
    n=$(sql "SELECT count(*) FROM mi_events")
    collect 0 "poll $i again" --observed-at "${polls[$i]}"
    out_has "poll $i again" "recorded 0 MI events"
    same "poll $i again: nothing twice" "$(sql "SELECT count(*) FROM mi_events")" "$n"
    case $i in
    0)  out_has "poll 0" "managed instances: 2 written, 4 databases"
        same "poll 0: the LRS migration starts at the database's creation" "$(events_of "$SALES")" \
            "migration_started 10-01T09:00 - lrs - - - collector
retention_changed 10-01T10:00 - - 7 - - collector"
        same "poll 0: the instances as first seen" \
            "$(q "SELECT resource_id, tier, vcores, storage_size_gb, redundancy, database_format FROM mi_events WHERE event = 'instance_changed' ORDER BY resource_id")" \
            "$MI_A GeneralPurpose 8 1024 Geo SQLServer2022
$MI_B BusinessCritical 16 1024 Geo SQLServer2022"
        same "poll 0: an online database of unknown origin (AMB-MI-7) from its creationDate" \
            "$(events_of "$MI_A/databases/legacy" | head -1)" "created 01-05T08:00 - unknown - - - collector"
        same "poll 0: the link example's database is not on this instance" \
            "$(sql "SELECT count(*) FROM mi_events WHERE resource_id ~* '/databases/testdb\$'")" 0
        same "poll 0: who started the migration (its PUT in the Activity Log)" \
            "$(sql "SELECT initiated_by FROM mi_events WHERE event = 'migration_started'")" dba@contoso.com
        same "poll 0: the TDE certificate upload (W-MI-4)" \
            "$(q "SELECT to_char(at AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'), initiated_by FROM mi_events WHERE event = 'tde_certificate_uploaded'")" \
            "10-01T08:30 dba@contoso.com"
        same "poll 0: an online database's LTR policy as first read, none kept" "$(ltr_of "$MI_A/databases/legacy")" \
            "10-01T10:00 - PT0S/PT0S/PT0S - first read by the collector"
        same "poll 0: a restoring database's LTR policy is not asked for" "$(ltr_of "$SALES")" ""
        same "poll 0: system databases skipped" "$(sql "SELECT count(*) FROM mi_events WHERE resource_id ~* '/databases/(master|msdb)\$'")" 0
        ;;
    1)  same "poll 1: only the move's start, at its startTime" \
            "$(q "SELECT event, to_char(at AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'), detail = '$HR_A', operation_id FROM mi_events WHERE recorded_via <> 'collect run 1'")" \
            "move_started 10-01T10:30 t 0c0ffee0-0000-4000-8000-000000000001"
        err_has "poll 1" "tierledger collect: warning: LTR policy of $MI_A/databases/legacy unknown this run:"
        same "poll 1: a failed policy read records nothing" "$(ltr_of "$MI_A/databases/legacy")" \
            "10-01T10:00 - PT0S/PT0S/PT0S - first read by the collector"
        same "poll 1: the fixture's moves of other instances ignored" "$(sql "SELECT count(*) FROM mi_events WHERE resource_id ~* 'mi1|mi2'")" 0
        ;;
    2)  same "poll 2: the move ready, between the polls" "$(events_of "$HR_B" | tail -1)" \
            "move_ready 10-27T10:00 10-01T11:00 - - - - collector"
        same "poll 2: a restore's origin from its create in the Activity Log (AMB-MI-7)" \
            "$(q "SELECT event, origin, initiated_by, detail FROM mi_events WHERE resource_key = lower('$MI_A/databases/legacy_restored') AND event = 'created'")" \
            "created pitr dba@contoso.com createMode PointInTimeRestore from $MI_A/databases/legacy (Activity Log c0ffee15-0000-4000-8000-000000000000)"
        run "day 26: lrs_time_limit" 1 tl report warnings --as-of "${polls[2]}" --format csv
        out_has "day 26: lrs_time_limit" "lrs_time_limit"
        out_has "day 26: no restore point yet" "no_mi_restore_point"
        ;;
    3)  # LRS continuous mode: the completeRestore call in the Activity Log gives the instant
        same "poll 3: the cutover at its completeRestore" "$(events_of "$SALES" | grep cutover)" \
            "migration_cutover 10-27T16:05 - - - - - collector"
        same "poll 3: the move completed, bounded by the polls" "$(events_of "$HR_B" | tail -1)" \
            "move_completed 10-28T10:00 10-28T09:00 - - - - collector"
        same "poll 3: the destination goes on from the source, not a new lineage" \
            "$(sql "SELECT count(*) FROM mi_events WHERE resource_key = lower('$HR_A') AND event IN ('created', 'migration_started')")" 0
        same "poll 3: who cut over" "$(sql "SELECT initiated_by FROM mi_events WHERE event = 'migration_cutover'")" dba@contoso.com
        run "after the cutover, before F" 1 tl report warnings --as-of "${polls[3]}" --format csv
        out_has "after the cutover, before F" "no_mi_restore_point"
        out_lacks "after the cutover, before F" "lrs_time_limit"
        ;;
    4)  same "poll 4: F observed, retention 7 -> 14 between polls" "$(events_of "$SALES" | tail -2)" \
            "restore_point_observed 10-28T12:00 - - - 10-28T09:40 - collector
retention_changed 10-28T12:00 10-28T10:00 - 14 - - collector"
        run "after F" 0 tl report warnings --as-of "${polls[4]}" --format csv
        out_lacks "after F" "no_mi_restore_point"
        same "poll 4: the LTR policy set between the polls (MI-A10)" "$(ltr_of "$SALES")" \
            "10-28T10:00 - PT0S/PT0S/PT0S - first read by the collector
10-28T12:00 10-28T10:00 P1M/P1Y/P5Y 5 -"
        ;;
    5)  same "poll 5: an LTR backup at its backupTime; the example's of other databases left out" \
            "$(backups_of "$SALES")" "ltr_backup_taken 10-29T03:00 - Geo 134062380000000000"
        same "poll 5: nothing of databases not recorded" "$(sql "SELECT count(*) FROM mi_events WHERE detail ~* 'testDatabase'")" 0
        same "poll 5: the tier change at its operation's last step" \
            "$(q "SELECT to_char(at AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'), coalesce(not_before::text, '-'), tier, operation_id, state, detail FROM mi_events WHERE resource_key = lower('$MI_A') AND event = 'instance_changed' ORDER BY at DESC LIMIT 1")" \
            "10-29T11:00 - BusinessCritical 11111111-1111-1111-1111-111111111111 Succeeded tier GeneralPurpose -> BusinessCritical"
        same "poll 5: who changed the tier" "$(sql "SELECT initiated_by FROM mi_events WHERE event = 'instance_changed' AND tier = 'BusinessCritical' AND resource_key = lower('$MI_A')")" ops@contoso.com
        same "poll 5: the drop at its deletionDate" "$(events_of "$MI_A/databases/legacy" | grep dropped)" \
            "dropped 10-29T08:00 - - - - - collector"
        same "poll 5: the dropped database's own policy lowered 14 -> 3 (MI-A8, W-MI-12)" \
            "$(events_of "$MI_A/databases/legacy" | tail -1)" "retention_changed 10-29T12:00 10-28T12:00 - 3 - - collector"
        run "poll 5: dropped_retention_lowered" 1 tl report warnings --as-of "${polls[5]}" --format csv
        out_has "poll 5: dropped_retention_lowered" "warn,dropped_retention_lowered,W-MI-12,$MI_A/databases/legacy"
        ;;
    6)  same "poll 6: the dropped database's backups gone early: retention 0" \
            "$(events_of "$MI_A/databases/legacy" | tail -1)" "retention_changed 10-30T12:00 10-29T12:00 - 0 - - collector"
        same "poll 6: the instance deleted, at its Activity Log delete" "$(events_of "$MI_B" | tail -1)" \
            "instance_deleted 10-30T07:30 - - - - - collector"
        same "poll 6: the redundancy change, between the polls" \
            "$(q "SELECT to_char(not_before AT TIME ZONE 'UTC', 'MM-DD\"T\"HH24:MI'), redundancy FROM mi_events WHERE resource_key = lower('$MI_A') AND event = 'instance_changed' ORDER BY at DESC LIMIT 1")" \
            "10-29T12:00 Zone"
        run "poll 6: LTR keeps its redundancy" 1 tl report warnings --as-of "${polls[6]}" --format json
        out_has "poll 6: LTR keeps its redundancy" '"code": "ltr_redundancy_fixed"'
        out_has "poll 6: LTR keeps its redundancy" "LTR backups stay Geo, the redundancy when its LTR policy was set"
        same "poll 6: who deleted it" "$(sql "SELECT initiated_by FROM mi_events WHERE event = 'instance_deleted'")" ops@contoso.com
        ;;
    7)  same "poll 7: the first LTR backup deleted between the polls" "$(backups_of "$SALES")" \
            "ltr_backup_taken 10-29T03:00 - Geo 134062380000000000
ltr_backup_taken 10-30T03:00 - Geo 134063244000000000
ltr_backup_gone 10-30T13:00 10-30T12:00 - 134062380000000000"
        # asked for once, at poll 6: recorded deleted, it is not asked for again
        same "poll 7: a deleted instance is not asked for again" \
            "$(grep -c "\"path\": \"$MI_B\"" "$work/fake.log")" 1
        ;;
    esac
done
fake_stop
# what the DBA reads: the LRS lineage as the collector recorded it
run "lineage of the migrated database" 0 tl lineage "$SALES" --as-of 2026-10-30T13:00:00Z --format json
cp "$work/out" "$work/sales.json"
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$work/sales.json" "$1"; }
same "lineage: service" "$(jq_ 'd["service"]')" managed_instance
same "lineage: one segment, origin lrs, current" "$(jq_ '[(s["origin"], s["status"]) for s in d["segments"]]')" "[('lrs', 'current')]"
same "lineage: F observed" "$(jq_ '(d["segments"][0]["first_restore_point"], d["segments"][0]["first_restore_point_estimated"])')" "('2026-10-28T09:40:00Z', False)"
same "lineage: the chain began at the cutover" "$(jq_ 'd["segments"][0]["opened_at"]')" 2026-10-27T16:05:00Z
same "lineage: the tier and redundancy changes inside the window" \
    "$(jq_ '[(c["at"], c["in_window"]) for c in d["segments"][0]["attribute_changes"]]')" \
    "[('2026-10-29T11:00:00Z', True), ('2026-10-30T12:00:00Z', True)]"
same "lineage: the LTR backups, one deleted, one kept a month (the policy: P1M, P1Y, P5Y week 5)" \
    "$(jq_ '[(b["status"], b["kept_as"], b["expires_at"]) for b in d["ltr_backups"]]')" \
    "[('deleted', 'monthly', '2027-10-29T03:00:00Z'), ('kept', 'weekly', '2026-11-30T03:00:00Z')]"
same "lineage: W-MI-19 for the database with LTR" "$(jq_ '[w["code"] for w in d["warnings"] if w["rule"] == "W-MI-19"]')" "['ltr_redundancy_fixed']"
run "lineage of the dropped database" 0 tl lineage "$MI_A/databases/legacy" --as-of 2026-10-30T13:00:00Z --format json
out_has "dropped, backups gone with retention 0" '"lost_cause": "retention_zero"'
run "lineage on the deleted instance" 0 tl lineage "$MI_B/databases/reports" --as-of 2026-10-30T13:00:00Z --format json
out_has "lost with its instance" '"lost_cause": "instance_deleted"'
run "lineage of the moved database" 0 tl lineage "$HR_A" --as-of 2026-10-30T13:00:00Z --format json
cp "$work/out" "$work/sales.json"
same "moved: two segments, the first lost by the move, the second on MI_A" \
    "$(jq_ '[(s["origin"], s["status"], s.get("lost_cause")) for s in d["segments"]]')" \
    "[('unknown', 'lost', 'moved'), ('move', 'current', None)]"
run "warnings after the run" 1 tl report warnings --as-of 2026-10-30T13:00:00Z --format csv
out_has "warnings: the deleted instance" "instance_deleted"
# the views agree with the model over what the collector recorded (bounded cutover, F,
# retention raised, a move, a drop with retention 0, a deleted instance)
run "mi_restorable agrees with lineage" 0 python3 "$here/mi_agree.py" "$TIERLEDGER" 7
out_has "mi_restorable agrees with lineage" "; 0 disagreements"
grep -o "[0-9]* checks.*" "$work/out" >&2
# the audit view shows the bounds
same "audit view: not_before" "$(sql "SELECT count(*) FROM mi_event_history WHERE not_before IS NOT NULL AND source = 'collector'")" \
    "$(sql "SELECT count(*) FROM mi_events WHERE not_before IS NOT NULL")"
finish
