-- 0001_schema.sql - databases (one row per lineage, L7), append-only tier
-- transitions, and the facts the eligibility rules need. Forward-only: never
-- edit once landed; add 0002_*.sql instead. Applied by `tierledger init` in
-- one transaction and recorded in schema_version.

CREATE TABLE databases (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id     text        NOT NULL,
    resource_key    text        NOT NULL GENERATED ALWAYS AS (lower(resource_id)) STORED,
    subscription_id text        NOT NULL,
    resource_group  text        NOT NULL,
    server_name     text        NOT NULL,
    database_name   text        NOT NULL,
    created_at      timestamptz NOT NULL,
    database_uid    uuid,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (resource_key, created_at)
);
CREATE INDEX databases_server_db ON databases (lower(server_name), lower(database_name));
COMMENT ON TABLE databases IS
    'One row per lineage of an Azure SQL database (domain.md L7): the ARM resource id compared '
    'case-insensitively plus the creation time. A database dropped and re-created with the same '
    'name is a second row.';
COMMENT ON COLUMN databases.resource_id IS 'ARM resource id as first recorded';
COMMENT ON COLUMN databases.resource_key IS 'lower(resource_id): the case-insensitive identity';
COMMENT ON COLUMN databases.created_at IS 'creation time: the started_at of the creation transition';
COMMENT ON COLUMN databases.database_uid IS 'properties.databaseId when known';

CREATE TABLE transitions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    database_id      bigint      NOT NULL REFERENCES databases (id),
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    state            text        NOT NULL CHECK (state IN ('Pending', 'InProgress', 'Succeeded',
                                                           'Failed', 'CancelInProgress', 'Cancelled')),
    from_objective   text,
    to_objective     text        NOT NULL CHECK (to_objective <> ''),
    operation_id     text,
    initiated_by     text,
    source           text        NOT NULL CHECK (source IN ('import', 'operations', 'activity_log',
                                                            'observed')),
    source_record_id text,
    inferred         boolean     NOT NULL DEFAULT false,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    CHECK (from_objective IS NULL OR from_objective <> ''),
    CHECK (from_objective IS NULL
           OR (ended_at IS NULL) = (state IN ('Pending', 'InProgress', 'CancelInProgress')))
);
CREATE INDEX transitions_database ON transitions (database_id, started_at);
COMMENT ON TABLE transitions IS
    'Every recorded version of every tier transition, append-only (a trigger refuses UPDATE, '
    'DELETE and TRUNCATE). A transition seen again with a new state (InProgress, then Succeeded) '
    'is a new row; current_transitions gives the latest version of each.';
COMMENT ON COLUMN transitions.from_objective IS 'objective before; NULL for the creation row';
COMMENT ON COLUMN transitions.ended_at IS 'completion (cutover for a success); NULL while running';
COMMENT ON COLUMN transitions.state IS 'ARM operation state (domain.md O1)';
COMMENT ON COLUMN transitions.initiated_by IS 'who started it (Activity Log caller, or as imported)';
COMMENT ON COLUMN transitions.source IS 'where it was learned: import, operations, activity_log, observed';
COMMENT ON COLUMN transitions.source_record_id IS 'id of the raw record (file:line, operation id, event id)';
COMMENT ON COLUMN transitions.inferred IS 'true when derived from an objective change without its operation';

CREATE FUNCTION transitions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'transitions are append-only: % is not allowed', TG_OP
        USING HINT = 'record a correction as a new row';
END $$;
CREATE TRIGGER transitions_no_update BEFORE UPDATE OR DELETE ON transitions
    FOR EACH ROW EXECUTE FUNCTION transitions_append_only();
CREATE TRIGGER transitions_no_truncate BEFORE TRUNCATE ON transitions
    FOR EACH STATEMENT EXECUTE FUNCTION transitions_append_only();

-- The latest version of each logical transition: same database, start, and
-- objectives (case-insensitive, ignoring the SQLDB_ prefix).
CREATE VIEW current_transitions AS
SELECT DISTINCT ON (database_id, started_at,
                    regexp_replace(lower(coalesce(from_objective, '')), '^sqldb_', ''),
                    regexp_replace(lower(to_objective), '^sqldb_', ''))
       *
  FROM transitions
 ORDER BY database_id, started_at,
          regexp_replace(lower(coalesce(from_objective, '')), '^sqldb_', ''),
          regexp_replace(lower(to_objective), '^sqldb_', ''),
          id DESC;
COMMENT ON VIEW current_transitions IS
    'The latest recorded version of each transition (one row per database, start and objectives).';

CREATE TABLE database_facts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    database_id     bigint      NOT NULL REFERENCES databases (id),
    observed_at     timestamptz NOT NULL,
    retention_days  integer     CHECK (retention_days BETWEEN 1 AND 35),
    elastic_pool_id text,
    in_elastic_pool boolean,
    geo_replication boolean,
    named_replicas  integer     CHECK (named_replicas >= 0),
    allocated_bytes bigint      CHECK (allocated_bytes >= 0),
    max_size_bytes  bigint,
    source          text        NOT NULL CHECK (source IN ('import', 'collector')),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (database_id, observed_at, source)
);
COMMENT ON TABLE database_facts IS
    'Observed facts about a database that the rules need (retention L9; pool, geo link, named '
    'replicas and allocated size for E5-E8). NULL means unknown: checks then report an assumption '
    '(W3). The latest observation at or before the evaluation instant is used.';
COMMENT ON COLUMN database_facts.retention_days IS 'PITR retention R in days (L9)';
COMMENT ON COLUMN database_facts.geo_replication IS 'has a geo-replication link or failover group';

CREATE TABLE schema_views (
    id          integer PRIMARY KEY CHECK (id = 1),
    bundle_hash text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_views IS 'Hash of the sql/views bundle last applied by tierledger init';

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tierledger_reader') THEN
        CREATE ROLE tierledger_reader NOLOGIN;
    END IF;
END $$;
GRANT SELECT ON databases, transitions, current_transitions, database_facts TO tierledger_reader;
