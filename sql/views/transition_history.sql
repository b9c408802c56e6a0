-- transition_history: every transition (latest version) with who, when,
-- from, to and state, for audit. Recreated by `tierledger init` when the
-- views bundle changes.
DROP VIEW IF EXISTS transition_history;
CREATE VIEW transition_history AS
SELECT d.resource_id,
       d.server_name,
       d.database_name,
       d.created_at            AS database_created_at,
       t.started_at,
       t.ended_at,
       t.state,
       coalesce(t.from_objective, '(created)') AS from_objective,
       t.to_objective,
       t.initiated_by,
       t.operation_id,
       t.source,
       t.inferred,
       t.recorded_at
  FROM current_transitions t
  JOIN databases d ON d.id = t.database_id;
COMMENT ON VIEW transition_history IS
    'Audit trail: every tier transition of every database lineage (latest recorded version), with '
    'who started it, when it started and ended, from and to which objective, and how it ended.';
GRANT SELECT ON transition_history TO tierledger_reader;
