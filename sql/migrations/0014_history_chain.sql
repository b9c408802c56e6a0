-- 0014_history_chain.sql - a history nobody can rewrite unseen (the issue
-- "Auditors can rely on it").
--   recorded_by   the PostgreSQL login role that wrote the row (session_user)
--   recorded_via  the run or file it came from: what the writing command set
--                 as tierledger.recorded_via ("import fleet.csv", "collect run
--                 42"); 'unattributed' for a row written by hand
-- on every lineage, transition version, facts, usage and drop row, set by the
-- server on insert whatever the writer sends. Each lineage carries
-- identity_hash = sha256(its canonical identity), and its transition
-- versions a hash chain: version n has chain_seq n and chain_hash =
-- sha256(chain_hash of version n - 1, or identity_hash for the first ||
-- its canonical row). The triggers compute them as the owner, one writing
-- transaction at a time (the writers' row lock), so a writer can neither
-- choose them nor fork a chain. `tierledger verify` recomputes them.
-- Rows recorded before this migration get chains in id order and no
-- recorded_by / recorded_via.

ALTER TABLE databases
    ADD COLUMN recorded_by text, ADD COLUMN recorded_via text, ADD COLUMN identity_hash bytea;
ALTER TABLE transitions
    ADD COLUMN recorded_by text, ADD COLUMN recorded_via text,
    ADD COLUMN chain_seq integer, ADD COLUMN chain_hash bytea;
ALTER TABLE database_facts ADD COLUMN recorded_by text, ADD COLUMN recorded_via text;
ALTER TABLE backup_usage ADD COLUMN recorded_by text, ADD COLUMN recorded_via text;
ALTER TABLE database_drops ADD COLUMN recorded_by text, ADD COLUMN recorded_via text;

-- The canonical texts the hashes cover: a JSON array of every column but the
-- hashes (and databases.database_uid, which a lineage may gain later), times
-- as epoch seconds so that no session setting changes the text.
CREATE FUNCTION tierledger_identity_text(d databases) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_array(d.id, d.resource_id, extract(epoch FROM d.created_at),
                             d.subscription_id, d.resource_group, d.server_name, d.database_name,
                             extract(epoch FROM d.recorded_at), d.recorded_by, d.recorded_via)::text;
COMMENT ON FUNCTION tierledger_identity_text(databases) IS
    'The canonical text of a lineage''s identity that identity_hash covers';
CREATE FUNCTION tierledger_transition_text(t transitions) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_array(t.id, t.database_id, t.chain_seq, extract(epoch FROM t.started_at),
                             extract(epoch FROM t.ended_at), t.state, t.from_objective,
                             t.to_objective, t.operation_id, t.initiated_by, t.source,
                             t.source_record_id, t.inferred, extract(epoch FROM t.recorded_at),
                             t.recorded_by, t.recorded_via)::text;
COMMENT ON FUNCTION tierledger_transition_text(transitions) IS
    'The canonical text of a transition version that its chain_hash covers';

-- the chains of what was recorded before: in id order
UPDATE databases d SET identity_hash = sha256(convert_to(tierledger_identity_text(d), 'UTF8'));
ALTER TABLE transitions DISABLE TRIGGER transitions_no_update;
UPDATE transitions t SET chain_seq = s.n
  FROM (SELECT id, row_number() OVER (PARTITION BY database_id ORDER BY id) AS n
          FROM transitions) s
 WHERE s.id = t.id;
DO $$
DECLARE
    r record;
    prev bytea;
    lineage bigint;
BEGIN
    FOR r IN SELECT id, database_id FROM transitions ORDER BY database_id, chain_seq LOOP
        IF lineage IS DISTINCT FROM r.database_id THEN
            SELECT identity_hash INTO prev FROM databases WHERE id = r.database_id;
            lineage := r.database_id;
        END IF;
        UPDATE transitions t
           SET chain_hash = sha256(prev || convert_to(tierledger_transition_text(t), 'UTF8'))
         WHERE t.id = r.id
        RETURNING chain_hash INTO prev;
    END LOOP;
END $$;
ALTER TABLE transitions ENABLE TRIGGER transitions_no_update;
ALTER TABLE databases ALTER COLUMN identity_hash SET NOT NULL;
ALTER TABLE transitions ALTER COLUMN chain_seq SET NOT NULL, ALTER COLUMN chain_hash SET NOT NULL;
CREATE UNIQUE INDEX transitions_chain ON transitions (database_id, chain_seq);

CREATE FUNCTION tierledger_recorded_via() RETURNS text
    LANGUAGE sql STABLE
    RETURN coalesce(nullif(current_setting('tierledger.recorded_via', true), ''), 'unattributed');
COMMENT ON FUNCTION tierledger_recorded_via() IS
    'The run or file the writing transaction set (SET LOCAL tierledger.recorded_via), or unattributed';

CREATE FUNCTION tierledger_recorded() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    NEW.recorded_by := session_user;
    NEW.recorded_via := tierledger_recorded_via();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION tierledger_recorded() IS
    'Trigger: sets recorded_by and recorded_via of a new or replaced row';
CREATE TRIGGER database_facts_recorded BEFORE INSERT ON database_facts
    FOR EACH ROW EXECUTE FUNCTION tierledger_recorded();
CREATE TRIGGER backup_usage_recorded BEFORE INSERT OR UPDATE ON backup_usage
    FOR EACH ROW EXECUTE FUNCTION tierledger_recorded();
CREATE TRIGGER database_drops_recorded BEFORE INSERT ON database_drops
    FOR EACH ROW EXECUTE FUNCTION tierledger_recorded();

CREATE FUNCTION databases_identity() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF tierledger_identity_text(NEW) IS DISTINCT FROM tierledger_identity_text(OLD)
           OR NEW.identity_hash IS DISTINCT FROM OLD.identity_hash THEN
            RAISE EXCEPTION 'a lineage''s identity cannot change (database %)', OLD.id
                USING HINT = 'a re-created database is a new lineage';
        END IF;
        RETURN NEW;
    END IF;
    NEW.recorded_at := now();
    NEW.recorded_by := session_user;
    NEW.recorded_via := tierledger_recorded_via();
    NEW.identity_hash := sha256(convert_to(tierledger_identity_text(NEW), 'UTF8'));
    RETURN NEW;
END $$;
COMMENT ON FUNCTION databases_identity() IS
    'Trigger: records who wrote a lineage and its identity_hash; refuses a change of identity';
CREATE TRIGGER databases_identity BEFORE INSERT OR UPDATE ON databases
    FOR EACH ROW EXECUTE FUNCTION databases_identity();

CREATE FUNCTION transitions_chain() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    prev_seq integer;
    prev bytea;
BEGIN
    -- one inserting transaction at a time (writers hold this lock already):
    -- the chain's order is the order of commits
    PERFORM FROM tierledger_locks WHERE name = 'writers' FOR UPDATE;
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
COMMENT ON FUNCTION transitions_chain() IS
    'Trigger: records who wrote a transition version and links it into its lineage''s hash chain';
CREATE TRIGGER transitions_chain BEFORE INSERT ON transitions
    FOR EACH ROW EXECUTE FUNCTION transitions_chain();

GRANT EXECUTE ON FUNCTION tierledger_identity_text(databases), tierledger_transition_text(transitions),
    tierledger_recorded_via() TO tierledger_writer, tierledger_reader;

COMMENT ON COLUMN databases.recorded_by IS 'the PostgreSQL login role that recorded the lineage';
COMMENT ON COLUMN databases.recorded_via IS 'the run or file it came from (tierledger.recorded_via)';
COMMENT ON COLUMN databases.identity_hash IS
    'sha256 of tierledger_identity_text: the first link of the lineage''s hash chain';
COMMENT ON COLUMN transitions.recorded_by IS 'the PostgreSQL login role that recorded this version';
COMMENT ON COLUMN transitions.recorded_via IS 'the run or file it came from (tierledger.recorded_via)';
COMMENT ON COLUMN transitions.chain_seq IS 'its place in the lineage''s hash chain, from 1';
COMMENT ON COLUMN transitions.chain_hash IS
    'sha256(the previous version''s chain_hash, or the lineage''s identity_hash || tierledger_transition_text)';
COMMENT ON COLUMN database_facts.recorded_by IS 'the PostgreSQL login role that recorded it';
COMMENT ON COLUMN database_facts.recorded_via IS 'the run or file it came from';
COMMENT ON COLUMN backup_usage.recorded_by IS 'the PostgreSQL login role that recorded (or last replaced) it';
COMMENT ON COLUMN backup_usage.recorded_via IS 'the run or file it came from';
COMMENT ON COLUMN database_drops.recorded_by IS 'the PostgreSQL login role that recorded it';
COMMENT ON COLUMN database_drops.recorded_via IS 'the run or file it came from';
