ALTER TABLE waves DROP COLUMN reminder_days;
ALTER TABLE sample_units
    DROP CONSTRAINT sample_units_replaced_only_when_lost,
    DROP COLUMN outcome_on,
    DROP COLUMN reminders,
    DROP COLUMN replaced_by;
ALTER TABLE sample_units DROP CONSTRAINT sample_units_status_check;
ALTER TABLE sample_units ADD CONSTRAINT sample_units_status_check
    CHECK (status IN ('selected', 'invited', 'reminded', 'responded', 'refused',
                      'undeliverable', 'replaced'));
