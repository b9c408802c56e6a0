-- 0009_roles.sql - three roles, least privilege (the issue "Auditors can rely
-- on it"). tierledger_owner owns every object (only `init` needs it; later
-- migrations and the views run as it); tierledger_writer is what collect,
-- the imports and refresh need: INSERT and SELECT on the history, UPDATE
-- and DELETE only on bookkeeping and derived results, never the owner, so it
-- cannot alter a table or disable a trigger; tierledger_reader reads.
-- Run by `tierledger init` as a superuser (or a role with CREATEROLE that may
-- SET ROLE tierledger_owner and owns the schema).
DO $$
BEGIN
    -- roles are the cluster's: an init of another database may create them at the same time
    BEGIN
        CREATE ROLE tierledger_owner NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE tierledger_writer NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO tierledger_owner', current_schema());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO tierledger_writer, tierledger_reader',
                   current_schema());
END $$;

-- The locks: a writer takes a row lock (SELECT ... FOR UPDATE needs UPDATE,
-- which the reader lacks): 'writers' for each writing transaction,
-- 'collector' for a whole collector run (held by its own session).
CREATE TABLE tierledger_locks (
    name text PRIMARY KEY CHECK (name IN ('collector', 'writers'))
);
INSERT INTO tierledger_locks (name) VALUES ('collector'), ('writers');
COMMENT ON TABLE tierledger_locks IS
    'One row per lock: a writer holds it with SELECT ... FOR UPDATE (the reader cannot)';
COMMENT ON COLUMN tierledger_locks.name IS
    'collector: held for a whole collector run; writers: held by each writing transaction';

ALTER TABLE schema_version OWNER TO tierledger_owner;
ALTER TABLE schema_views OWNER TO tierledger_owner;
ALTER TABLE databases OWNER TO tierledger_owner;
ALTER TABLE transitions OWNER TO tierledger_owner;
ALTER TABLE database_facts OWNER TO tierledger_owner;
ALTER TABLE backup_usage OWNER TO tierledger_owner;
ALTER TABLE lineage_segments OWNER TO tierledger_owner;
ALTER TABLE billing_monthly OWNER TO tierledger_owner;
ALTER TABLE collector_runs OWNER TO tierledger_owner;
ALTER TABLE database_observations OWNER TO tierledger_owner;
ALTER TABLE database_drops OWNER TO tierledger_owner;
ALTER TABLE collector_cursors OWNER TO tierledger_owner;
ALTER TABLE tierledger_locks OWNER TO tierledger_owner;
ALTER VIEW current_transitions OWNER TO tierledger_owner;
ALTER FUNCTION transitions_append_only() OWNER TO tierledger_owner;
ALTER FUNCTION tierledger_objective_key(text) OWNER TO tierledger_owner;
-- the audit views of an existing schema (sql/views; recreated as the owner)
ALTER VIEW IF EXISTS transition_history OWNER TO tierledger_owner;
ALTER VIEW IF EXISTS backup_loss_events OWNER TO tierledger_owner;
ALTER VIEW IF EXISTS restorable_now OWNER TO tierledger_owner;
ALTER VIEW IF EXISTS monthly_billable_gb OWNER TO tierledger_owner;
DO $$
BEGIN
    IF to_regprocedure('tierledger_now()') IS NOT NULL THEN
        ALTER FUNCTION tierledger_now() OWNER TO tierledger_owner;
    END IF;
    IF to_regprocedure('tierledger_architecture(text)') IS NOT NULL THEN
        ALTER FUNCTION tierledger_architecture(text) OWNER TO tierledger_owner;
    END IF;
END $$;

-- the writer: history is appended, never changed; a day's backup usage is
-- replaced by settled figures; a lineage gains the database_uid it lacked
GRANT SELECT ON schema_version, schema_views, current_transitions TO tierledger_writer;
GRANT SELECT, INSERT ON databases, transitions, database_facts, backup_usage, database_drops
    TO tierledger_writer;
GRANT UPDATE (database_uid) ON databases TO tierledger_writer;
GRANT UPDATE ON backup_usage TO tierledger_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON lineage_segments, billing_monthly, database_observations,
    collector_cursors TO tierledger_writer;
GRANT SELECT, INSERT, UPDATE ON collector_runs TO tierledger_writer;
GRANT SELECT, UPDATE ON tierledger_locks TO tierledger_writer;
GRANT EXECUTE ON FUNCTION tierledger_objective_key(text) TO tierledger_writer;
-- the reader: also what `lineage`, `check` and the reports read first
GRANT SELECT ON schema_version, schema_views, tierledger_locks TO tierledger_reader;
