-- 0006_objective_key.sql - one SQL spelling of objective equality (the C
-- side's objective_equal: case-insensitive, the SQLDB_ prefix ignored), used
-- by current_transitions and by the collector's duplicate guard instead of
-- the regexp written out at each place.

CREATE FUNCTION tierledger_objective_key(objective text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(lower(coalesce(objective, '')), '^sqldb_', '');
COMMENT ON FUNCTION tierledger_objective_key(text) IS
    'Objective name as compared: lower case, without the SQLDB_ prefix; '''' for NULL (a creation)';
GRANT EXECUTE ON FUNCTION tierledger_objective_key(text) TO tierledger_reader;

CREATE OR REPLACE VIEW current_transitions AS
SELECT DISTINCT ON (database_id, started_at, tierledger_objective_key(from_objective),
                    tierledger_objective_key(to_objective))
       *
  FROM transitions
 ORDER BY database_id, started_at, tierledger_objective_key(from_objective),
          tierledger_objective_key(to_objective), id DESC;
