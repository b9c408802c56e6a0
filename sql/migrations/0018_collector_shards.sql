-- 0018_collector_shards.sql - several collectors, one store (the issue
-- "Fleet scale", item 6): a collector run locks the subscriptions it
-- collects, a row each here, instead of one global lock, so runs on
-- disjoint subscription sets go on at once; and each run records which
-- subscriptions it holds, so the holder of one can be named and a run whose
-- process died is told from one still going.
CREATE TABLE collector_locks (
    subscription_key text PRIMARY KEY CHECK (subscription_key = lower(subscription_key))
);
COMMENT ON TABLE collector_locks IS
    'One row per subscription ever collected: a collector run holds FOR UPDATE the rows of the '
    'subscriptions it collects for as long as it runs';
COMMENT ON COLUMN collector_locks.subscription_key IS 'the subscription id, lower case';
GRANT SELECT, INSERT, UPDATE ON collector_locks TO tierledger_writer;
GRANT SELECT ON collector_locks TO tierledger_reader;

ALTER TABLE collector_runs ADD COLUMN subscription_keys text[];
COMMENT ON COLUMN collector_runs.subscription_keys IS
    'the subscriptions (lower case) the run locked; NULL until it has locked them, and for runs '
    'before version 18, which held one lock for all';
