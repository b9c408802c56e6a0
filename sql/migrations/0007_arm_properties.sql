-- 0007_arm_properties.sql - the ARM database properties the collector keeps
-- as facts (collector/azure.c AZ_FACT_PROPERTIES), as one JSON object per
-- facts row, so that a new fact read from ARM needs no new column: the
-- collector lists the property, the facts query reads it from here.

ALTER TABLE database_facts ADD COLUMN arm_properties jsonb
    CHECK (arm_properties IS NULL OR jsonb_typeof(arm_properties) = 'object');
COMMENT ON COLUMN database_facts.arm_properties IS
    'ARM database properties kept as facts (e.g. zoneRedundant), as observed by the collector; '
    'NULL for imported facts and for rows older than this column';
