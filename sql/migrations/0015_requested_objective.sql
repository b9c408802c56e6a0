-- 0015_requested_objective.sql - the facts W6 needs (domain.md round two):
-- ARM's requestedServiceObjectiveName when it differs from the current
-- objective, and since when it has been seen so. The collector writes them
-- (a new facts row when the request appears, changes or goes); import-facts
-- takes them as columns.
ALTER TABLE database_facts
    ADD COLUMN requested_objective text CHECK (requested_objective <> ''),
    ADD COLUMN requested_since timestamptz,
    ADD CHECK (requested_since IS NULL OR requested_objective IS NOT NULL);
COMMENT ON COLUMN database_facts.requested_objective IS
    'W6: requestedServiceObjectiveName while it differs from the current objective; NULL when it does not (or unknown)';
COMMENT ON COLUMN database_facts.requested_since IS
    'W6: since when the requested objective has been seen differing';
