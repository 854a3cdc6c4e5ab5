-- A desk's opening hours (issue #19, point 4), as an administrator typed them
-- (`domain::opening_hours`); none: the default, Monday to Saturday 07:00–17:30. Screening holds
-- a rating given outside them.
ALTER TABLE desks
    ADD COLUMN opening_hours TEXT CHECK (octet_length(opening_hours) BETWEEN 1 AND 200);
