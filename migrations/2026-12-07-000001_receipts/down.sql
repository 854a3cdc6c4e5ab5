DROP TABLE receipt_nullifiers;
DROP TABLE receipts;
DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE role = 'system');
DELETE FROM users WHERE role = 'system';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users
    ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'manager', 'viewer'));
