-- Days before yesterday never change in the aggregates, so app nodes keep their sums in
-- memory; only a rebuild (or a bulk load) rewrites them. It bumps this generation, and a node
-- that sees a new generation forgets what it kept.
ALTER TABLE rollup_state ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
INSERT INTO rollup_state (stale) SELECT false WHERE NOT EXISTS (SELECT 1 FROM rollup_state);
