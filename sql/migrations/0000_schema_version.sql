-- 0000_schema_version.sql - the bootstrap: the table that records which
-- migrations ran. `tierledger init` runs it before 0001 when the table is
-- missing; it is not recorded in itself (the table is its record), so the
-- schema version stays the number of the newest numbered migration.

CREATE TABLE IF NOT EXISTS schema_version (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_version IS
    'Migrations of sql/migrations applied by tierledger init, one row per file';
