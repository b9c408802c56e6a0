-- 0016_subscriptions.sql - the subscriptions the collector has listed, with
-- their display names: the chargeback's FOCUS SubAccountName (the issue
-- "Finance can rely on it"). A row changes only when the name or state
-- does: the same Azure state collected twice changes nothing.
CREATE TABLE subscriptions (
    subscription_id text        PRIMARY KEY,
    display_name    text,
    state           text,
    recorded_at     timestamptz NOT NULL,
    run_id          bigint      REFERENCES collector_runs (id)
);
COMMENT ON TABLE subscriptions IS
    'Each subscription the collector listed (ARM /subscriptions), with the name and state it last had';
COMMENT ON COLUMN subscriptions.subscription_id IS 'subscriptionId (lower case)';
COMMENT ON COLUMN subscriptions.display_name IS 'displayName: the chargeback''s SubAccountName';
COMMENT ON COLUMN subscriptions.state IS 'state (Enabled, Warned, PastDue, Disabled, Deleted)';
COMMENT ON COLUMN subscriptions.recorded_at IS 'when this name and state were first seen (the run''s instant)';
COMMENT ON COLUMN subscriptions.run_id IS 'the collector run that first saw this name and state';
GRANT SELECT, INSERT, UPDATE ON subscriptions TO tierledger_writer;
GRANT SELECT ON subscriptions TO tierledger_reader;
