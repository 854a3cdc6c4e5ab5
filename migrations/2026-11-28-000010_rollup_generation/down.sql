ALTER TABLE rollup_state DROP COLUMN generation;
