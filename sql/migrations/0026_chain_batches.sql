-- 0026_chain_batches.sql - an import's transitions linked into their hash
-- chains (0014) a batch at a time, by one statement, instead of by a
-- PL/pgSQL call and two queries for every row (the issue "Fleet scale",
-- item 2; measured in bench/RESULTS.md, session 27).
--
-- 1. tierledger_chain_text(...): the canonical text of a transition version
--    (0014) from its values. tierledger_transition_text(t), which verify
--    uses, now calls it: the chain has one definition.
-- 2. tierledger_append_transitions(rows): appends the versions in array
--    order and links each into its lineage's chain, as the owner: the
--    caller's rows carry none of id, chain_seq, chain_hash, recorded_at,
--    recorded_by and recorded_via; the function sets them exactly as
--    transitions_chain() sets them for a row inserted directly. It takes the writers' lock as
--    that trigger does; a recursive query links the k-th new version of
--    every lineage in the batch at once.
-- 3. The trigger transitions_chain does not run for the rows that function
--    inserts (current_user is then tierledger_owner, a role no writer is
--    granted); it runs, as before, for every row any other role inserts.
-- 4. The same for new lineages: tierledger_add_lineages(rows) records them
--    with their identity_hash (tierledger_lineage_text, which
--    tierledger_identity_text now calls) as databases_identity() would, and
--    that trigger no longer runs for its rows; it still refuses any change of
--    a lineage's identity (now the trigger databases_identity_kept).
-- 5. transitions' foreign key to databases is gone: both writers look up
--    each lineage's identity_hash (or its last version) anyway and refuse a
--    lineage databases does not hold with foreign_key_violation, and
--    tierledger_lineages_deleted() refuses to delete a lineage that
--    transitions name. That was a query per row (1.4 s of an import of
--    400,000 rows).

