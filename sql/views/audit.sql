-- audit.sql - the views auditors and analysts query (read-only role
-- tierledger_reader). Recreated by `tierledger init` when this bundle changes.
-- Every view evaluates at tierledger_now() with the model's rules (L11):
-- transitions started later are ignored, an operation running then is
-- running, a loss counts once it happened, the retention is the one in force
-- then, and restorable_now means the lineage that existed then. Segments
-- come from `tierledger refresh` as instants (computed_at says when), so any
-- instant evaluates without a refresh.

DROP VIEW IF EXISTS transition_history, backup_loss_events, restorable_now, monthly_billable_gb,
    mi_event_history, mi_restorable;
DROP FUNCTION IF EXISTS tierledger_architecture(text);
DROP FUNCTION IF EXISTS tierledger_retention_at(bigint, timestamptz);
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

-- R in force at an instant, as the commands read it (sql/store/facts_sql.h):
-- the latest facts row observed at or before it, else the earliest after it;
-- NULL when that row has no retention or there is none (7 is assumed, L9).
CREATE FUNCTION tierledger_retention_at(lineage bigint, at timestamptz) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT f.retention_days
              FROM ((SELECT retention_days, 0 AS later FROM database_facts
                      WHERE database_id = lineage AND observed_at <= at
                      ORDER BY observed_at DESC, id DESC LIMIT 1)
                    UNION ALL
                    (SELECT retention_days, 1 FROM database_facts
                      WHERE database_id = lineage AND observed_at > at
                      ORDER BY observed_at, id DESC LIMIT 1)) f
             ORDER BY f.later LIMIT 1);
COMMENT ON FUNCTION tierledger_retention_at(bigint, timestamptz) IS
    'PITR retention in days of a lineage at an instant (L9: NULL when unknown, 7 is then assumed)';

CREATE VIEW transition_history AS
WITH asof AS (SELECT tierledger_now() AS t)
SELECT d.resource_id,
       'sql_database'::text AS service,
       d.server_name,
       d.database_name,
       d.created_at AS database_created_at,
       t.started_at,
       CASE WHEN t.ended_at <= a.t THEN t.ended_at END AS ended_at,
       CASE WHEN t.from_objective IS NULL OR t.ended_at <= a.t
                 OR t.state NOT IN ('Succeeded', 'Failed', 'Cancelled') THEN t.state
            ELSE 'InProgress' END AS state,
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
  FROM asof a
  JOIN current_transitions t ON t.started_at <= a.t
  JOIN databases d ON d.id = t.database_id;
COMMENT ON VIEW transition_history IS
    'Audit trail at tierledger_now(): every tier transition of every database lineage started by '
    'then (latest recorded version, as it stood then): who started it, when it started and ended, '
    'from and to which objective, its kind (creation, tier_change, conversion, reverse_migration) '
    'and how it ended.';

CREATE VIEW backup_loss_events AS
WITH asof AS (SELECT tierledger_now() AS t)
SELECT d.resource_id,
       'sql_database'::text AS service,
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
       CASE WHEN s.cause_ended_at <= a.t OR s.cause_state NOT IN ('Succeeded', 'Failed', 'Cancelled')
                THEN s.cause_state
            ELSE 'InProgress' END AS cause_state,
       s.cause_initiated_by,
       s.cause_operation_id,
       s.computed_at,
       s.loss_assumed_during @> a.t AS loss_assumed,
       d.created_at AS database_created_at,
       CASE WHEN s.cause_ended_at <= a.t THEN s.cause_ended_at END AS cause_ended_at,
       coalesce(r.days, 7) AS retention_days
  FROM asof a
  JOIN lineage_segments s ON s.lost_at <= a.t
  JOIN databases d ON d.id = s.database_id
  CROSS JOIN LATERAL (SELECT tierledger_retention_at(d.id, a.t) AS days) r
 WHERE s.lost_at < s.end_at + make_interval(hours => 24 * coalesce(r.days, 7));
COMMENT ON VIEW backup_loss_events IS
    'Every segment made unrestorable by tierledger_now() before its retention ran out: when '
    '(lost_at), by which rule (L3 reverse-migration start, even if cancelled; L4 conversion '
    'cutover) and which operation.';

