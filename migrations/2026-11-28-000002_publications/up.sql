-- Published results (issue #7 point 5). A publication freezes one closed period's results as
-- the exact bytes of a canonical JSON document; `sha256` is the hash of those bytes, and the
-- document itself names the previous publication's hash, so the publications form a chain
-- anyone can check with sha256sum. Rows are never updated or deleted.
CREATE TABLE publications (
    id              SERIAL PRIMARY KEY,
    period_from     DATE NOT NULL,
    period_to       DATE NOT NULL CHECK (period_to >= period_from),
    channel         TEXT NOT NULL CHECK (channel IN ('desk_qr', 'kiosk', 'receipt_qr', 'annual_sample', 'paper')),
    instrument_id   INTEGER NOT NULL REFERENCES instruments (id),
    published_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_by    INTEGER REFERENCES users (id),
    body            TEXT NOT NULL,
    sha256          TEXT NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    previous_sha256 TEXT UNIQUE REFERENCES publications (sha256) CHECK (previous_sha256 ~ '^[0-9a-f]{64}$'),
    -- a period is published once per channel: never silently recomputed
    UNIQUE (period_from, period_to, channel)
);
CREATE INDEX publications_instrument_id_idx ON publications (instrument_id);
CREATE INDEX publications_published_by_idx ON publications (published_by);
-- The chain has one start: only the first publication has no predecessor.
CREATE UNIQUE INDEX publications_one_start ON publications ((previous_sha256 IS NULL)) WHERE previous_sha256 IS NULL;

CREATE FUNCTION publications_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'publications are immutable: % refused', TG_OP;
END;
$$;
CREATE TRIGGER publications_immutable BEFORE UPDATE OR DELETE ON publications
    FOR EACH ROW EXECUTE FUNCTION publications_are_immutable();
CREATE TRIGGER publications_no_truncate BEFORE TRUNCATE ON publications
    FOR EACH STATEMENT EXECUTE FUNCTION publications_are_immutable();
