-- Fieldwork of the annual survey. A sampled unit's response is linked to it: at most one per
-- unit (the single use of an invitation is the database's rule, not only the code's). Desk
-- ratings have no unit, and a unit's response comes through the annual form or paper only.
-- The unique index is partial so that desk ratings (millions, the hot path) add no entry.
ALTER TABLE sample_units
    ADD COLUMN invited_at   TIMESTAMPTZ,
    ADD COLUMN reminded_at  TIMESTAMPTZ,
    ADD COLUMN responded_at TIMESTAMPTZ,
    -- Purging contacts cuts the link to the frame row (issue #8 point 9).
    ALTER COLUMN frame_unit_id DROP NOT NULL;
ALTER TABLE waves ADD COLUMN fieldwork_started_at TIMESTAMPTZ;

ALTER TABLE responses ADD COLUMN sample_unit_id BIGINT REFERENCES sample_units (id);
CREATE UNIQUE INDEX responses_sample_unit_id_key ON responses (sample_unit_id)
    WHERE sample_unit_id IS NOT NULL;
ALTER TABLE responses ADD CONSTRAINT responses_sample_unit_by_channel
    CHECK ((sample_unit_id IS NOT NULL) = (channel IN ('annual_sample', 'paper')));