-- Managed Instance windows at tierledger_now(), from mi_events alone (the
-- rules of model/mi.c, domain-mi.md MI-B2, B3, B6, B10-B15; `lineage` of an
-- MI database gives the same): each database a lineage was on is a segment,
-- from its created, the cutover of its migration_started, or the move that
-- completed into it, until the next begin on the name. F is the first
-- earliestRestorePoint observed by then, else the open + 40 minutes; the
-- floor is max(T - R(T), each change's instant - the retention before it);
-- a dropped database stays restorable until D + R, until lost (retention
-- 0, its instance deleted, moved away unless then listed as dropped).
CREATE VIEW mi_restorable AS
WITH RECURSIVE asof AS (SELECT tierledger_now() AS t),
ev AS (SELECT e.* FROM mi_events e, asof a WHERE e.at <= a.t),
begins AS (
    SELECT resource_key AS key, resource_id, id, at AS begun_at, event AS how, origin FROM ev
     WHERE event IN ('created', 'migration_started')
    UNION ALL
    SELECT lower(detail), detail, id, at, CASE WHEN origin = 'copy' THEN 'copy' ELSE 'move' END,
           origin FROM ev WHERE event = 'move_completed' AND detail IS NOT NULL),
seg AS (
    SELECT b.*, lead(b.begun_at) OVER (PARTITION BY b.key ORDER BY b.begun_at, b.id) AS next_at
      FROM begins b),
chain(key, begun_at, seq) AS (
    SELECT key, begun_at, 1 FROM seg WHERE how <> 'move'
    UNION ALL
    SELECT s.key, s.begun_at, c.seq + 1
      FROM chain c
      JOIN seg p ON p.key = c.key AND p.begun_at = c.begun_at
      JOIN ev m ON m.event = 'move_completed' AND coalesce(m.origin, '') <> 'copy'
               AND m.resource_key = p.key AND m.at >= p.begun_at
               AND (p.next_at IS NULL OR m.at < p.next_at)
      JOIN seg s ON s.how = 'move' AND s.key = lower(m.detail) AND s.begun_at = m.at
     WHERE c.seq < 64),
mine AS (  -- a segment's own events: on its database, from its begin to the next
    SELECT s.key, s.begun_at, e.*
      FROM seg s JOIN ev e ON e.resource_key = s.key AND e.at >= s.begun_at
                          AND (s.next_at IS NULL OR e.at < s.next_at)),
opened AS (
    SELECT s.*, c.seq,
           CASE WHEN s.how = 'migration_started' THEN
               (SELECT CASE WHEN x.not_before IS NOT NULL AND f.erp > x.not_before AND f.erp < x.at
                            THEN f.erp ELSE x.at END
                  FROM mine x
                  LEFT JOIN LATERAL (SELECT y.earliest_restore_point AS erp FROM mine y
                                      WHERE y.key = x.key AND y.begun_at = x.begun_at
                                        AND y.event = 'restore_point_observed'
                                      ORDER BY y.at, y.id LIMIT 1) f ON true
                 WHERE x.key = s.key AND x.begun_at = s.begun_at AND x.event = 'migration_cutover'
                   AND NOT EXISTS (SELECT FROM mine z WHERE z.key = x.key
                                      AND z.begun_at = x.begun_at AND z.at < x.at
                                      AND z.event IN ('migration_cancelled', 'dropped'))
                 ORDER BY x.at, x.id LIMIT 1)
           ELSE s.begun_at END AS opened_at
      FROM seg s JOIN chain c ON c.key = s.key AND c.begun_at = s.begun_at),
facts AS (
    SELECT o.*, a.t,
           (SELECT y.earliest_restore_point FROM mine y
             WHERE y.key = o.key AND y.begun_at = o.begun_at AND y.event = 'restore_point_observed'
             ORDER BY y.at, y.id LIMIT 1) AS f_observed,
           (SELECT y.at FROM mine y WHERE y.key = o.key AND y.begun_at = o.begun_at
                AND y.event = 'dropped' ORDER BY y.at, y.id LIMIT 1) AS dropped_at,
           (SELECT y.retention_days FROM mine y WHERE y.key = o.key AND y.begun_at = o.begun_at
                AND y.event = 'retention_changed' ORDER BY y.at DESC, y.id DESC LIMIT 1) AS r_now,
           (SELECT max(y.at - make_interval(days => y.prev))
              FROM (SELECT z.at, coalesce(lag(z.retention_days) OVER (ORDER BY z.at, z.id), 7)
                           AS prev
                      FROM mine z WHERE z.key = o.key AND z.begun_at = o.begun_at
                       AND z.event = 'retention_changed') y) AS change_floor,
           (SELECT min(y.at) FROM mine y WHERE y.key = o.key AND y.begun_at = o.begun_at
                AND y.event = 'retention_changed' AND y.retention_days = 0) AS zero_at,
           (SELECT min(y.at) FROM mine y WHERE y.key = o.key AND y.begun_at = o.begun_at
                AND y.event = 'move_completed' AND coalesce(y.origin, '') <> 'copy') AS moved_at,
           (SELECT min(i.at) FROM ev i WHERE i.event = 'instance_deleted'
                AND i.resource_key = substring(o.key FROM '^(.*/managedinstances/[^/]+)')
                AND i.at > o.begun_at) AS deleted_at
      FROM opened o, asof a
     WHERE o.opened_at IS NOT NULL),
settled AS (
    SELECT f.*,
           coalesce(f.f_observed, f.opened_at + interval '40 minutes') AS first_point,
           coalesce(f.r_now, 7) AS r,
           greatest(f.t - make_interval(days => coalesce(f.r_now, 7)), f.change_floor) AS floor_at,
           -- AMB-MI-6: a moved source later listed as dropped is dropped, not lost
           CASE WHEN f.dropped_at >= f.moved_at THEN NULL ELSE f.moved_at END AS moved_lost
      FROM facts f)
SELECT s.resource_id,
       substring(s.resource_id FROM '(?i)/managedInstances/([^/]+)') AS instance_name,
       substring(s.resource_id FROM '(?i)/databases/([^/]+)$') AS database_name,
       s.seq,
       CASE WHEN s.dropped_at IS NULL THEN 'current' ELSE 'restorable' END AS status,
       greatest(s.floor_at, s.first_point) AS restore_from,
       coalesce(s.dropped_at, s.t) AS restore_to,
       s.dropped_at + make_interval(days => s.r) AS expires_at,
       s.r AS retention_days,
       s.r_now IS NULL AS retention_assumed,
       s.opened_at,
       s.first_point AS first_restore_point,
       s.f_observed IS NULL AS first_restore_point_estimated,
       s.begun_at
  FROM settled s
 WHERE s.zero_at IS NULL AND s.deleted_at IS NULL AND s.moved_lost IS NULL
   AND s.t >= s.first_point
   AND (s.dropped_at IS NULL
        OR (s.first_point <= s.dropped_at AND s.t < s.dropped_at + make_interval(days => s.r)));
COMMENT ON VIEW mi_restorable IS
    'What can be restored at tierledger_now() of each Azure SQL Managed Instance database '
    '(domain-mi.md MI-B2, B3, B6, B12, B15): its segment (a database a lineage was on), current '
    'or dropped and restorable, the window [restore_from, restore_to] and when a dropped one '
    'expires; computed from mi_events at query time (no refresh), as `tierledger lineage` does.';

CREATE VIEW restorable_now AS
WITH asof AS (SELECT tierledger_now() AS t)
SELECT d.resource_id,
       'sql_database'::text AS service,
       d.server_name,
       d.database_name,
       s.seq AS segment,
       s.architecture,
       CASE WHEN s.end_at IS NULL OR s.end_at > a.t THEN 'current' ELSE 'restorable' END AS status,
       greatest(s.start_at, a.t - make_interval(hours => 24 * r.days)) AS restore_from,
       CASE WHEN s.end_at IS NULL OR s.end_at > a.t THEN a.t ELSE s.end_at END AS restore_to,
       CASE WHEN s.end_at <= a.t THEN s.end_at + make_interval(hours => 24 * r.days) END
           AS expires_at,
       r.days AS retention_days,
       r.assumed AS retention_assumed,
       s.computed_at,
       d.created_at AS database_created_at
  FROM asof a
  JOIN databases d ON d.created_at <= a.t
  CROSS JOIN LATERAL (SELECT coalesce(x.days, 7) AS days, x.days IS NULL AS assumed
                        FROM (SELECT tierledger_retention_at(d.id, a.t) AS days) x) r
  JOIN lineage_segments s ON s.database_id = d.id AND s.start_at <= a.t
 WHERE (s.end_at IS NULL OR s.end_at > a.t
        OR (s.end_at + make_interval(hours => 24 * r.days) > a.t
            AND (s.lost_at IS NULL OR s.lost_at > a.t)))
   AND NOT EXISTS (SELECT FROM databases n
                    WHERE n.resource_key = d.resource_key AND n.created_at > d.created_at
                      AND n.created_at <= a.t)
UNION ALL
SELECT m.resource_id,
       'managed_instance'::text,
       m.instance_name,
       m.database_name,
       m.seq,
       'managed_instance'::text,
       m.status,
       m.restore_from,
       m.restore_to,
       m.expires_at,
       m.retention_days,
       m.retention_assumed,
       NULL::timestamptz,
       m.begun_at
  FROM mi_restorable m;
COMMENT ON VIEW restorable_now IS
    'What can be restored at tierledger_now() (domain.md L2, L5, L11): the current segment of the '
    'lineage that existed then and the previous one while within retention and not lost, with '
    'the restore window [restore_from, restore_to]; and each Managed Instance database '
    '(service managed_instance, from mi_restorable).';

CREATE VIEW monthly_billable_gb AS
SELECT d.resource_id,
       'sql_database'::text AS service,
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

CREATE VIEW mi_event_history AS
WITH asof AS (SELECT tierledger_now() AS t)
SELECT e.resource_id,
       'managed_instance'::text AS service,
       substring(e.resource_id FROM '(?i)/managedInstances/([^/]+)') AS instance_name,
       substring(e.resource_id FROM '(?i)/databases/([^/]+)$') AS database_name,
       e.event,
       e.at,
       e.origin,
       e.state,
       e.operation_id,
       e.initiated_by,
       e.source_server,
       e.source_database,
       e.earliest_restore_point,
       e.retention_days,
       e.tier,
       e.vcores,
       e.storage_size_gb,
       e.redundancy,
       e.detail,
       e.source,
       e.source_file,
       e.source_line,
       e.recorded_at,
       e.recorded_by,
       e.not_before,
       e.ltr_weekly,
       e.ltr_monthly,
       e.ltr_yearly,
       e.ltr_week_of_year,
       e.data_bytes,
       e.log_bytes_per_day
  FROM asof a
  JOIN mi_events e ON e.at <= a.t;
COMMENT ON VIEW mi_event_history IS
    'Audit trail at tierledger_now() of Azure SQL Managed Instance: every event of every MI '
    'database and instance by then (domain-mi.md): creations and migrations with their origin '
    'and source, cutovers, restore points, retention changes, drops, moves, instance changes, '
    'stops and deletions, LTR policies, sizes, who did it and where tierledger recorded it from. `tierledger '
    'lineage` gives the segments and windows they make.';

-- every column described (the issue "Auditors can rely on it": a self-describing schema)
COMMENT ON COLUMN mi_event_history.resource_id IS 'ARM resource id of the MI database, or of the instance for instance events';
COMMENT ON COLUMN mi_event_history.service IS 'managed_instance';
COMMENT ON COLUMN mi_event_history.instance_name IS 'the managed instance';
COMMENT ON COLUMN mi_event_history.database_name IS 'the database; NULL for an instance event';
COMMENT ON COLUMN mi_event_history.event IS 'what happened (import-mi''s event names)';
COMMENT ON COLUMN mi_event_history.at IS 'when it happened (or was first seen)';
COMMENT ON COLUMN mi_event_history.origin IS 'new, pitr, geo_restore, ltr_restore, copy; lrs, dms, native_restore, mi_link';
COMMENT ON COLUMN mi_event_history.state IS 'the operation''s state, when given';
COMMENT ON COLUMN mi_event_history.operation_id IS 'the Azure operation, when known';
COMMENT ON COLUMN mi_event_history.initiated_by IS 'who started it, when known';
COMMENT ON COLUMN mi_event_history.source_server IS 'a migration''s source SQL Server';
COMMENT ON COLUMN mi_event_history.source_database IS 'a migration''s source database';
COMMENT ON COLUMN mi_event_history.earliest_restore_point IS 'the earliestRestorePoint observed (MI-B6)';
COMMENT ON COLUMN mi_event_history.retention_days IS 'the PITR retention from then on';
COMMENT ON COLUMN mi_event_history.tier IS 'the instance''s service tier from then on';
COMMENT ON COLUMN mi_event_history.vcores IS 'the instance''s vCores from then on';
COMMENT ON COLUMN mi_event_history.storage_size_gb IS 'the instance''s storageSizeInGB from then on (the backup allowance, MI-$1)';
COMMENT ON COLUMN mi_event_history.redundancy IS 'the instance''s backup storage redundancy from then on';
COMMENT ON COLUMN mi_event_history.detail IS 'a move''s destination, or words for people';
COMMENT ON COLUMN mi_event_history.source IS 'import or collector';
COMMENT ON COLUMN mi_event_history.source_file IS 'the file it was imported from';
COMMENT ON COLUMN mi_event_history.source_line IS 'its line in that file';
COMMENT ON COLUMN mi_event_history.recorded_at IS 'when tierledger recorded it';
COMMENT ON COLUMN mi_event_history.recorded_by IS 'the PostgreSQL login role that recorded it';
COMMENT ON COLUMN mi_event_history.not_before IS 'collector: the change happened after this poll (in (not_before, at]); NULL when Azure gave the instant';
COMMENT ON COLUMN mi_event_history.ltr_weekly IS 'ltr_policy_changed: weekly LTR backups kept for (ISO 8601; PT0S: none)';
COMMENT ON COLUMN mi_event_history.ltr_monthly IS 'ltr_policy_changed: monthly LTR backups kept for';
COMMENT ON COLUMN mi_event_history.ltr_yearly IS 'ltr_policy_changed: yearly LTR backups kept for';
COMMENT ON COLUMN mi_event_history.ltr_week_of_year IS 'ltr_policy_changed: the week whose backup is the yearly one';
COMMENT ON COLUMN mi_event_history.data_bytes IS 'size_observed (created, migration_started): the data size, bytes, for the MI-$13 estimate';
COMMENT ON COLUMN mi_event_history.log_bytes_per_day IS 'size_observed (created, migration_started): log backup bytes stored a day';
COMMENT ON COLUMN transition_history.service IS 'sql_database (Managed Instance: mi_event_history)';
COMMENT ON COLUMN backup_loss_events.service IS 'sql_database';
COMMENT ON COLUMN restorable_now.service IS 'sql_database, or managed_instance (its rows from mi_restorable)';
COMMENT ON COLUMN mi_restorable.resource_id IS 'ARM resource id of the MI database, as its segment began';
COMMENT ON COLUMN mi_restorable.instance_name IS 'the managed instance';
COMMENT ON COLUMN mi_restorable.database_name IS 'the database';
COMMENT ON COLUMN mi_restorable.seq IS 'the segment: 1, then one more after each move (MI-B14), as tierledger lineage numbers them';
COMMENT ON COLUMN mi_restorable.status IS 'current, or restorable (dropped, within its retention: MI-B2)';
COMMENT ON COLUMN mi_restorable.restore_from IS 'earliest point that can be restored: max(F, the retention floor) (MI-B3, MI-B12)';
COMMENT ON COLUMN mi_restorable.restore_to IS 'latest point: the as-of instant, or the drop';
COMMENT ON COLUMN mi_restorable.expires_at IS 'a dropped database: when its window empties (D + R); NULL for the current';
COMMENT ON COLUMN mi_restorable.retention_days IS 'PITR retention in force, days';
COMMENT ON COLUMN mi_restorable.retention_assumed IS 'true when no retention is recorded and 7 days are assumed (AMB-MI-13)';
COMMENT ON COLUMN mi_restorable.opened_at IS 'when MI began its own backup chain (MI-B10)';
COMMENT ON COLUMN mi_restorable.first_restore_point IS 'F: the first earliestRestorePoint observed by then, else estimated (MI-B6)';
COMMENT ON COLUMN mi_restorable.first_restore_point_estimated IS 'true while no earliestRestorePoint is observed: F = open + 40 minutes';
COMMENT ON COLUMN mi_restorable.begun_at IS 'when the segment began (created, migration started, or moved in)';
COMMENT ON COLUMN monthly_billable_gb.service IS 'sql_database';
COMMENT ON COLUMN transition_history.resource_id IS 'ARM resource id of the database';
COMMENT ON COLUMN transition_history.server_name IS 'logical SQL server';
COMMENT ON COLUMN transition_history.database_name IS 'database name';
COMMENT ON COLUMN transition_history.database_created_at IS 'creation time of the lineage (L7: a re-created database is another lineage)';
COMMENT ON COLUMN transition_history.started_at IS 'when the transition started';
COMMENT ON COLUMN transition_history.ended_at IS 'when it ended; NULL while running at tierledger_now()';
COMMENT ON COLUMN transition_history.state IS 'Pending, InProgress, Succeeded, Failed, CancelInProgress or Cancelled, as it stood at tierledger_now()';
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
COMMENT ON COLUMN backup_loss_events.cause_state IS 'its state then: InProgress while it ran (a Cancelled reverse migration still loses, L3)';
COMMENT ON COLUMN backup_loss_events.cause_initiated_by IS 'who started it, when known';
COMMENT ON COLUMN backup_loss_events.cause_operation_id IS 'its Azure operation id, when known';
COMMENT ON COLUMN backup_loss_events.loss_assumed IS 'L3: true when every loss by tierledger_now() came from a reverse migration that had ended Failed by then: counted, though it may have failed before starting';
COMMENT ON COLUMN backup_loss_events.computed_at IS 'when tierledger refresh computed the segment';
COMMENT ON COLUMN backup_loss_events.database_created_at IS 'creation time of the lineage (L7)';
COMMENT ON COLUMN backup_loss_events.cause_ended_at IS 'when the causing transition ended; NULL while it ran';
COMMENT ON COLUMN backup_loss_events.retention_days IS 'PITR retention in force, in days (7 assumed when unknown, L9)';
COMMENT ON COLUMN restorable_now.resource_id IS 'ARM resource id of the database';
COMMENT ON COLUMN restorable_now.server_name IS 'logical SQL server, or the managed instance';
COMMENT ON COLUMN restorable_now.database_name IS 'database name';
COMMENT ON COLUMN restorable_now.segment IS 'the segment (lineage_segments.seq)';
COMMENT ON COLUMN restorable_now.architecture IS 'standard or hyperscale: where a restore of it can go (T3); managed_instance';
COMMENT ON COLUMN restorable_now.status IS 'current or restorable';
COMMENT ON COLUMN restorable_now.restore_from IS 'earliest point in time that can be restored (L5)';
COMMENT ON COLUMN restorable_now.restore_to IS 'latest point in time that can be restored';
COMMENT ON COLUMN restorable_now.expires_at IS 'when a previous segment expires (end + retention); NULL for the current';
COMMENT ON COLUMN restorable_now.retention_days IS 'PITR retention in force, in days';
COMMENT ON COLUMN restorable_now.retention_assumed IS 'true when the retention was unknown and 7 days assumed (L9)';
COMMENT ON COLUMN restorable_now.computed_at IS 'when tierledger refresh computed the segment; NULL for managed_instance (evaluated from mi_events)';
COMMENT ON COLUMN restorable_now.database_created_at IS 'creation time of the lineage (L7); managed_instance: when the segment began';
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

GRANT SELECT ON mi_event_history, mi_restorable, transition_history, backup_loss_events,
    restorable_now, monthly_billable_gb TO tierledger_reader;
GRANT EXECUTE ON FUNCTION tierledger_now(), tierledger_architecture(text),
    tierledger_retention_at(bigint, timestamptz) TO tierledger_reader;
