-- 0027_fleet_writes.sql - two costs of writing at fleet size (the issue
-- "Fleet scale"; bench/RESULTS.md, session 28).
--
-- 1. transitions_database (database_id, started_at), from 0001, is the
--    leading part of transitions_current (database_id, started_at,
--    from_key, to_key, id DESC), from 0024: every query that could use the
--    first (a lineage's versions by start, a range of lineages in that
--    order) is served in the same order by the second. Keeping both cost an
--    index entry per version written, and 15 MB of the 75 MB of indexes per
--    400,000 versions (37 bytes a version).
-- 2. tierledger_lineage_added() (0019), the statement trigger that notes new
--    lineages and the other lineages of their resources for refresh, joined
--    the statement's rows with databases: the planner sorted the whole of
--    databases for every statement (a merge join, 650 ms for a batch of
--    12,000 lineages at 1M), so `import`'s cost per lineage grew with the
--    store. It now reads databases by resource_key, which leads its unique
--    key (resource_key, created_at), for the statement's distinct keys.
DROP INDEX transitions_database;

CREATE OR REPLACE FUNCTION tierledger_lineage_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lineage_changes (database_id)
    SELECT d.id FROM databases d
     WHERE d.resource_key = ANY (ARRAY(SELECT DISTINCT resource_key FROM changed_rows));
    RETURN NULL;
END $$;
