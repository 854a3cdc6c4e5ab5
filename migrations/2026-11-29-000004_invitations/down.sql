ALTER TABLE responses DROP CONSTRAINT responses_sample_unit_by_channel;
DROP INDEX responses_sample_unit_id_key;
ALTER TABLE responses DROP COLUMN sample_unit_id;
ALTER TABLE waves DROP COLUMN fieldwork_started_at;
ALTER TABLE sample_units
    DROP COLUMN invited_at,
    DROP COLUMN reminded_at,
    DROP COLUMN responded_at,
    ALTER COLUMN frame_unit_id SET NOT NULL;
