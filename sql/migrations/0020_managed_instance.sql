-- 0020_managed_instance.sql - Azure SQL Managed Instance events (the issue
-- "Azure SQL Managed Instance"; domain-mi.md): what happened to each MI
-- database and instance, as import-mi (and later the collector) records it.
-- Lineages are derived from the events (model/mi.h): a `created` or
-- `migration_started` begins one on its database, a completed move goes on
-- at the destination (MI-B10, MI-B11, MI-B14). Append-only, like transitions.
CREATE TABLE mi_events (
    id                     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id            text        NOT NULL CHECK (resource_id ~*
        '^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Sql/managedInstances/[^/]+(/databases/[^/]+)?$'),
    resource_key           text        NOT NULL GENERATED ALWAYS AS (lower(resource_id)) STORED,
    instance_key           text        NOT NULL GENERATED ALWAYS AS
        (substring(lower(resource_id) FROM '^(.*/managedinstances/[^/]+)')) STORED,
    event                  text        NOT NULL CHECK (event IN (
        'created', 'migration_started', 'migration_cutover', 'migration_cancelled',
        'restore_point_observed', 'retention_changed', 'dropped', 'move_started', 'move_ready',
        'move_completed', 'move_cancelled', 'instance_changed', 'instance_stopped',
        'instance_started', 'instance_deleted', 'tde_certificate_uploaded', 'link_failover')),
    at                     timestamptz NOT NULL,
    state                  text,
    operation_id           text,
    initiated_by           text,
    origin                 text        CHECK (origin IN ('new', 'pitr', 'geo_restore', 'ltr_restore',
                                                         'copy', 'lrs', 'dms', 'native_restore',
                                                         'mi_link')),
    source_server          text,
    source_database        text,
    earliest_restore_point timestamptz,
    retention_days         integer     CHECK (retention_days BETWEEN 0 AND 35),
    tier                   text,
    vcores                 integer     CHECK (vcores > 0),
    storage_size_gb        integer     CHECK (storage_size_gb > 0),
    redundancy             text        CHECK (redundancy IN ('Local', 'Zone', 'Geo', 'GeoZone')),
    database_format        text,
    tde_protected          boolean,
    compatibility_level    integer     CHECK (compatibility_level > 0),
    detail                 text,
    source                 text        NOT NULL DEFAULT 'import' CHECK (source IN ('import', 'collector')),
    source_file            text,
    source_line            integer,
    recorded_at            timestamptz NOT NULL DEFAULT now(),
    recorded_by            text,
    recorded_via           text,
    CHECK ((event IN ('instance_changed', 'instance_stopped', 'instance_started',
                      'instance_deleted', 'tde_certificate_uploaded'))
           = (resource_id !~* '/databases/'))
);
-- one event per database (or instance), kind, instant and detail: a re-import adds nothing
CREATE UNIQUE INDEX mi_events_identity ON mi_events (resource_key, event, at, coalesce(lower(detail), ''));
CREATE INDEX mi_events_instance ON mi_events (instance_key, at);
CREATE INDEX mi_events_moved_to ON mi_events (lower(detail)) WHERE event = 'move_completed';

CREATE FUNCTION mi_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mi_events are append-only: % is not allowed', TG_OP
        USING HINT = 'record what happened next as a new event';
END $$;
CREATE TRIGGER mi_events_no_update BEFORE UPDATE OR DELETE ON mi_events
    FOR EACH ROW EXECUTE FUNCTION mi_events_append_only();
CREATE TRIGGER mi_events_no_truncate BEFORE TRUNCATE ON mi_events
    FOR EACH STATEMENT EXECUTE FUNCTION mi_events_append_only();
CREATE TRIGGER mi_events_recorded BEFORE INSERT ON mi_events
    FOR EACH ROW EXECUTE FUNCTION tierledger_recorded();

COMMENT ON TABLE mi_events IS
    'Managed Instance events, one row each (import-mi, domain-mi.md): a database''s creation, '
    'migration, cutover, restore point, retention, drop and move; an instance''s changes, stop, '
    'start and deletion. Append-only; MI lineages are derived from them';
COMMENT ON COLUMN mi_events.id IS 'row id, in the order recorded';
COMMENT ON COLUMN mi_events.state IS 'the operation''s state as Azure gave it, when there was one';
COMMENT ON COLUMN mi_events.operation_id IS 'the Azure operation, when known';
COMMENT ON COLUMN mi_events.initiated_by IS 'who started it, when known';
COMMENT ON COLUMN mi_events.source_server IS 'migration_started: the SQL Server the database comes from';
COMMENT ON COLUMN mi_events.source_database IS 'migration_started: the source database (W-MI-5)';
COMMENT ON COLUMN mi_events.tier IS 'instance_changed: the service tier from then on';
COMMENT ON COLUMN mi_events.vcores IS 'instance_changed: vCores from then on';
COMMENT ON COLUMN mi_events.database_format IS 'instance_changed: databaseFormat from then on (W-MI-16)';
COMMENT ON COLUMN mi_events.tde_protected IS 'migration_started: the source is TDE-protected (W-MI-4)';
COMMENT ON COLUMN mi_events.compatibility_level IS 'migration_started: the source''s compatibility level (W-MI-6)';
COMMENT ON COLUMN mi_events.source IS 'import (import-mi) or collector';
COMMENT ON COLUMN mi_events.recorded_at IS 'when it was recorded';
COMMENT ON COLUMN mi_events.resource_id IS 'the MI database, or the instance for instance events, as given';
COMMENT ON COLUMN mi_events.resource_key IS 'lower(resource_id): ARM ids compare case-insensitively (MI-B11)';
COMMENT ON COLUMN mi_events.instance_key IS 'the instance part of resource_key';
COMMENT ON COLUMN mi_events.event IS 'what happened (import-mi''s event names)';
COMMENT ON COLUMN mi_events.at IS 'when it happened (or was first seen: an upper bound)';
COMMENT ON COLUMN mi_events.origin IS 'created: new pitr geo_restore ltr_restore copy; migration_started: lrs dms native_restore mi_link; move_*: copy for a copy';
COMMENT ON COLUMN mi_events.earliest_restore_point IS 'restore_point_observed: ARM earliestRestorePoint (MI-B6)';
COMMENT ON COLUMN mi_events.retention_days IS 'retention_changed: the PITR retention from then on (MI-B1, MI-B3)';
COMMENT ON COLUMN mi_events.storage_size_gb IS 'instance_changed: storageSizeInGB from then on (the MI-$1 allowance)';
COMMENT ON COLUMN mi_events.redundancy IS 'instance_changed: backup storage redundancy from then on (MI-B8)';
COMMENT ON COLUMN mi_events.detail IS 'move_completed: the destination database; otherwise words for people';
COMMENT ON COLUMN mi_events.source_file IS 'the file imported (import-mi)';
COMMENT ON COLUMN mi_events.source_line IS 'its line in the file';
COMMENT ON COLUMN mi_events.recorded_by IS 'the PostgreSQL login role that recorded it';
COMMENT ON COLUMN mi_events.recorded_via IS 'the import or run (tierledger.recorded_via)';

GRANT SELECT, INSERT ON mi_events TO tierledger_writer;
GRANT SELECT ON mi_events TO tierledger_reader;
