-- Bearer tokens for the read API (issue #7 point 6). Only the SHA-256 of a token is stored
-- (a token is 256 random bits, so a fast hash suffices); the token itself is shown once, by
-- `sipas api-token create`. A token acts as its user: same role, same scope, and it stops
-- working when the user is disabled or the token is revoked.
CREATE TABLE api_tokens (
    id           SERIAL PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    token_sha256 BYTEA NOT NULL CONSTRAINT api_tokens_hash_unique UNIQUE
                 CONSTRAINT api_tokens_hash_length CHECK (octet_length(token_sha256) = 32),
    label        TEXT NOT NULL DEFAULT '' CHECK (char_length(label) <= 200),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at   TIMESTAMPTZ,
    last_used_on DATE
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);
