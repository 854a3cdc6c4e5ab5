DROP TABLE sample_units;
ALTER TABLE waves DROP COLUMN draw;
