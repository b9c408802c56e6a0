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
       s.computed_at
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

GRANT SELECT ON transition_history, backup_loss_events, restorable_now, monthly_billable_gb
    TO tierledger_reader;
GRANT EXECUTE ON FUNCTION tierledger_now(), tierledger_architecture(text) TO tierledger_reader;
