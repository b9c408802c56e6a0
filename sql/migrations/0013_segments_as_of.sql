-- 0013_segments_as_of.sql - the as-of-independent form of a segment (the
-- issue "Auditors can rely on it", L11). refresh computes the segments from
-- all that is recorded; each keeps its instants (start, end, first loss and
-- its cause, and when the loss counts only as assumed), from which the audit
-- views evaluate status, windows and losses at any tierledger.as_of, with
-- the retention in force then, without a refresh.
ALTER TABLE lineage_segments
    ADD COLUMN cause_ended_at timestamptz,
    ADD COLUMN loss_assumed_during tstzmultirange NOT NULL DEFAULT '{}';
COMMENT ON TABLE lineage_segments IS
    'The backup chains (segments, domain.md L1) of every lineage, computed by tierledger refresh '
    'from all that was recorded at computed_at: boundaries, the first loss and its cause (L3, L4), '
    'as instants. Status, restore windows, retention and losses at an instant are evaluated by the '
    'views at tierledger_now().';
COMMENT ON COLUMN lineage_segments.cause_ended_at IS
    'when the transition that caused the loss ended; NULL while it runs';
COMMENT ON COLUMN lineage_segments.loss_assumed_during IS
    'L3: the instants at which the loss counts only as assumed (every loss by then came from a '
    'reverse migration that had ended Failed by then); empty when it surely happened';
COMMENT ON COLUMN lineage_segments.loss_assumed IS
    'L3: loss_assumed_during holds the end of time: from what is recorded, only reverse '
    'migrations that ended Failed caused the loss';
COMMENT ON COLUMN lineage_segments.retention_days IS
    'R in force at computed_at, assumed 7 when unknown (L9); the views use the R in force at '
    'tierledger_now() (tierledger_retention_at)';
