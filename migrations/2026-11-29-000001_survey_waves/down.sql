DROP TABLE frame_units;
DROP TABLE waves;