CREATE FUNCTION tierledger_chain_text(id bigint, database_id bigint, chain_seq integer,
                                      started_at timestamptz, ended_at timestamptz, state text,
                                      from_objective text, to_objective text, operation_id text,
                                      initiated_by text, source text, source_record_id text,
                                      inferred boolean, recorded_at timestamptz, recorded_by text,
                                      recorded_via text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_array(id, database_id, chain_seq, extract(epoch FROM started_at),
                             extract(epoch FROM ended_at), state, from_objective, to_objective,
                             operation_id, initiated_by, source, source_record_id, inferred,
                             extract(epoch FROM recorded_at), recorded_by, recorded_via)::text;
COMMENT ON FUNCTION tierledger_chain_text(bigint, bigint, integer, timestamptz, timestamptz, text,
                                          text, text, text, text, text, text, boolean, timestamptz,
                                          text, text) IS
    'The canonical text a transition version''s chain_hash covers, from its values';
CREATE OR REPLACE FUNCTION tierledger_transition_text(t transitions) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN tierledger_chain_text(t.id, t.database_id, t.chain_seq, t.started_at, t.ended_at, t.state,
                                 t.from_objective, t.to_objective, t.operation_id, t.initiated_by,
                                 t.source, t.source_record_id, t.inferred, t.recorded_at,
                                 t.recorded_by, t.recorded_via);

CREATE TYPE tierledger_new_transition AS (
    database_id bigint, started_at timestamptz, ended_at timestamptz, state text,
    from_objective text, to_objective text, operation_id text, initiated_by text, source text,
    source_record_id text, inferred boolean);
COMMENT ON TYPE tierledger_new_transition IS
    'A transition version to append (tierledger_append_transitions): what its writer may choose';

CREATE FUNCTION tierledger_append_transitions(new_rows tierledger_new_transition[]) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
    -- a batch is planned as what it is (unnest's row count is known), and sorted in memory
    SET plan_cache_mode = force_custom_plan SET work_mem = '64MB' AS $$
DECLARE
    ids bigint[];
    missing bigint;
    added bigint;
BEGIN
    -- one inserting transaction at a time, as transitions_chain() (0025)
    IF current_setting('tierledger.chain_locked', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM FROM tierledger_locks WHERE name = 'writers' FOR UPDATE;
        PERFORM set_config('tierledger.chain_locked', txid_current()::text, true);
    END IF;
    -- ascending ids, given out in lineage and array order: a lineage's later
    -- versions have the larger ids, as if inserted one by one
    ids := ARRAY(SELECT nextval('transitions_id_seq'::regclass)
                   FROM generate_series(1, cardinality(new_rows)) ORDER BY 1);
    WITH RECURSIVE
    -- the k-th new version of its lineage in this batch
    input AS MATERIALIZED (
        SELECT ids[row_number() OVER (ORDER BY r.database_id, r.ord)] AS id, r.*,
               row_number() OVER (PARTITION BY r.database_id ORDER BY r.ord) AS k
          FROM unnest(new_rows) WITH ORDINALITY AS r (database_id, started_at, ended_at, state,
               from_objective, to_objective, operation_id, initiated_by, source, source_record_id,
               inferred, ord)),
    -- the first links onto each lineage's last version, or its identity; then the k-th onto the k-1-th
    chain AS (
        SELECT i.*, coalesce(l.chain_seq, 0) + 1 AS chain_seq,
               sha256(coalesce(l.chain_hash, d.identity_hash) || convert_to(tierledger_chain_text(
                   i.id, i.database_id, coalesce(l.chain_seq, 0) + 1, i.started_at, i.ended_at,
                   i.state, i.from_objective, i.to_objective, i.operation_id, i.initiated_by,
                   i.source, i.source_record_id, coalesce(i.inferred, false), now(),
                   session_user::text, tierledger_recorded_via()), 'UTF8')) AS chain_hash
          FROM input i JOIN databases d ON d.id = i.database_id
          LEFT JOIN LATERAL (SELECT t.chain_seq, t.chain_hash FROM transitions t
                              WHERE t.database_id = i.database_id
                              ORDER BY t.chain_seq DESC LIMIT 1) l ON true
         WHERE i.k = 1
        UNION ALL
        SELECT i.*, c.chain_seq + 1,
               sha256(c.chain_hash || convert_to(tierledger_chain_text(
                   i.id, i.database_id, c.chain_seq + 1, i.started_at, i.ended_at, i.state,
                   i.from_objective, i.to_objective, i.operation_id, i.initiated_by, i.source,
                   i.source_record_id, coalesce(i.inferred, false), now(), session_user::text,
                   tierledger_recorded_via()), 'UTF8'))
          FROM chain c JOIN input i ON i.database_id = c.database_id AND i.k = c.k + 1)
    INSERT INTO transitions (id, database_id, started_at, ended_at, state, from_objective,
                             to_objective, operation_id, initiated_by, source, source_record_id,
                             inferred, recorded_at, recorded_by, recorded_via, chain_seq, chain_hash)
    OVERRIDING SYSTEM VALUE
    SELECT c.id, c.database_id, c.started_at, c.ended_at, c.state, c.from_objective,
           c.to_objective, c.operation_id, c.initiated_by, c.source, c.source_record_id,
           coalesce(c.inferred, false), now(), session_user, tierledger_recorded_via(),
           c.chain_seq, c.chain_hash
      FROM chain c;
    GET DIAGNOSTICS added = ROW_COUNT;
    IF added < cardinality(new_rows) THEN
        -- the rows of a lineage databases does not hold joined nothing
        SELECT r.database_id INTO missing FROM unnest(new_rows) r
         WHERE r.database_id IS NULL OR NOT EXISTS (SELECT 1 FROM databases d WHERE d.id = r.database_id)
         LIMIT 1;
        RAISE foreign_key_violation USING MESSAGE = format(
            'insert on table "transitions" names lineage %s, which databases does not hold',
            coalesce(missing::text, 'NULL'));
    END IF;
    RETURN added;
END $$;
COMMENT ON FUNCTION tierledger_append_transitions(tierledger_new_transition[]) IS
    'Appends transition versions in array order, each linked into its lineage''s hash chain as '
    'transitions_chain() links a row; returns how many';
REVOKE ALL ON FUNCTION tierledger_append_transitions(tierledger_new_transition[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tierledger_append_transitions(tierledger_new_transition[])
    TO tierledger_writer;
GRANT EXECUTE ON FUNCTION tierledger_chain_text(bigint, bigint, integer, timestamptz, timestamptz,
                                                text, text, text, text, text, text, text, boolean,
                                                timestamptz, text, text)
    TO tierledger_writer, tierledger_reader;

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
        IF NOT FOUND THEN
            RAISE foreign_key_violation USING MESSAGE = format(
                'insert on table "transitions" names lineage %s, which databases does not hold',
                coalesce(NEW.database_id::text, 'NULL'));
        END IF;
    END IF;
    NEW.recorded_at := now();
    NEW.recorded_by := session_user;
    NEW.recorded_via := tierledger_recorded_via();
    NEW.chain_seq := prev_seq + 1;
    NEW.chain_hash := sha256(prev || convert_to(tierledger_transition_text(NEW), 'UTF8'));
    RETURN NEW;
END $$;
DROP TRIGGER transitions_chain ON transitions;
CREATE TRIGGER transitions_chain BEFORE INSERT ON transitions FOR EACH ROW
    WHEN (current_user IS DISTINCT FROM 'tierledger_owner' OR NEW.chain_hash IS NULL)
    EXECUTE FUNCTION transitions_chain();

CREATE FUNCTION tierledger_lineage_text(id bigint, resource_id text, created_at timestamptz,
                                        subscription_id text, resource_group text, server_name text,
                                        database_name text, recorded_at timestamptz,
                                        recorded_by text, recorded_via text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_array(id, resource_id, extract(epoch FROM created_at), subscription_id,
                             resource_group, server_name, database_name,
                             extract(epoch FROM recorded_at), recorded_by, recorded_via)::text;
COMMENT ON FUNCTION tierledger_lineage_text(bigint, text, timestamptz, text, text, text, text,
                                            timestamptz, text, text) IS
    'The canonical text of a lineage''s identity that identity_hash covers, from its values';
CREATE OR REPLACE FUNCTION tierledger_identity_text(d databases) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN tierledger_lineage_text(d.id, d.resource_id, d.created_at, d.subscription_id,
                                   d.resource_group, d.server_name, d.database_name, d.recorded_at,
                                   d.recorded_by, d.recorded_via);
GRANT EXECUTE ON FUNCTION tierledger_lineage_text(bigint, text, timestamptz, text, text, text, text,
                                                  timestamptz, text, text)
    TO tierledger_writer, tierledger_reader;

CREATE TYPE tierledger_new_lineage AS (
    resource_id text, subscription_id text, resource_group text, server_name text,
    database_name text, created_at timestamptz);
COMMENT ON TYPE tierledger_new_lineage IS
    'A lineage to record (tierledger_add_lineages): what its writer may choose';
CREATE FUNCTION tierledger_add_lineages(new_rows tierledger_new_lineage[]) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
    SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    added bigint;
BEGIN
    INSERT INTO databases (id, resource_id, subscription_id, resource_group, server_name,
                           database_name, created_at, recorded_at, recorded_by, recorded_via,
                           identity_hash)
    OVERRIDING SYSTEM VALUE
    SELECT n.id, n.resource_id, n.subscription_id, n.resource_group, n.server_name,
           n.database_name, n.created_at, now(), session_user, tierledger_recorded_via(),
           sha256(convert_to(tierledger_lineage_text(
               n.id, n.resource_id, n.created_at, n.subscription_id, n.resource_group,
               n.server_name, n.database_name, now(), session_user::text,
               tierledger_recorded_via()), 'UTF8'))
      FROM (SELECT nextval('databases_id_seq'::regclass) AS id, r.*
              FROM unnest(new_rows) WITH ORDINALITY AS r ORDER BY r.ordinality) n
    ON CONFLICT (resource_key, created_at) DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END $$;
COMMENT ON FUNCTION tierledger_add_lineages(tierledger_new_lineage[]) IS
    'Records new lineages with their identity_hash, as databases_identity() would; one already '
    'recorded (the same resource and creation) is left as it is; returns how many were new';
REVOKE ALL ON FUNCTION tierledger_add_lineages(tierledger_new_lineage[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tierledger_add_lineages(tierledger_new_lineage[]) TO tierledger_writer;
DROP TRIGGER databases_identity ON databases;
CREATE TRIGGER databases_identity BEFORE INSERT ON databases FOR EACH ROW
    WHEN (current_user IS DISTINCT FROM 'tierledger_owner' OR NEW.identity_hash IS NULL)
    EXECUTE FUNCTION databases_identity();
CREATE TRIGGER databases_identity_kept BEFORE UPDATE ON databases
    FOR EACH ROW EXECUTE FUNCTION databases_identity();

ALTER TABLE transitions DROP CONSTRAINT transitions_database_id_fkey;
CREATE OR REPLACE FUNCTION tierledger_lineages_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named bigint;
    named_in text;
BEGIN
    SELECT o.id, x.tab INTO named, named_in FROM gone_rows o,
           LATERAL (SELECT 'transitions' AS tab WHERE EXISTS (SELECT 1 FROM transitions t WHERE t.database_id = o.id)
                    UNION ALL
                    SELECT 'backup_usage' WHERE EXISTS (SELECT 1 FROM backup_usage u WHERE u.database_id = o.id)
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
    'Statement trigger: refuses to delete a lineage that transitions, backup_usage, '
    'lineage_segments or billing_monthly rows name';
COMMENT ON COLUMN transitions.database_id IS
    'the lineage (databases.id; checked by the chain''s writers, 0026)';
