-- 0024_transition_keys.sql - the objective keys of a transition stored
-- (generated from from_objective and to_objective by
-- tierledger_objective_key, so they cannot disagree) and indexed in the
-- order current_transitions picks the latest version in: every page of the
-- fleet (refresh, report warnings, report chargeback) and every import
-- check read it, and they no longer compute the keys of each row and sort
-- them (the issue "Fleet scale", item 5: bench/RESULTS.md). The hash chain
-- (0014) covers its own list of columns, which these are not in.
ALTER TABLE transitions
    ADD COLUMN from_key text GENERATED ALWAYS AS (tierledger_objective_key(from_objective)) STORED,
    ADD COLUMN to_key   text GENERATED ALWAYS AS (tierledger_objective_key(to_objective)) STORED;
CREATE INDEX transitions_current ON transitions (database_id, started_at, from_key, to_key, id DESC);
CREATE OR REPLACE VIEW current_transitions AS
SELECT DISTINCT ON (database_id, started_at, from_key, to_key)
       *
  FROM transitions
 ORDER BY database_id, started_at, from_key, to_key, id DESC;
COMMENT ON COLUMN transitions.from_key IS
    'tierledger_objective_key(from_objective): the objective as compared (lower case, no SQLDB_; '''' for a creation)';
COMMENT ON COLUMN transitions.to_key IS 'tierledger_objective_key(to_objective)';
COMMENT ON COLUMN current_transitions.from_key IS 'tierledger_objective_key(from_objective)';
COMMENT ON COLUMN current_transitions.to_key IS 'tierledger_objective_key(to_objective)';
-- the view now also carries the columns added to transitions since 0006
COMMENT ON COLUMN current_transitions.recorded_by IS 'the PostgreSQL login role that recorded this version';
COMMENT ON COLUMN current_transitions.recorded_via IS 'the run or file it came from (tierledger.recorded_via)';
COMMENT ON COLUMN current_transitions.chain_seq IS 'its place in the lineage''s hash chain (transitions.chain_seq)';
COMMENT ON COLUMN current_transitions.chain_hash IS 'its link in the hash chain (transitions.chain_hash)';
