DROP TABLE wave_strata;
ALTER TABLE waves DROP COLUMN design;
