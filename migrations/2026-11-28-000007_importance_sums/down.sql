-- The cells have the new length: remove them; rebuild with the previous version afterwards.
DELETE FROM desk_daily;
DROP TABLE rollup_state;
