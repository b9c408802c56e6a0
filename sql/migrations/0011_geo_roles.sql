-- 0011_geo_roles.sql - the facts E11 needs (domain.md round two): the
-- database's geo-replication role and how many geo-secondaries it has.
ALTER TABLE database_facts
    ADD COLUMN geo_role text CHECK (geo_role IN ('none', 'primary', 'secondary')),
    ADD COLUMN geo_secondaries integer CHECK (geo_secondaries >= 0);
COMMENT ON COLUMN database_facts.geo_role IS
    'E11: none, primary (of geo-secondaries) or secondary (a geo-secondary); NULL unknown';
COMMENT ON COLUMN database_facts.geo_secondaries IS
    'E11: its own geo-secondaries (for a secondary, more than 0 means chained); NULL unknown';
