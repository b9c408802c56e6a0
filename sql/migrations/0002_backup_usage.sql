-- 0002_backup_usage.sql - daily backup storage per database lineage, from the
-- collector (Azure Monitor metrics) or `tierledger import-usage`, for the
-- billing model (domain.md B1-B5). Sizes are levels held that day (the
-- metrics are cumulative totals, never increments); NULL is unknown.

CREATE TABLE backup_usage (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    database_id     bigint      NOT NULL REFERENCES databases (id),
    day             date        NOT NULL,
    full_bytes      bigint      CHECK (full_bytes >= 0),
    diff_bytes      bigint      CHECK (diff_bytes >= 0),
    log_bytes       bigint      CHECK (log_bytes >= 0),
    snapshot_bytes  bigint      CHECK (snapshot_bytes >= 0),
    allocated_bytes bigint      CHECK (allocated_bytes >= 0),
    max_size_bytes  bigint      CHECK (max_size_bytes >= -1),
    redundancy      text        CHECK (redundancy IN ('Local', 'Zone', 'Geo', 'GeoZone')),
    region          text,
    elastic_pool_id text,
    tags            jsonb       CHECK (tags IS NULL OR jsonb_typeof(tags) = 'object'),
    source          text        NOT NULL CHECK (source IN ('import', 'collector')),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (database_id, day, source)
);
COMMENT ON TABLE backup_usage IS
    'Daily backup storage of each database lineage: full, differential and log backup bytes '
    '(standard architecture), data snapshot and log bytes (Hyperscale), allocated and max data '
    'size, backup storage redundancy, region, elastic pool and tags. Levels held that day.';
COMMENT ON COLUMN backup_usage.day IS 'the UTC day the levels were held';
COMMENT ON COLUMN backup_usage.full_bytes IS 'full_backup_size_bytes (standard architecture)';
COMMENT ON COLUMN backup_usage.diff_bytes IS 'diff_backup_size_bytes (standard architecture)';
COMMENT ON COLUMN backup_usage.log_bytes IS 'log_backup_size_bytes';
COMMENT ON COLUMN backup_usage.snapshot_bytes IS 'snapshot_backup_size_bytes (Hyperscale data backups)';
COMMENT ON COLUMN backup_usage.max_size_bytes IS
    'max data size: the B1 allowance; for a pooled database the pool''s max data size; -1 Hyperscale';
COMMENT ON COLUMN backup_usage.redundancy IS 'backup storage redundancy: Local, Zone, Geo, GeoZone (B5)';
GRANT SELECT ON backup_usage TO tierledger_reader;
