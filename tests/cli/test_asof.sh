#!/usr/bin/env bash
# test_asof.sh - the audit views are right at any instant (the issue
# "Auditors can rely on it"): for every lineage of the demo fleet and of 200
# seeded random histories, at 5 instants each, restorable_now,
# backup_loss_events and transition_history under SET tierledger.as_of (as
# tierledger_reader) agree with `lineage --as-of --format json`, after one
# refresh. tests/cli/asof_agree.py makes the histories and compares.
. "$(dirname "$0")/lib.sh"
export PGTZ=UTC

run init 0 tl init
run import-demo 0 tl import "$data/fleet.csv"
run facts-demo 0 tl import-facts "$data/fleet-facts.csv"
run histories 0 python3 "$here/asof_agree.py" histories 11 200 "$work"
run import-random 0 tl import "$work/transitions.csv"
run facts-random 0 tl import-facts "$work/facts.csv"
lineages=$(sql 'SELECT count(*) FROM databases')
[ "$lineages" -ge 230 ] && ok || bad "the histories make $lineages lineages, expected at least 230"
same "some re-created" "$(sql 'SELECT count(*) > 20 FROM databases d WHERE EXISTS (SELECT FROM databases o WHERE o.resource_key = d.resource_key AND o.id <> d.id)')" t
same "some failed reverse migrations" "$(sql "SELECT count(*) > 10 FROM transition_history WHERE kind = 'reverse_migration' AND state = 'Failed'")" t
same "some still running" "$(sql "SELECT count(*) > 10 FROM transitions WHERE ended_at IS NULL AND from_objective IS NOT NULL")" t

# one refresh, now: every instant after that is the views' own evaluation
run refresh 0 tl refresh
run agree 0 python3 "$here/asof_agree.py" check 7 5 "$TIERLEDGER"
out_has agree "; 0 disagreements"
grep -o "[0-9]* lineages at .*" "$work/out" >&2; cat "$work/err" >&2

# the check can fail: a stored loss moved by an hour is seen; a refresh
# recomputes only changed history, so it keeps the edit, and a full one puts
# it right again
edited=$(sql "SELECT min(database_id) FROM lineage_segments WHERE lost_at IS NOT NULL AND lost_at < end_at + interval '7 days'")
sql "UPDATE lineage_segments SET lost_at = lost_at + interval '1 hour' WHERE database_id = $edited AND lost_at IS NOT NULL"
run agree-after-edit 1 python3 "$here/asof_agree.py" check 7 40 "$TIERLEDGER" "$edited"
out_has agree-after-edit "backup_loss_events has"
run refresh-incremental 0 tl refresh
err_has refresh-incremental "tierledger refresh: 0 lineages: 0 segments"
run agree-still-edited 1 python3 "$here/asof_agree.py" check 7 40 "$TIERLEDGER" "$edited"
run refresh-again 0 tl refresh --full
err_has refresh-again "every lineage (--full)"
run agree-again 0 python3 "$here/asof_agree.py" check 7 40 "$TIERLEDGER" "$edited"
out_has agree-again "; 0 disagreements"
finish
