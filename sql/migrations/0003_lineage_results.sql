-- 0003_lineage_results.sql - what the lineage and billing model computed,
-- stored by `tierledger refresh` for the audit views of sql/views. Derived
-- data: refresh replaces it whole, in one transaction; the source of truth
-- stays in transitions, database_facts and backup_usage.

CREATE TABLE lineage_segments (
    database_id        bigint      NOT NULL REFERENCES databases (id),
    seq                integer     NOT NULL CHECK (seq >= 1),
    architecture       text        NOT NULL CHECK (architecture IN ('standard', 'hyperscale')),
    objectives         text[]      NOT NULL,
    start_at           timestamptz NOT NULL,
    end_at             timestamptz,
    retention_days     integer     NOT NULL CHECK (retention_days BETWEEN 1 AND 35),
    retention_assumed  boolean     NOT NULL,
    lost_at            timestamptz,
    lost_rule          text        CHECK (lost_rule IN ('L2', 'L3', 'L4')),
    cause_kind         text,
    cause_started_at   timestamptz,
    cause_to_objective text,
    cause_state        text,
    cause_initiated_by text,
    cause_operation_id text,
    computed_at        timestamptz NOT NULL,
    PRIMARY KEY (database_id, seq)
);
COMMENT ON TABLE lineage_segments IS
    'The backup chains (segments, domain.md L1) of every lineage as computed by tierledger '
    'refresh at computed_at: boundaries, the loss instant and its cause (L3/L4). Status and '
    'restore windows depend on the clock and are computed by the views.';
COMMENT ON COLUMN lineage_segments.end_at IS 'cutover that ended it; NULL for the current segment';
COMMENT ON COLUMN lineage_segments.lost_at IS
    'when it became unrestorable by a reverse-migration start (L3) or a cutover (L4)';
COMMENT ON COLUMN lineage_segments.retention_days IS 'R used; assumed 7 when unknown (L9)';

CREATE TABLE billing_monthly (
    database_id       bigint  NOT NULL REFERENCES databases (id),
    month             date    NOT NULL CHECK (extract(day FROM month) = 1),
    seq               integer NOT NULL,
    backup_kind       text    NOT NULL CHECK (backup_kind IN ('pitr', 'hyperscale_backup')),
    architecture      text    NOT NULL,
    billable_gb_month numeric NOT NULL,
    consumed_gb_month numeric NOT NULL,
    dtu_included      boolean NOT NULL,
    decaying_estimate boolean NOT NULL,
    partial_month     boolean NOT NULL,
    computed_at       timestamptz NOT NULL,
    PRIMARY KEY (database_id, month, seq)
);
COMMENT ON TABLE billing_monthly IS
    'Billable backup storage per lineage, month and segment in GB-month (domain.md B1-B4) as '
    'computed by tierledger refresh: estimates from the documented formulas, not invoice amounts.';
COMMENT ON COLUMN billing_monthly.partial_month IS 'the month was not over at computed_at';
COMMENT ON COLUMN billing_monthly.decaying_estimate IS
    'includes a previous segment estimated from its last size after cutover (B4)';

GRANT SELECT ON lineage_segments, billing_monthly TO tierledger_reader;
