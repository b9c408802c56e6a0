-- audit.sql - the views auditors and analysts query (read-only role
-- tierledger_reader). Recreated by `tierledger init` when this bundle changes.
-- Segment and billing figures come from `tierledger refresh` (computed_at says
-- when); status and restore windows are evaluated at tierledger_now().

DROP VIEW IF EXISTS transition_history, backup_loss_events, restorable_now, monthly_billable_gb;
DROP FUNCTION IF EXISTS tierledger_architecture(text);
DROP FUNCTION IF EXISTS tierledger_now();

-- The instant the views evaluate at: SET tierledger.as_of = '2026-10-31T23:59:59Z'
-- pins it (audits as of a date, tests); otherwise now().
CREATE FUNCTION tierledger_now() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce(nullif(current_setting('tierledger.as_of', true), '')::timestamptz, now());
COMMENT ON FUNCTION tierledger_now() IS
    'now(), or the instant set with SET tierledger.as_of = ''...'' for as-of audit queries';

-- T3: Hyperscale objectives by name (HS_*, with or without SQLDB_); the
-- rest standard, as the model classifies names without a sku tier.
CREATE FUNCTION tierledger_architecture(objective text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN objective ~* '^(sqldb_)?hs_' THEN 'hyperscale' ELSE 'standard' END;
COMMENT ON FUNCTION tierledger_architecture(text) IS
    'Architecture of a service objective name (domain.md T3): hyperscale or standard';

CREATE VIEW transition_history AS
SELECT d.resource_id,
       d.server_name,
       d.database_name,
       d.created_at AS database_created_at,
       t.started_at,
       t.ended_at,
       t.state,
       coalesce(t.from_objective, '(created)') AS from_objective,
       t.to_objective,
       CASE WHEN t.from_objective IS NULL THEN 'creation'
            WHEN tierledger_architecture(t.from_objective) = tierledger_architecture(t.to_objective)
                THEN 'tier_change'
            WHEN tierledger_architecture(t.to_objective) = 'hyperscale' THEN 'conversion'
            ELSE 'reverse_migration' END AS kind,
       t.initiated_by,
       t.operation_id,
       t.source,
       t.inferred,
       t.recorded_at
  FROM current_transitions t
  JOIN databases d ON d.id = t.database_id;
COMMENT ON VIEW transition_history IS
    'Audit trail: every tier transition of every database lineage (latest recorded version): who '
    'started it, when it started and ended, from and to which objective, its kind (creation, '
    'tier_change, conversion, reverse_migration) and how it ended.';

CREATE VIEW backup_loss_events AS
SELECT d.resource_id,
       d.server_name,
       d.database_name,
       s.seq AS segment,
       s.architecture,
       s.objectives,
       s.start_at,
       s.end_at,
       s.lost_at,
       s.lost_rule AS cause_rule,
       s.cause_kind,
       s.cause_started_at,
       s.cause_to_objective,
       s.cause_state,
       s.cause_initiated_by,
       s.cause_operation_id,
       s.computed_at,
       s.loss_assumed
  FROM lineage_segments s
  JOIN databases d ON d.id = s.database_id
 WHERE s.lost_at IS NOT NULL
   AND s.lost_at < s.end_at + make_interval(days => s.retention_days);
COMMENT ON VIEW backup_loss_events IS
    'Every segment made unrestorable before its retention ran out: when (lost_at), by which rule '
    '(L3 reverse-migration start, even if cancelled; L4 conversion cutover) and which operation.';

CREATE VIEW restorable_now AS
SELECT d.resource_id,
       d.server_name,
       d.database_name,
       s.seq AS segment,
       s.architecture,
       CASE WHEN s.end_at IS NULL THEN 'current' ELSE 'restorable' END AS status,
       greatest(s.start_at, tierledger_now() - make_interval(days => s.retention_days)) AS restore_from,
       least(coalesce(s.end_at, tierledger_now()), tierledger_now()) AS restore_to,
       s.end_at + make_interval(days => s.retention_days) AS expires_at,
       s.retention_days,
       s.retention_assumed,
       s.computed_at
  FROM lineage_segments s
  JOIN databases d ON d.id = s.database_id
 WHERE s.start_at <= tierledger_now()
   AND (s.end_at IS NULL
        OR (s.end_at + make_interval(days => s.retention_days) > tierledger_now()
            AND (s.lost_at IS NULL OR s.lost_at > tierledger_now())
            AND s.seq = (SELECT max(seq) - 1 FROM lineage_segments x
                          WHERE x.database_id = s.database_id)))
   AND NOT EXISTS (SELECT FROM databases n
                    WHERE n.resource_key = d.resource_key AND n.created_at > d.created_at
                      AND n.created_at <= tierledger_now());
COMMENT ON VIEW restorable_now IS
    'What can be restored right now (domain.md L2, L5): the current segment and the previous one '
    'while within retention and not lost, with the restore window [restore_from, restore_to].';

CREATE VIEW monthly_billable_gb AS
SELECT d.resource_id,
       d.server_name,
       d.database_name,
       b.month,
       b.backup_kind,
       sum(b.billable_gb_month) AS billable_gb_month,
       sum(b.consumed_gb_month) AS consumed_gb_month,
       bool_or(b.decaying_estimate) AS includes_decay_estimate,
       bool_or(b.partial_month) AS partial_month,
       max(b.computed_at) AS computed_at
  FROM billing_monthly b
  JOIN databases d ON d.id = b.database_id
 GROUP BY d.resource_id, d.server_name, d.database_name, b.month, b.backup_kind;
COMMENT ON VIEW monthly_billable_gb IS
    'Billable backup storage per database, month and kind (pitr, hyperscale_backup) in GB-month: '
    'estimates from the documented formulas (domain.md B1-B4), not invoice amounts.';

-- every column described (the issue "Auditors can rely on it": a self-describing schema)
COMMENT ON COLUMN transition_history.resource_id IS 'ARM resource id of the database';
COMMENT ON COLUMN transition_history.server_name IS 'logical SQL server';
COMMENT ON COLUMN transition_history.database_name IS 'database name';
COMMENT ON COLUMN transition_history.database_created_at IS 'creation time of the lineage (L7: a re-created database is another lineage)';
COMMENT ON COLUMN transition_history.started_at IS 'when the transition started';
COMMENT ON COLUMN transition_history.ended_at IS 'when it ended; NULL while running';
COMMENT ON COLUMN transition_history.state IS 'Pending, InProgress, Succeeded, Failed, CancelInProgress or Cancelled';
COMMENT ON COLUMN transition_history.from_objective IS 'service objective before; NULL for the creation';
COMMENT ON COLUMN transition_history.to_objective IS 'service objective after';
COMMENT ON COLUMN transition_history.kind IS 'creation, tier_change, conversion or reverse_migration (by architecture, O1)';
COMMENT ON COLUMN transition_history.initiated_by IS 'who started it, when known';
COMMENT ON COLUMN transition_history.operation_id IS 'Azure operation id, when known';
COMMENT ON COLUMN transition_history.source IS 'import, operations, activity_log or observed';
COMMENT ON COLUMN transition_history.inferred IS 'true when deduced from an objective change, no operation seen';
COMMENT ON COLUMN transition_history.recorded_at IS 'when tierledger recorded this version';
COMMENT ON COLUMN backup_loss_events.resource_id IS 'ARM resource id of the database';
COMMENT ON COLUMN backup_loss_events.server_name IS 'logical SQL server';
COMMENT ON COLUMN backup_loss_events.database_name IS 'database name';
COMMENT ON COLUMN backup_loss_events.segment IS 'the lost segment (lineage_segments.seq)';
COMMENT ON COLUMN backup_loss_events.architecture IS 'standard or hyperscale';
COMMENT ON COLUMN backup_loss_events.objectives IS 'the objectives the segment went through';
COMMENT ON COLUMN backup_loss_events.start_at IS 'when the segment started';
COMMENT ON COLUMN backup_loss_events.end_at IS 'when it ended';
COMMENT ON COLUMN backup_loss_events.lost_at IS 'when its backups became unrestorable';
COMMENT ON COLUMN backup_loss_events.cause_rule IS 'L3 (reverse migration start), L4 (conversion cutover) or L2';
COMMENT ON COLUMN backup_loss_events.cause_kind IS 'kind of the transition that caused the loss';
COMMENT ON COLUMN backup_loss_events.cause_started_at IS 'when that transition started';
COMMENT ON COLUMN backup_loss_events.cause_to_objective IS 'its target objective';
COMMENT ON COLUMN backup_loss_events.cause_state IS 'its state (a Cancelled reverse migration still loses, L3)';
COMMENT ON COLUMN backup_loss_events.cause_initiated_by IS 'who started it, when known';
COMMENT ON COLUMN backup_loss_events.cause_operation_id IS 'its Azure operation id, when known';
COMMENT ON COLUMN backup_loss_events.loss_assumed IS 'L3: true when only reverse migrations that ended Failed caused it: counted, though they may have failed before starting';
COMMENT ON COLUMN backup_loss_events.computed_at IS 'when tierledger refresh computed the segment';
COMMENT ON COLUMN restorable_now.resource_id IS 'ARM resource id of the database';
COMMENT ON COLUMN restorable_now.server_name IS 'logical SQL server';
COMMENT ON COLUMN restorable_now.database_name IS 'database name';
COMMENT ON COLUMN restorable_now.segment IS 'the segment (lineage_segments.seq)';
COMMENT ON COLUMN restorable_now.architecture IS 'standard or hyperscale: where a restore of it can go (T3)';
COMMENT ON COLUMN restorable_now.status IS 'current or restorable';
COMMENT ON COLUMN restorable_now.restore_from IS 'earliest point in time that can be restored (L5)';
COMMENT ON COLUMN restorable_now.restore_to IS 'latest point in time that can be restored';
COMMENT ON COLUMN restorable_now.expires_at IS 'when a previous segment expires (end + retention); NULL for the current';
COMMENT ON COLUMN restorable_now.retention_days IS 'PITR retention in days';
COMMENT ON COLUMN restorable_now.retention_assumed IS 'true when the retention was unknown and 7 days assumed (L9)';
COMMENT ON COLUMN restorable_now.computed_at IS 'when tierledger refresh computed the segment';
COMMENT ON COLUMN monthly_billable_gb.resource_id IS 'ARM resource id of the database';
COMMENT ON COLUMN monthly_billable_gb.server_name IS 'logical SQL server';
COMMENT ON COLUMN monthly_billable_gb.database_name IS 'database name';
COMMENT ON COLUMN monthly_billable_gb.month IS 'first day of the calendar month (UTC)';
COMMENT ON COLUMN monthly_billable_gb.backup_kind IS 'pitr or hyperscale_backup';
COMMENT ON COLUMN monthly_billable_gb.billable_gb_month IS 'billable backup storage in GB-months (B1-B4), an estimate';
COMMENT ON COLUMN monthly_billable_gb.consumed_gb_month IS 'backup storage held in GB-months before the allowance';
COMMENT ON COLUMN monthly_billable_gb.includes_decay_estimate IS 'true when part is estimated: a segment after its cutover decays to zero at expiry (B4)';
COMMENT ON COLUMN monthly_billable_gb.partial_month IS 'true when the month was not over when it was computed';
COMMENT ON COLUMN monthly_billable_gb.computed_at IS 'when tierledger refresh computed it';

GRANT SELECT ON transition_history, backup_loss_events, restorable_now, monthly_billable_gb
    TO tierledger_reader;
GRANT EXECUTE ON FUNCTION tierledger_now(), tierledger_architecture(text) TO tierledger_reader;
