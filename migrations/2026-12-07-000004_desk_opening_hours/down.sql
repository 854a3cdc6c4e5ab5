ALTER TABLE desks DROP COLUMN opening_hours;
