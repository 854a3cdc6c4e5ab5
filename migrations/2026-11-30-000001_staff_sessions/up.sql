-- Staff sessions the server can end. The cookie carries 32 random bytes; only their SHA-256
-- is stored, so a copy of this table opens no session. Sign-out deletes the row; a password
-- change or a disabled account deletes all of the user's rows in the same transaction, so the
-- end is immediate on every node (each request looks its session up here).
CREATE TABLE staff_sessions (
    id_hash bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- The absolute end, set at sign-in; the idle end is last_seen_at + the idle timeout.
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

-- The session epoch served the signed cookies that this table replaces.
ALTER TABLE users DROP COLUMN session_epoch;

-- Failed sign-ins per account name (also names that match no account, so that the answer
-- does not tell which accounts exist). Shared by every node.
CREATE TABLE login_failures (
    username text PRIMARY KEY CHECK (length(username) BETWEEN 1 AND 64),
    -- Consecutive failures since the last success.
    failures integer NOT NULL CHECK (failures > 0),
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    -- No password is checked for this name before this moment.
    blocked_until timestamptz NOT NULL DEFAULT now()
);
