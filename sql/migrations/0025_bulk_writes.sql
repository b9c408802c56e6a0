-- 0025_bulk_writes.sql - the bulk writes without a function call per row
-- (the issue "Fleet scale", item 2; measured in bench/RESULTS.md, session 26:
-- at 3M usage rows the merge into backup_usage went from 69 s to 39 s).
--
-- 1. tierledger_recorded() (0014) runs only for a row that does not already
--    carry the true recorded_by and recorded_via. The WHEN clause compares
--    them with session_user and tierledger_recorded_via(): a writer that
--    sends the true values (the imports do) costs a comparison, not a
--    PL/pgSQL call, and a row with anything else in them is set by the
--    function as before. What a writer can store there is unchanged.
-- 2. backup_usage's reference to databases is checked once per statement,
--    over the statement's transition table, instead of one foreign-key
--    query per row (30M a month at 1M databases): the trigger that already
--    notes the changed lineages (0019) refuses a statement whose rows name
--    a lineage that is not recorded, with foreign_key_violation; and a
--    statement deleting lineages that usage rows name is refused the same
--    way. Writers may not delete lineages at all (0009); only the owner can.
-- 3. The same for what refresh writes (lineage_segments, billing_monthly:
--    230,000 rows for 100,000 lineages, a foreign-key query each was 30% of
--    the server's time in a full refresh): checked once per statement.
-- 4. transitions_chain() (0014) takes the writers' lock once per transaction
--    rather than once per row: a query fewer for every row. A transaction
--    that claims the lock without holding it (by setting
--    tierledger.chain_locked itself) still cannot fork a chain: two versions
--    with the same chain_seq are refused by the unique index transitions_chain.

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES ('database_facts', 'INSERT'), ('backup_usage', 'INSERT OR UPDATE'),
                                   ('database_drops', 'INSERT'), ('invoice_costs', 'INSERT'),
                                   ('mi_events', 'INSERT'), ('mi_usage', 'INSERT OR UPDATE')) t (tab, events)
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', r.tab || '_recorded', r.tab);
        EXECUTE format('CREATE TRIGGER %I BEFORE %s ON %I FOR EACH ROW'
                       ' WHEN (NEW.recorded_by IS DISTINCT FROM session_user'
                       '       OR NEW.recorded_via IS DISTINCT FROM tierledger_recorded_via())'
                       ' EXECUTE FUNCTION tierledger_recorded()', r.tab || '_recorded', r.events, r.tab);
    END LOOP;
END $$;

ALTER TABLE backup_usage DROP CONSTRAINT backup_usage_database_id_fkey;

CREATE FUNCTION tierledger_usage_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    WITH ids AS MATERIALIZED (SELECT DISTINCT database_id FROM changed_rows),
         noted AS (INSERT INTO lineage_changes (database_id) SELECT database_id FROM ids)
    SELECT i.database_id INTO missing
      FROM ids i WHERE NOT EXISTS (SELECT 1 FROM databases d WHERE d.id = i.database_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format(
            'insert or update on table "backup_usage" names lineage %s, which databases does not hold',
            missing);
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION tierledger_usage_changed() IS
    'Statement trigger: appends the lineages of the usage rows a statement wrote to '
    'lineage_changes, and refuses the statement when one of them is not in databases';
DROP TRIGGER usage_added ON backup_usage;
DROP TRIGGER usage_updated ON backup_usage;
CREATE TRIGGER usage_added AFTER INSERT ON backup_usage
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_usage_changed();
CREATE TRIGGER usage_updated AFTER UPDATE ON backup_usage
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_usage_changed();

ALTER TABLE lineage_segments DROP CONSTRAINT lineage_segments_database_id_fkey;
ALTER TABLE billing_monthly DROP CONSTRAINT billing_monthly_database_id_fkey;
CREATE FUNCTION tierledger_results_named() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT i.database_id INTO missing
      FROM (SELECT DISTINCT database_id FROM new_rows) i
     WHERE NOT EXISTS (SELECT 1 FROM databases d WHERE d.id = i.database_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format(
            'insert or update on table "%s" names lineage %s, which databases does not hold',
            TG_TABLE_NAME, missing);
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION tierledger_results_named() IS
    'Statement trigger: refuses a statement whose refresh results name a lineage not in databases';
CREATE TRIGGER lineage_segments_named AFTER INSERT ON lineage_segments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tierledger_results_named();
CREATE TRIGGER lineage_segments_renamed AFTER UPDATE ON lineage_segments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tierledger_results_named();
CREATE TRIGGER billing_monthly_named AFTER INSERT ON billing_monthly
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tierledger_results_named();
CREATE TRIGGER billing_monthly_renamed AFTER UPDATE ON billing_monthly
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tierledger_results_named();

CREATE FUNCTION tierledger_lineages_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named bigint;
    named_in text;
BEGIN
    SELECT o.id, x.tab INTO named, named_in FROM gone_rows o,
           LATERAL (SELECT 'backup_usage' AS tab WHERE EXISTS (SELECT 1 FROM backup_usage u WHERE u.database_id = o.id)
                    UNION ALL
                    SELECT 'lineage_segments' WHERE EXISTS (SELECT 1 FROM lineage_segments s WHERE s.database_id = o.id)
                    UNION ALL
                    SELECT 'billing_monthly' WHERE EXISTS (SELECT 1 FROM billing_monthly b WHERE b.database_id = o.id)) x
     LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format(
            'delete on table "databases" removes lineage %s, which %s rows name', named, named_in);
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION tierledger_lineages_deleted() IS
    'Statement trigger: refuses to delete a lineage that backup_usage, lineage_segments or '
    'billing_monthly rows name';
CREATE TRIGGER databases_deleted AFTER DELETE ON databases
    REFERENCING OLD TABLE AS gone_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tierledger_lineages_deleted();
COMMENT ON COLUMN backup_usage.database_id IS
    'the lineage alive that day (databases.id; checked once per statement, 0025)';

CREATE OR REPLACE FUNCTION transitions_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    prev_seq integer;
    prev bytea;
BEGIN
    -- one inserting transaction at a time (writers hold this lock already):
    -- the chain's order is the order of commits; taken once a transaction
    IF current_setting('tierledger.chain_locked', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM FROM tierledger_locks WHERE name = 'writers' FOR UPDATE;
        PERFORM set_config('tierledger.chain_locked', txid_current()::text, true);
    END IF;
    SELECT chain_seq, chain_hash INTO prev_seq, prev
      FROM transitions WHERE database_id = NEW.database_id ORDER BY chain_seq DESC LIMIT 1;
    IF NOT FOUND THEN
        SELECT 0, identity_hash INTO prev_seq, prev FROM databases WHERE id = NEW.database_id;
    END IF;
    NEW.recorded_at := now();
    NEW.recorded_by := session_user;
    NEW.recorded_via := tierledger_recorded_via();
    NEW.chain_seq := prev_seq + 1;
    NEW.chain_hash := sha256(prev || convert_to(tierledger_transition_text(NEW), 'UTF8'));
    RETURN NEW;
END $$;
