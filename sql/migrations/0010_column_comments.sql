-- 0010_column_comments.sql - a COMMENT on every column the earlier
-- migrations left without one, so that the schema describes itself (the
-- audit views' columns are commented in sql/views/audit.sql).
COMMENT ON COLUMN schema_version.version IS 'migration number: NNNN of sql/migrations/NNNN_name.sql';
COMMENT ON COLUMN schema_version.name IS 'the migration file applied';
COMMENT ON COLUMN schema_version.applied_at IS 'when tierledger init applied it';
COMMENT ON COLUMN schema_views.id IS 'always 1: one row';
COMMENT ON COLUMN schema_views.bundle_hash IS 'hash of the sql/views text last applied; init recreates the views when it differs';
COMMENT ON COLUMN schema_views.applied_at IS 'when the views were last recreated';

COMMENT ON COLUMN databases.id IS 'lineage id (internal; other tables refer to it)';
COMMENT ON COLUMN databases.subscription_id IS 'Azure subscription of the resource id';
COMMENT ON COLUMN databases.resource_group IS 'resource group of the resource id';
COMMENT ON COLUMN databases.server_name IS 'logical SQL server of the resource id';
COMMENT ON COLUMN databases.database_name IS 'database name of the resource id';
COMMENT ON COLUMN databases.recorded_at IS 'when tierledger first recorded the lineage';

COMMENT ON COLUMN transitions.id IS 'version id, increasing in the order versions were recorded';
COMMENT ON COLUMN transitions.database_id IS 'the lineage (databases.id)';
COMMENT ON COLUMN transitions.started_at IS 'when the operation started; for the creation row, the creation time';
COMMENT ON COLUMN transitions.to_objective IS 'service objective it changes to (for the creation: the first)';
COMMENT ON COLUMN transitions.operation_id IS 'Azure operation id (name of the databases/operations item), when known';
COMMENT ON COLUMN transitions.recorded_at IS 'when this version was recorded';

COMMENT ON COLUMN current_transitions.id IS 'the newest version of the transition (transitions.id)';
COMMENT ON COLUMN current_transitions.database_id IS 'the lineage (databases.id)';
COMMENT ON COLUMN current_transitions.started_at IS 'when the operation started (the creation: when created)';
COMMENT ON COLUMN current_transitions.ended_at IS 'when it ended; NULL while Pending, InProgress or CancelInProgress';
COMMENT ON COLUMN current_transitions.state IS 'Pending, InProgress, Succeeded, Failed, CancelInProgress or Cancelled';
COMMENT ON COLUMN current_transitions.from_objective IS 'service objective before; NULL for the creation';
COMMENT ON COLUMN current_transitions.to_objective IS 'service objective after';
COMMENT ON COLUMN current_transitions.operation_id IS 'Azure operation id, when known';
COMMENT ON COLUMN current_transitions.initiated_by IS 'who started it (Activity Log caller or the import), when known';
COMMENT ON COLUMN current_transitions.source IS 'import, operations, activity_log or observed';
COMMENT ON COLUMN current_transitions.source_record_id IS 'id of the record it came from (operation or event id), when any';
COMMENT ON COLUMN current_transitions.inferred IS 'true when no operation was seen: deduced from an objective change between polls';
COMMENT ON COLUMN current_transitions.recorded_at IS 'when this newest version was recorded';

COMMENT ON COLUMN database_facts.id IS 'observation id';
COMMENT ON COLUMN database_facts.database_id IS 'the lineage (databases.id)';
COMMENT ON COLUMN database_facts.observed_at IS 'when the facts were observed; checks use the newest observed by their as-of';
COMMENT ON COLUMN database_facts.elastic_pool_id IS 'ARM id of the elastic pool, NULL when none or unknown';
COMMENT ON COLUMN database_facts.in_elastic_pool IS 'whether the database is in an elastic pool (E5); NULL unknown';
COMMENT ON COLUMN database_facts.named_replicas IS 'number of Hyperscale named replicas (E7); NULL unknown';
COMMENT ON COLUMN database_facts.allocated_bytes IS 'allocated data size in bytes (E8); NULL unknown';
COMMENT ON COLUMN database_facts.max_size_bytes IS 'max data size in bytes (B1); -1 for Hyperscale; NULL unknown';
COMMENT ON COLUMN database_facts.source IS 'import or collector';
COMMENT ON COLUMN database_facts.recorded_at IS 'when the row was recorded';

COMMENT ON COLUMN backup_usage.id IS 'row id';
COMMENT ON COLUMN backup_usage.database_id IS 'the lineage alive that day (databases.id)';
COMMENT ON COLUMN backup_usage.allocated_bytes IS 'allocated data size that day in bytes (Hyperscale: the data storage size, B3); NULL unknown';
COMMENT ON COLUMN backup_usage.region IS 'Azure region of the database, for the price sheet; NULL unknown';
COMMENT ON COLUMN backup_usage.elastic_pool_id IS 'ARM id of its elastic pool that day (B1 at pool level); NULL when none';
COMMENT ON COLUMN backup_usage.tags IS 'ARM tags that day as a JSON object (cost centre for chargeback)';
COMMENT ON COLUMN backup_usage.source IS 'import or collector (Azure Monitor metrics)';
COMMENT ON COLUMN backup_usage.recorded_at IS 'when the figures were recorded or last replaced';

COMMENT ON COLUMN lineage_segments.database_id IS 'the lineage (databases.id)';
COMMENT ON COLUMN lineage_segments.seq IS 'segment number within the lineage, 1 for the oldest (L1)';
COMMENT ON COLUMN lineage_segments.architecture IS 'standard or hyperscale (T3)';
COMMENT ON COLUMN lineage_segments.objectives IS 'the service objectives the segment went through, in order';
COMMENT ON COLUMN lineage_segments.start_at IS 'creation or the cutover that opened the segment';
COMMENT ON COLUMN lineage_segments.retention_assumed IS 'true when the retention was unknown and 7 days was assumed (L9)';
COMMENT ON COLUMN lineage_segments.lost_rule IS 'rule of the loss: L3 (reverse migration start), L4 (conversion cutover) or L2; NULL when not lost';
COMMENT ON COLUMN lineage_segments.cause_kind IS 'kind of the transition that caused the loss (conversion, reverse_migration, ...)';
COMMENT ON COLUMN lineage_segments.cause_started_at IS 'when the transition that caused the loss started';
COMMENT ON COLUMN lineage_segments.cause_to_objective IS 'target objective of the transition that caused the loss';
COMMENT ON COLUMN lineage_segments.cause_state IS 'state of the transition that caused the loss (a Cancelled one still loses, L3)';
COMMENT ON COLUMN lineage_segments.cause_initiated_by IS 'who started the transition that caused the loss, when known';
COMMENT ON COLUMN lineage_segments.cause_operation_id IS 'Azure operation id of the transition that caused the loss, when known';
COMMENT ON COLUMN lineage_segments.computed_at IS 'when tierledger refresh computed the row';

COMMENT ON COLUMN billing_monthly.database_id IS 'the lineage (databases.id)';
COMMENT ON COLUMN billing_monthly.month IS 'first day of the calendar month (UTC)';
COMMENT ON COLUMN billing_monthly.seq IS 'the segment billed (lineage_segments.seq)';
COMMENT ON COLUMN billing_monthly.backup_kind IS 'pitr or hyperscale_backup';
COMMENT ON COLUMN billing_monthly.architecture IS 'standard or hyperscale';
COMMENT ON COLUMN billing_monthly.billable_gb_month IS 'billable backup storage in GB-months after the allowance (B1-B4)';
COMMENT ON COLUMN billing_monthly.consumed_gb_month IS 'backup storage held in GB-months before the allowance';
COMMENT ON COLUMN billing_monthly.dtu_included IS 'true for DTU databases: backup storage is included in the price (B2), nothing billed';
COMMENT ON COLUMN billing_monthly.computed_at IS 'when tierledger refresh computed the row';

COMMENT ON COLUMN collector_runs.id IS 'run id';
COMMENT ON COLUMN collector_runs.started_at IS 'when the run started';
COMMENT ON COLUMN collector_runs.ended_at IS 'when it ended; NULL while running';
COMMENT ON COLUMN collector_runs.status IS 'running, succeeded, partial, failed, deadline or abandoned (its process died)';
COMMENT ON COLUMN collector_runs.host IS 'host name the collector ran on';
COMMENT ON COLUMN collector_runs.pid IS 'process id of the collector';
COMMENT ON COLUMN collector_runs.arm_url IS 'Resource Manager base URL used';
COMMENT ON COLUMN collector_runs.subscriptions IS 'subscriptions listed';
COMMENT ON COLUMN collector_runs.servers IS 'SQL servers listed';
COMMENT ON COLUMN collector_runs.databases IS 'databases written';
COMMENT ON COLUMN collector_runs.requests IS 'HTTP requests sent (attempts)';
COMMENT ON COLUMN collector_runs.retries IS 'requests retried (429, 5xx, connection errors)';
COMMENT ON COLUMN collector_runs.transitions_added IS 'transition versions recorded';
COMMENT ON COLUMN collector_runs.facts_added IS 'fact observations recorded';
COMMENT ON COLUMN collector_runs.drops_added IS 'drops recorded';
COMMENT ON COLUMN collector_runs.errors IS 'number of failed subscriptions and servers';
COMMENT ON COLUMN collector_runs.error_summary IS 'one line per failure, naming the server or subscription and why';

COMMENT ON COLUMN database_observations.database_id IS 'the lineage (databases.id)';
COMMENT ON COLUMN database_observations.first_seen_at IS 'first poll that saw the database';
COMMENT ON COLUMN database_observations.observed_at IS 'last poll that saw it';
COMMENT ON COLUMN database_observations.current_objective IS 'currentServiceObjectiveName at the last poll';
COMMENT ON COLUMN database_observations.requested_objective IS 'requestedServiceObjectiveName at the last poll';
COMMENT ON COLUMN database_observations.status IS 'ARM status at the last poll (Online, Scaling, ...)';
COMMENT ON COLUMN database_observations.sku IS 'ARM sku at the last poll, as JSON';
COMMENT ON COLUMN database_observations.redundancy IS 'currentBackupStorageRedundancy at the last poll (Local, Zone, Geo, GeoZone)';
COMMENT ON COLUMN database_observations.earliest_restore_at IS 'earliestRestoreDate at the last poll, when given';
COMMENT ON COLUMN database_observations.tags IS 'ARM tags at the last poll, as JSON';
COMMENT ON COLUMN database_observations.details_at IS 'when operations and retention were last read for it';
COMMENT ON COLUMN database_observations.last_run_id IS 'collector run of the last poll (collector_runs.id)';

COMMENT ON COLUMN database_drops.database_id IS 'the lineage dropped (databases.id)';
COMMENT ON COLUMN database_drops.dropped_at IS 'when it was dropped (deletionDate when Azure lists it, else the poll that missed it)';
COMMENT ON COLUMN database_drops.confirmed_at IS 'when the drop was confirmed (a 404 on the database)';
COMMENT ON COLUMN database_drops.source IS 'restorable_dropped (Azure gave the time) or observed';
COMMENT ON COLUMN database_drops.source_record_id IS 'ARM id of the restorable dropped database, when any';
COMMENT ON COLUMN database_drops.recorded_at IS 'when the drop was recorded';

COMMENT ON COLUMN collector_cursors.subscription_id IS 'Azure subscription';
COMMENT ON COLUMN collector_cursors.activity_log_until IS 'Activity Log read up to this instant (moves only forward)';
