-- 0029_databases_created.sql - an incremental refresh finds the lineages
-- created after the last refresh's as-of (which that refresh left out) by
-- index instead of reading all of databases (the issue "Fleet scale", item
-- 3; bench/RESULTS.md, session 33): 90 ms of a 0.72 s refresh of 3,000
-- changed lineages of 300,000, and linear in the fleet. The range it asks
-- for is almost always empty or a few lineages.
CREATE INDEX databases_created ON databases (created_at);
