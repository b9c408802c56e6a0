-- 0004_collector.sql - what `tierledger collect` keeps besides transitions:
-- one row per run (audit), the latest observation of each lineage (what the
-- next run compares with), confirmed drops (L8), and the Activity Log
-- watermark per subscription.

CREATE TABLE collector_runs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at        timestamptz NOT NULL,
    ended_at          timestamptz,
    status            text        NOT NULL CHECK (status IN ('running', 'succeeded', 'partial',
                                                             'failed')),
    host              text        NOT NULL,
    pid               integer     NOT NULL,
    arm_url           text        NOT NULL,
    subscriptions     integer     NOT NULL DEFAULT 0,
    servers           integer     NOT NULL DEFAULT 0,
    databases         integer     NOT NULL DEFAULT 0,
    requests          integer     NOT NULL DEFAULT 0,
    retries           integer     NOT NULL DEFAULT 0,
    transitions_added integer     NOT NULL DEFAULT 0,
    facts_added       integer     NOT NULL DEFAULT 0,
    drops_added       integer     NOT NULL DEFAULT 0,
    errors            integer     NOT NULL DEFAULT 0,
    error_summary     text[]      NOT NULL DEFAULT '{}',
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    CHECK ((status = 'running') = (ended_at IS NULL))
);
COMMENT ON TABLE collector_runs IS
    'One row per run of tierledger collect: when, what it saw and wrote, and what failed '
    '(error_summary names the subscription, server or URL). A run killed before it ended stays '
    '''running'' with no ended_at.';

CREATE TABLE database_observations (
    database_id         bigint      PRIMARY KEY REFERENCES databases (id),
    first_seen_at       timestamptz NOT NULL,
    observed_at         timestamptz NOT NULL,
    current_objective   text,
    requested_objective text,
    status              text,
    sku                 jsonb,
    redundancy          text,
    earliest_restore_at timestamptz,
    tags                jsonb,
    details_at          timestamptz,
    last_run_id         bigint      REFERENCES collector_runs (id)
);
COMMENT ON TABLE database_observations IS
    'The latest state of each lineage as the collector last saw it in Azure (objective, '
    'requested objective, status, sku, backup redundancy, earliest restore point, tags). '
    'details_at is when operations and retention were last read for it.';

CREATE TABLE database_drops (
    database_id      bigint      PRIMARY KEY REFERENCES databases (id),
    dropped_at       timestamptz NOT NULL,
    confirmed_at     timestamptz NOT NULL,
    source           text        NOT NULL CHECK (source IN ('restorable_dropped', 'observed')),
    source_record_id text,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (confirmed_at >= dropped_at)
);
COMMENT ON TABLE database_drops IS
    'Lineages whose database was dropped: confirmed by a 404 on the database itself, never by '
    'absence from a list. dropped_at is the restorable dropped database''s deletionDate when '
    'Azure still lists it (source restorable_dropped), else the confirming poll (observed).';

CREATE TABLE collector_cursors (
    subscription_id    text        PRIMARY KEY,
    activity_log_until timestamptz NOT NULL
);
COMMENT ON TABLE collector_cursors IS
    'Per subscription, the end of the Activity Log span already read; the next run reads on '
    'from there (with an overlap), the first run backfills what Azure still keeps (90 days).';

GRANT SELECT ON collector_runs, database_observations, database_drops, collector_cursors
    TO tierledger_reader;
