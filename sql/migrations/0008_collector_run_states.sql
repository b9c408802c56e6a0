-- 0008_collector_run_states.sql - two more ends of a collector run:
-- 'deadline' (the run's --deadline passed; what was written stays) and
-- 'abandoned' (the process died while running; the next run, holding the
-- collector lock that every live run holds, closes its row).

ALTER TABLE collector_runs DROP CONSTRAINT collector_runs_status_check;
ALTER TABLE collector_runs ADD CONSTRAINT collector_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'deadline', 'abandoned'));
COMMENT ON TABLE collector_runs IS
    'One row per run of tierledger collect: when, what it saw and wrote, and what failed '
    '(error_summary names the subscription, server or URL). status: running, succeeded, partial '
    '(some servers failed), failed, deadline (--deadline ended it; what was written stays), '
    'abandoned (its process died; closed by the next run, ended_at is when that run found it).';
