DROP TABLE login_failures;
ALTER TABLE users ADD COLUMN session_epoch integer NOT NULL DEFAULT 1;
DROP TABLE staff_sessions;
