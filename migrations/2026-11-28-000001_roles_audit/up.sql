-- Roles of issue #7: Home Affairs administrators (the whole province), agency managers and
-- viewers (an agency and the units below it). Accounts and agencies can be disabled, never
-- deleted: their history stays readable. Every administrative change is written to an
-- append-only audit log in the same transaction as the change.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users DROP CONSTRAINT users_check;
UPDATE users SET role = 'manager' WHERE role = 'agency';
ALTER TABLE users
    ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'manager', 'viewer')),
    ADD CONSTRAINT users_agency_check CHECK ((role = 'admin') = (agency_id IS NULL)),
    ADD COLUMN active BOOLEAN NOT NULL DEFAULT true;

ALTER TABLE agencies ADD COLUMN active BOOLEAN NOT NULL DEFAULT true;

CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- NULL for the command line, which is run by whoever holds the server
    actor_id  INTEGER REFERENCES users (id),
    actor     TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
    action    TEXT NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    entity_id TEXT NOT NULL CHECK (length(entity_id) BETWEEN 1 AND 100),
    before    JSONB,
    after     JSONB,
    CHECK (before IS NOT NULL OR after IS NOT NULL)
);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_action_idx ON audit_log (action, entity_id);

-- Append-only: what was written stays as written.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
