DROP TABLE paper_entries;
ALTER TABLE waves DROP COLUMN double_entry;
