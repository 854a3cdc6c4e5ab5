ALTER TABLE waves DROP COLUMN closed_at;
ALTER TABLE waves DROP COLUMN contacts_purged_at;
