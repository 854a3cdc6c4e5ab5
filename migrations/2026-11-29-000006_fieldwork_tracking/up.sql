-- Tracking the fieldwork. A unit's status is its disposition: invited, reminded, returned (a
-- paper questionnaire came back and waits to be keyed), responded, refused, undeliverable.
-- A refused or undeliverable unit may be replaced by the next reserve unit of its stratum:
-- it keeps its disposition (the response rate counts it) and names its replacement.
ALTER TABLE sample_units DROP CONSTRAINT sample_units_status_check;
ALTER TABLE sample_units ADD CONSTRAINT sample_units_status_check
    CHECK (status IN ('selected', 'invited', 'reminded', 'returned', 'responded', 'refused',
                      'undeliverable', 'replaced'));
ALTER TABLE sample_units
    ADD COLUMN replaced_by BIGINT UNIQUE REFERENCES sample_units (id),
    ADD COLUMN reminders   SMALLINT NOT NULL DEFAULT 0 CHECK (reminders >= 0),
    ADD COLUMN outcome_on  DATE,
    ADD CONSTRAINT sample_units_replaced_only_when_lost
        CHECK (replaced_by IS NULL OR status IN ('refused', 'undeliverable'));
-- Reminder rounds, in days after the invitation (a unit gets round k once, if it has not
-- answered, refused or been found undeliverable by then).
ALTER TABLE waves ADD COLUMN reminder_days SMALLINT[] NOT NULL DEFAULT '{14,28}'
    CHECK (array_position(reminder_days, NULL) IS NULL);
