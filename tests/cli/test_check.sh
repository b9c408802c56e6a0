#!/usr/bin/env bash
# test_check.sh - `check` on the sample fleet: exit status = verdict
# (0 ok, 1 warn, 2 blocked, 3 unknown), the findings each rule must raise,
# golden text and JSON for the DBA's and the pipeline's views.
. "$(dirname "$0")/lib.sh"
A=2026-11-20T12:00:00Z

run init 0 tl init
run import 0 tl import "$data/fleet.csv"
run facts 0 tl import-facts "$data/fleet-facts.csv"

# a converted database: the pre-conversion backups are lost at start (W1) -> 1
run reverse-warn 1 tl check sql-prod-weu/orders --to GP_Gen5_8 --as-of $A
golden reverse-warn orders-check.txt
out_has reverse-warn "Verdict:  WARN (exit 1)"
out_has reverse-warn "makes segment S1 (standard: GP_Gen5_8"
run reverse-warn-json 1 tl check sql-prod-weu/orders --to GP_Gen5_8 --as-of $A --format json
golden reverse-warn-json orders-check.json
out_has reverse-warn-json "S1 (standard: GP_Gen5_8, 2025-06-01T08:00:00Z to 2026-11-10T02:15:00Z) unrestorable at once (L3)"
out_has reverse-warn-json "cancelling it or a failure does not bring them back"
out_has reverse-warn-json "must start by 2026-12-25T02:15:00Z"

# the docs' example, before the second reverse migration
run worked 1 tl check sql-prod-weu/salesdb --to GP_Gen5_4 --as-of 2025-04-09T12:00:00Z
golden worked salesdb-check.txt

check_code() { # NAME EXIT DATABASE TARGET CODE [extra args]
    local name=$1 want=$2 db=$3 to=$4 code=$5; shift 5
    run "$name" "$want" tl check "$db" --to "$to" --as-of $A --format json "$@"
    out_has "$name" "\"code\": \"$code\""
}
check_code created-in-hs 2 sql-prod-weu/telemetry GP_Gen5_4 created_in_hyperscale
out_has created-in-hs '"verdict": "blocked"'
check_code bc-target 2 sql-prod-weu/billing BC_Gen5_4 target_not_general_purpose
check_code deadline-close 1 sql-prod-weu/billing GP_Gen5_4 reverse_window_closing
out_has deadline-close '"severity": "warn"'
check_code deadline-passed 2 sql-prod-weu/archive GP_Gen5_2 reverse_window_expired
check_code one-vcore 2 sql-prod-weu/billing GP_S_Gen5_1 target_below_2_vcores
check_code geo 2 sql-prod-neu/analytics GP_Gen5_4 geo_replication
check_code replicas 2 sql-prod-neu/analytics GP_Gen5_4 named_replicas
check_code too-big 2 sql-prod-neu/analytics GP_Gen5_4 size_exceeds_target
check_code max-size 2 sql-prod-weu/orders GP_Gen5_8 size_exceeds_target --max-size 100GB
check_code in-progress 2 sql-prod-neu/payments GP_Gen5_4 operation_in_progress
check_code basic 2 sql-prod-neu/legacy HS_Gen5_2 basic_to_hyperscale
check_code strict 1 sql-prod-neu/reporting HS_Gen5_4 strict_reading
out_has strict '"code": "backup_loss"'
# T4 (round two): the current GP_Gen9_4 is judged as General Purpose, with the
# warning; scratch has no facts, so E11's geo role is unknown: verdict unknown
check_code t4-judged-by-edition 3 sql-prod-neu/scratch HS_Gen5_4 unknown_objective
out_has t4-judged-by-edition '"rule": "T4"'
out_has t4-e11-role-unknown "geo-replication role is unknown"
# E11 (round two) from imported facts: the role and the number of secondaries
SCR=/subscriptions/6f1c2a3b-0000-4000-8000-00000000d3m0/resourceGroups/rg-prod/providers/Microsoft.Sql/servers/sql-prod-neu/databases/scratch
printf 'resource_id,observed_at,geo_role,geo_secondaries\n%s,2026-11-19T00:00:00Z,primary,2\n' "$SCR" >"$work/geo.csv"
run e11-facts 0 tl import-facts "$work/geo.csv"
check_code e11-two-secondaries 2 sql-prod-neu/scratch HS_Gen5_4 geo_secondaries_exceed_one
printf 'resource_id,observed_at,geo_role,geo_secondaries\n%s,2026-11-19T06:00:00Z,secondary,0\n' "$SCR" >"$work/geo.csv"
run e11-facts-secondary 0 tl import-facts "$work/geo.csv"
check_code e11-secondary 2 sql-prod-neu/scratch HS_Gen5_4 geo_secondary
printf 'resource_id,observed_at,geo_role\n%s,2026-11-19T07:00:00Z,tertiary\n' "$SCR" >"$work/geo.csv"
run e11-bad-role 65 tl import-facts "$work/geo.csv"
err_has e11-bad-role "$work/geo.csv:2: geo_role 'tertiary' is not none, primary or secondary (E11)"
# T5: a target whose edition cannot be told: unknown, exit 3
check_code unknown 3 sql-prod-weu/orders Z9 unknown_objective
out_has unknown '"verdict": "unknown"'
out_has unknown-t5 '"rule": "T5"'
check_code already-lost 0 sql-prod-weu/crm GP_Gen5_4 reverse_window_closing
out_lacks already-lost '"code": "backup_loss"'
check_code failed-conversion 0 sql-prod-weu/inventory HS_Gen5_4 reverse_window_opens
# BC -> GP is lossless under L1; under the strict reading the GP tier before BC would go (W4)
check_code scale 1 sql-prod-neu/reporting GP_Gen5_8 lossless
out_has scale '"code": "strict_reading"'
check_code no-change 0 sql-prod-neu/customers GP_Gen5_4 no_change

# W6: Azure shows a requested objective that has not come, with nothing running
legacy=$(grep -o '^[^,]*/databases/legacy' "$data/fleet.csv")
printf '%s\n%s\n' "resource_id,observed_at,requested_objective,requested_since" \
    "$legacy,2026-11-19T12:00:00Z,S0,2026-11-18T06:00:00Z" >"$work/requested.csv"
run facts-requested 0 tl import-facts "$work/requested.csv"
check_code requested 1 sql-prod-neu/legacy S1 requested_objective_pending
out_has requested "Azure shows the requested objective S0, not the Basic in effect, since 2026-11-18T06:00:00Z, and no operation is running"
run requested-warnings 1 tl report warnings --as-of $A --format csv
out_has requested-warnings "requested_objective_pending"
run requested-before 0 tl check sql-prod-neu/legacy --to S1 --as-of 2026-11-18T05:00:00Z --format json
out_lacks requested-before "requested_objective_pending"
printf '%s\n%s\n' "resource_id,observed_at,requested_since" \
    "$legacy,2026-11-19T00:00:00Z,2026-11-18T06:00:00Z" >"$work/requested-bad.csv"
run facts-requested-bad 65 tl import-facts "$work/requested-bad.csv"
err_has facts-requested-bad "requested-bad.csv:2: requested_since '2026-11-18T06:00:00Z' needs a requested_objective"

run no-target 64 tl check sql-prod-weu/orders
err_has no-target "--to OBJECTIVE is required"
run bad-size 64 tl check sql-prod-weu/orders --to GP_Gen5_8 --max-size lots
finish
