-- 0005_collector_usage.sql - the collector also records daily backup usage
-- (backup_usage rows with source 'collector', from Azure Monitor metrics);
-- each run counts the days it added or changed.

ALTER TABLE collector_runs ADD COLUMN usage_days_added integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN collector_runs.usage_days_added IS
    'backup_usage days (source collector) this run inserted or replaced with other figures';
