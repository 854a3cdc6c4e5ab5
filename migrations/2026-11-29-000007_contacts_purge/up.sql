-- When a closed wave's contact data were deleted (issue #8 point 9): its frame rows are gone
-- and its sampled units no longer name one, so no response can be joined back to a person.
ALTER TABLE waves ADD COLUMN contacts_purged_at TIMESTAMPTZ;
ALTER TABLE waves ADD COLUMN closed_at TIMESTAMPTZ;
