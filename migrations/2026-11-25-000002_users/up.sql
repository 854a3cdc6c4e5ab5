-- People who sign in: Home Affairs administrators see every agency; an agency's staff see
-- their agency and the agencies below it. Authorisation is applied in queries.
CREATE TABLE users (
    id            SERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{3,64}$'),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    role          TEXT NOT NULL CHECK (role IN ('admin', 'agency')),
    agency_id     INTEGER REFERENCES agencies (id),
    -- bumped on password change: every session signed for an older epoch stops working
    session_epoch INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((role = 'agency') = (agency_id IS NOT NULL))
);
CREATE INDEX users_agency_id_idx ON users (agency_id);
