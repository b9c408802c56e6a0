-- 0028_chain_window.sql - tierledger_append_transitions (0026) links a
-- batch's versions into their hash chains with a running aggregate over each
-- lineage's new versions instead of a recursive query (the issue "Fleet
-- scale", item 2; bench/RESULTS.md, session 30).
--
-- The hash of the k-th new version of a lineage is
--   sha256(hash of the (k-1)-th, or the lineage's last stored chain_hash, or
--          its identity_hash || tierledger_chain_text(the version))
-- as before (0014): the chain, its text and every stored hash are unchanged.
-- The recursive query joined the batch with itself once a round (a sort of
-- the whole batch a round, 7 rounds for 50,000 versions of 12,500
-- lineages) and copied every row into its work table; the aggregate
-- tierledger_chain(seed, text) over (PARTITION BY lineage ORDER BY k) takes
-- one sort. On 50,000 versions: 705 ms against 313 ms (EXPLAIN ANALYZE of
-- the two forms of the chain alone, without the insert).

CREATE FUNCTION tierledger_chain_step(state bytea, seed bytea, link text) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN sha256(coalesce(state, seed) || convert_to(link, 'UTF8'));
END $$;
COMMENT ON FUNCTION tierledger_chain_step(bytea, bytea, text) IS
    'One link of a hash chain: sha256(the previous hash, or seed for the first || link)';
CREATE AGGREGATE tierledger_chain(seed bytea, link text) (
    SFUNC = tierledger_chain_step, STYPE = bytea);
COMMENT ON AGGREGATE tierledger_chain(bytea, text) IS
    'The hash chain of the links in aggregate order from seed (as a window: each link''s hash)';
REVOKE ALL ON FUNCTION tierledger_chain_step(bytea, bytea, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION tierledger_chain(bytea, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION tierledger_append_transitions(new_rows tierledger_new_transition[])
    RETURNS bigint
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
    WITH
    -- the k-th new version of its lineage in this batch
    input AS MATERIALIZED (
        SELECT ids[row_number() OVER (ORDER BY r.database_id, r.ord)] AS id, r.*,
               row_number() OVER (PARTITION BY r.database_id ORDER BY r.ord) AS k
          FROM unnest(new_rows) WITH ORDINALITY AS r (database_id, started_at, ended_at, state,
               from_objective, to_objective, operation_id, initiated_by, source, source_record_id,
               inferred, ord)),
    -- what each lineage's first new version links onto: its last version, or its identity
    heads AS (
        SELECT i.database_id, coalesce(l.chain_seq, 0) AS chain_seq,
               coalesce(l.chain_hash, d.identity_hash) AS seed
          FROM input i JOIN databases d ON d.id = i.database_id
          LEFT JOIN LATERAL (SELECT t.chain_seq, t.chain_hash FROM transitions t
                              WHERE t.database_id = i.database_id
                              ORDER BY t.chain_seq DESC LIMIT 1) l ON true
         WHERE i.k = 1),
    linked AS (
        SELECT i.*, (h.chain_seq + i.k)::integer AS chain_seq, h.seed
          FROM input i JOIN heads h ON h.database_id = i.database_id)
    INSERT INTO transitions (id, database_id, started_at, ended_at, state, from_objective,
                             to_objective, operation_id, initiated_by, source, source_record_id,
                             inferred, recorded_at, recorded_by, recorded_via, chain_seq, chain_hash)
    OVERRIDING SYSTEM VALUE
    SELECT c.id, c.database_id, c.started_at, c.ended_at, c.state, c.from_objective,
           c.to_objective, c.operation_id, c.initiated_by, c.source, c.source_record_id,
           coalesce(c.inferred, false), now(), session_user, tierledger_recorded_via(),
           c.chain_seq,
           tierledger_chain(c.seed, tierledger_chain_text(
               c.id, c.database_id, c.chain_seq, c.started_at, c.ended_at, c.state,
               c.from_objective, c.to_objective, c.operation_id, c.initiated_by, c.source,
               c.source_record_id, coalesce(c.inferred, false), now(), session_user::text,
               tierledger_recorded_via()))
               OVER (PARTITION BY c.database_id ORDER BY c.k ROWS UNBOUNDED PRECEDING)
      FROM linked c;
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
