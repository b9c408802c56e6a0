-- 0022_managed_instance_collector.sql - what `collect` needs to record
-- Managed Instance events (azure-api-mi.md): the instant bounds of a change
-- seen only between two polls, the origin AMB-MI-7 leaves unknown, and the
-- last poll of each instance.
ALTER TABLE mi_events
    ADD COLUMN not_before timestamptz CHECK (not_before IS NULL OR not_before <= at),
    DROP CONSTRAINT mi_events_origin_check,
    ADD CONSTRAINT mi_events_origin_check CHECK (origin IN (
        'new', 'pitr', 'geo_restore', 'ltr_restore', 'copy', 'lrs', 'dms', 'native_restore',
        'mi_link', 'unknown'));
COMMENT ON COLUMN mi_events.not_before IS
    'collector: the last poll that still saw the state before (the change happened in '
    '(not_before, at]); NULL when Azure gave the instant or nothing was polled before';
COMMENT ON COLUMN mi_events.origin IS
    'created: new pitr geo_restore ltr_restore copy, or unknown (the collector saw the database '
    'without its create event: AMB-MI-7); migration_started: lrs dms native_restore mi_link; '
    'move_*: copy for a copy';

-- The last collector run that read an instance in full: the lower bound of
-- the next change it sees there.
CREATE TABLE mi_polls (
    instance_key text        PRIMARY KEY,
    resource_id  text        NOT NULL,
    polled_at    timestamptz NOT NULL,
    run_id       bigint      REFERENCES collector_runs (id)
);
COMMENT ON TABLE mi_polls IS
    'The last collector poll of each managed instance (azure-api-mi.md "Signal retention"): '
    'a change first seen by the next poll happened after polled_at';
COMMENT ON COLUMN mi_polls.instance_key IS 'lower(resource_id)';
COMMENT ON COLUMN mi_polls.resource_id IS 'the instance, as ARM spelled it';
COMMENT ON COLUMN mi_polls.polled_at IS 'the instant of the run that read it (--observed-at or now)';
COMMENT ON COLUMN mi_polls.run_id IS 'that collector run';
GRANT SELECT, INSERT, UPDATE ON mi_polls TO tierledger_writer;
GRANT SELECT ON mi_polls TO tierledger_reader;
