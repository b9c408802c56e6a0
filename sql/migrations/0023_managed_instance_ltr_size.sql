-- 0023_managed_instance_ltr_size.sql - more Managed Instance database
-- events. ltr_policy_changed: its long-term retention policy (domain-mi.md
-- MI-B9; azure-api-mi.md MI-A10): from `at` on, weekly, monthly and yearly
-- full backups are kept for these ISO 8601 durations (PT0S: none); its LTR
-- backups keep the backup storage redundancy in force when the policy was
-- set (W-MI-19). size_observed (also on created and migration_started): the
-- data size and log backup bytes a day from which `report chargeback`
-- estimates the backups stored when no usage is recorded (MI-$13).
-- ltr_backup_taken (at its backupTime, detail = the LTR backup's ARM id,
-- redundancy as listed) and ltr_backup_gone (no longer listed: deleted, or
-- expired): the LTR inventory (MI-A11) that `lineage` shows and MI-$9 bills.
ALTER TABLE mi_events
    ADD COLUMN ltr_weekly       text    CHECK (ltr_weekly ~ '^(P[0-9]+[DWMY]|PT0S)$'),
    ADD COLUMN ltr_monthly      text    CHECK (ltr_monthly ~ '^(P[0-9]+[DWMY]|PT0S)$'),
    ADD COLUMN ltr_yearly       text    CHECK (ltr_yearly ~ '^(P[0-9]+[DWMY]|PT0S)$'),
    ADD COLUMN ltr_week_of_year integer CHECK (ltr_week_of_year BETWEEN 1 AND 52),
    ADD COLUMN data_bytes        bigint  CHECK (data_bytes >= 0),
    ADD COLUMN log_bytes_per_day bigint  CHECK (log_bytes_per_day >= 0),
    DROP CONSTRAINT mi_events_event_check,
    ADD CONSTRAINT mi_events_event_check CHECK (event IN (
        'created', 'migration_started', 'migration_cutover', 'migration_cancelled',
        'restore_point_observed', 'retention_changed', 'dropped', 'move_started', 'move_ready',
        'move_completed', 'move_cancelled', 'instance_changed', 'instance_stopped',
        'instance_started', 'instance_deleted', 'tde_certificate_uploaded', 'link_failover',
        'ltr_policy_changed', 'size_observed', 'ltr_backup_taken', 'ltr_backup_gone'));
COMMENT ON COLUMN mi_events.ltr_weekly IS
    'ltr_policy_changed: how long each weekly full backup is kept (ISO 8601, PT0S: none; MI-B9)';
COMMENT ON COLUMN mi_events.ltr_monthly IS
    'ltr_policy_changed: how long the first backup of each month is kept (ISO 8601, PT0S: none)';
COMMENT ON COLUMN mi_events.ltr_yearly IS
    'ltr_policy_changed: how long the yearly backup is kept (ISO 8601, PT0S: none)';
COMMENT ON COLUMN mi_events.ltr_week_of_year IS
    'ltr_policy_changed: the week of the year whose backup the yearly retention keeps';
COMMENT ON COLUMN mi_events.data_bytes IS
    'size_observed, created, migration_started: the database''s data size, bytes (a full backup '
    'is estimated at a 3.5th of it, MI-$13)';
COMMENT ON COLUMN mi_events.log_bytes_per_day IS
    'size_observed, created, migration_started: log backup bytes stored a day (uncompressed for a '
    'TDE database, MI-$13)';
