-- 0012_loss_assumed.sql - L3 round two: a loss caused only by reverse
-- migrations that ended Failed (they may have failed their prerequisite
-- checks before starting) is counted, and marked.
ALTER TABLE lineage_segments ADD COLUMN loss_assumed boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN lineage_segments.loss_assumed IS
    'L3: true when only reverse migrations that ended Failed caused the loss (it may not have happened)';
