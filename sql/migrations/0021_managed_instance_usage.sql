-- 0021_managed_instance_usage.sql - Managed Instance backup storage per
-- database and day (import-usage rows of an MI database: from msdb backup
-- history or the customer's own figures; domain-mi.md MI-$13), for the
-- instance-level billing of MI-$1 (the sum of its databases against the
-- instance's storageSizeInGB). A day imported again with other figures
-- replaces the stored one, as backup_usage does.
CREATE TABLE mi_usage (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id  text        NOT NULL CHECK (resource_id ~*
        '^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Sql/managedInstances/[^/]+/databases/[^/]+$'),
    resource_key text        NOT NULL GENERATED ALWAYS AS (lower(resource_id)) STORED,
    instance_key text        NOT NULL GENERATED ALWAYS AS
        (substring(lower(resource_id) FROM '^(.*/managedinstances/[^/]+)')) STORED,
    day          date        NOT NULL,
    full_bytes   bigint      CHECK (full_bytes >= 0),
    diff_bytes   bigint      CHECK (diff_bytes >= 0),
    log_bytes    bigint      CHECK (log_bytes >= 0),
    redundancy   text        CHECK (redundancy IN ('Local', 'Zone', 'Geo', 'GeoZone')),
    region       text,
    tags         jsonb,
    source       text        NOT NULL DEFAULT 'import' CHECK (source IN ('import', 'collector')),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  text,
    recorded_via text,
    UNIQUE (resource_key, day, source)
);
CREATE INDEX mi_usage_instance ON mi_usage (instance_key, day);
CREATE TRIGGER mi_usage_recorded BEFORE INSERT OR UPDATE ON mi_usage
    FOR EACH ROW EXECUTE FUNCTION tierledger_recorded();
COMMENT ON TABLE mi_usage IS
    'Managed Instance PITR backup storage per database and day (import-usage): full, differential '
    'and log bytes stored, the redundancy they were written with; the instance''s billing sums them';
COMMENT ON COLUMN mi_usage.id IS 'row id';
COMMENT ON COLUMN mi_usage.resource_id IS 'the MI database, as given';
COMMENT ON COLUMN mi_usage.resource_key IS 'lower(resource_id)';
COMMENT ON COLUMN mi_usage.instance_key IS 'the instance part of resource_key';
COMMENT ON COLUMN mi_usage.day IS 'the day (UTC) the figures hold for';
COMMENT ON COLUMN mi_usage.full_bytes IS 'full backups stored, bytes';
COMMENT ON COLUMN mi_usage.diff_bytes IS 'differential backups stored, bytes';
COMMENT ON COLUMN mi_usage.log_bytes IS 'log backups stored, bytes';
COMMENT ON COLUMN mi_usage.redundancy IS 'the backup storage redundancy they were written with (MI-B8)';
COMMENT ON COLUMN mi_usage.region IS 'Azure region, for the price sheet';
COMMENT ON COLUMN mi_usage.tags IS 'the database''s tags (a JSON object), for the cost center';
COMMENT ON COLUMN mi_usage.source IS 'import or collector';
COMMENT ON COLUMN mi_usage.recorded_at IS 'when it was recorded (or last replaced)';
COMMENT ON COLUMN mi_usage.recorded_by IS 'the PostgreSQL login role that recorded it';
COMMENT ON COLUMN mi_usage.recorded_via IS 'the import or run (tierledger.recorded_via)';
GRANT SELECT, INSERT, UPDATE ON mi_usage TO tierledger_writer;
GRANT SELECT ON mi_usage TO tierledger_reader;
