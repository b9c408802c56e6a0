-- 0019_refresh_changes.sql - incremental refresh (the issue "Fleet scale",
-- item 3). Every statement that records history for a lineage (its
-- transitions, facts or backup usage, or a new lineage of the same resource,
-- which ends the older one's billing) appends the lineages it touched to
-- lineage_changes, in the same transaction, from statement-level triggers
-- over the statement's transition table: one set-based INSERT per
-- statement, never one per row. `refresh` takes (deletes) the changes it
-- finds and recomputes only those lineages and the other members of their
-- elastic pools; what it computed last is in refresh_state, so that a
-- refresh over another billing window (a new month, other --months, an
-- earlier --as-of) recomputes everything.
CREATE TABLE lineage_changes (
    database_id bigint      NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE lineage_changes IS
    'Lineages whose recorded history changed since refresh last computed them: appended by '
    'triggers in the transaction that recorded the change, taken by the next refresh';
COMMENT ON COLUMN lineage_changes.database_id IS 'the lineage (databases.id)';
COMMENT ON COLUMN lineage_changes.changed_at IS 'when the change was recorded (transaction start)';

CREATE TABLE refresh_state (
    singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    as_of       timestamptz NOT NULL,
    months      integer     NOT NULL CHECK (months BETWEEN 1 AND 36),
    first_month date        NOT NULL,
    full_as_of  timestamptz NOT NULL,
    lineages    bigint      NOT NULL,
    computed_at timestamptz NOT NULL
);
COMMENT ON TABLE refresh_state IS
    'What the last refresh computed: one row, absent before the first refresh';
COMMENT ON COLUMN refresh_state.singleton IS 'always true: the table has one row';
COMMENT ON COLUMN refresh_state.as_of IS 'the as-of of the last refresh';
COMMENT ON COLUMN refresh_state.months IS 'its --months';
COMMENT ON COLUMN refresh_state.first_month IS 'the first month its billing covered';
COMMENT ON COLUMN refresh_state.full_as_of IS 'the as-of of the last refresh that recomputed every lineage';
COMMENT ON COLUMN refresh_state.lineages IS 'how many lineages the last refresh recomputed';
COMMENT ON COLUMN refresh_state.computed_at IS 'when the last refresh ran';

CREATE FUNCTION tierledger_lineages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lineage_changes (database_id) SELECT DISTINCT database_id FROM changed_rows;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION tierledger_lineages_changed() IS
    'Statement trigger: appends the lineages of the rows a statement wrote to lineage_changes';
-- a new lineage, and the older lineages of its resource (their billing ends at its creation)
CREATE FUNCTION tierledger_lineage_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lineage_changes (database_id)
    SELECT DISTINCT d.id FROM changed_rows n JOIN databases d ON d.resource_key = n.resource_key;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION tierledger_lineage_added() IS
    'Statement trigger: appends new lineages and the other lineages of their resources to '
    'lineage_changes';

CREATE TRIGGER databases_changed AFTER INSERT ON databases
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_lineage_added();
CREATE TRIGGER transitions_changed AFTER INSERT ON transitions
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_lineages_changed();
CREATE TRIGGER facts_added AFTER INSERT ON database_facts
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_lineages_changed();
CREATE TRIGGER facts_updated AFTER UPDATE ON database_facts
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_lineages_changed();
CREATE TRIGGER facts_deleted AFTER DELETE ON database_facts
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_lineages_changed();
CREATE TRIGGER usage_added AFTER INSERT ON backup_usage
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_lineages_changed();
CREATE TRIGGER usage_updated AFTER UPDATE ON backup_usage
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_lineages_changed();
CREATE TRIGGER usage_deleted AFTER DELETE ON backup_usage
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_lineages_changed();

-- an incremental refresh finds the other members of a changed lineage's pools
CREATE INDEX backup_usage_pool ON backup_usage (elastic_pool_id, day)
    WHERE elastic_pool_id <> '';

-- the writers append changes (through the triggers); refresh takes them
GRANT SELECT, INSERT, DELETE ON lineage_changes TO tierledger_writer;
GRANT SELECT, INSERT, UPDATE ON refresh_state TO tierledger_writer;
GRANT SELECT ON lineage_changes, refresh_state TO tierledger_reader;
