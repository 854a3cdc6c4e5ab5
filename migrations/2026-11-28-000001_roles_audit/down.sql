DROP TABLE audit_log;
DROP FUNCTION audit_log_is_append_only();
ALTER TABLE agencies DROP COLUMN active;
ALTER TABLE users DROP COLUMN active;
ALTER TABLE users DROP CONSTRAINT users_agency_check;
ALTER TABLE users DROP CONSTRAINT users_role_check;
UPDATE users SET role = 'agency' WHERE role IN ('manager', 'viewer');
ALTER TABLE users
    ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'agency')),
    ADD CONSTRAINT users_check CHECK ((role = 'agency') = (agency_id IS NOT NULL));
