-- Foundation schema: agencies as a tree, desks, versioned instruments, responses and answers.
-- Every rule that protects the published numbers lives here, not only in application code.

CREATE TABLE app_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Administrative levels are data: Vietnam changed them in 2025 (districts abolished).
CREATE TABLE agency_levels (
    id       SERIAL PRIMARY KEY,
    code     TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,32}$'),
    name_vi  TEXT NOT NULL CHECK (length(name_vi) BETWEEN 1 AND 200),
    name_en  TEXT NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    position SMALLINT NOT NULL DEFAULT 0
);

CREATE TABLE agencies (
    id         SERIAL PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$'),
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    level_id   INTEGER NOT NULL REFERENCES agency_levels (id),
    parent_id  INTEGER REFERENCES agencies (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX agencies_level_id_idx ON agencies (level_id);
CREATE INDEX agencies_parent_id_idx ON agencies (parent_id);

-- A one-stop counter. key_version is part of every QR token: bumping it revokes old codes.
CREATE TABLE desks (
    id          SERIAL PRIMARY KEY,
    agency_id   INTEGER NOT NULL REFERENCES agencies (id),
    code        TEXT NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    key_version SMALLINT NOT NULL DEFAULT 1 CHECK (key_version >= 1),
    active      BOOLEAN NOT NULL DEFAULT true,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (agency_id, code),
    -- target of responses' composite key: a response's agency is its desk's agency
    UNIQUE (id, agency_id)
);

CREATE TABLE instruments (
    id                  SERIAL PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9._-]{1,64}$'),
    name_vi             TEXT NOT NULL,
    name_en             TEXT NOT NULL,
    source              TEXT NOT NULL DEFAULT '',
    satisfied_threshold SMALLINT NOT NULL DEFAULT 4 CHECK (satisfied_threshold BETWEEN 1 AND 5),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE scale_levels (
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    value         SMALLINT NOT NULL CHECK (value BETWEEN 1 AND 5),
    label_vi      TEXT NOT NULL,
    label_en      TEXT NOT NULL,
    PRIMARY KEY (instrument_id, value)
);

CREATE TABLE factors (
    id            SERIAL PRIMARY KEY,
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    code          TEXT NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    position      SMALLINT NOT NULL,
    name_vi       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    UNIQUE (instrument_id, code),
    UNIQUE (id, instrument_id)
);

-- kind: 'criterion' (tiêu chí), 'factor' (the factor-level question), 'overall'.
CREATE TABLE items (
    id            SERIAL PRIMARY KEY,
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    factor_id     INTEGER,
    code          TEXT NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    kind          TEXT NOT NULL CHECK (kind IN ('criterion', 'factor', 'overall')),
    position      SMALLINT NOT NULL,
    text_vi       TEXT NOT NULL,
    text_en       TEXT NOT NULL,
    on_desk_form  BOOLEAN NOT NULL DEFAULT false,
    on_full_form  BOOLEAN NOT NULL DEFAULT true,
    UNIQUE (instrument_id, code),
    UNIQUE (id, instrument_id),
    FOREIGN KEY (factor_id, instrument_id) REFERENCES factors (id, instrument_id),
    CHECK ((kind = 'overall') = (factor_id IS NULL))
);
CREATE INDEX items_factor_id_instrument_id_idx ON items (factor_id, instrument_id);

CREATE TABLE responses (
    id              UUID PRIMARY KEY,  -- the submission id: a replay cannot store twice
    instrument_id   INTEGER NOT NULL REFERENCES instruments (id),
    agency_id       INTEGER NOT NULL REFERENCES agencies (id),
    desk_id         INTEGER,
    channel         TEXT NOT NULL CHECK (channel IN ('desk_qr', 'kiosk', 'receipt_qr', 'annual_sample', 'paper')),
    submitted_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    respondent_kind TEXT NOT NULL CHECK (respondent_kind IN ('individual', 'organisation')),
    procedure_code  TEXT CHECK (procedure_code ~ '^[A-Za-z0-9._/-]{1,64}$'),
    comment         TEXT CHECK (char_length(comment) BETWEEN 1 AND 2000),
    UNIQUE (id, instrument_id),
    FOREIGN KEY (desk_id, agency_id) REFERENCES desks (id, agency_id),
    CHECK (channel NOT IN ('desk_qr', 'kiosk') OR desk_id IS NOT NULL)
);
CREATE INDEX responses_instrument_id_idx ON responses (instrument_id);
CREATE INDEX responses_agency_id_submitted_at_idx ON responses (agency_id, submitted_at);
CREATE INDEX responses_desk_id_agency_id_idx ON responses (desk_id, agency_id);

-- value NULL means "Không có ý kiến" (no opinion). It is never replaced by a score.
-- instrument_id is repeated so that the database itself proves each item belongs to the
-- response's instrument.
CREATE TABLE answers (
    response_id   UUID NOT NULL,
    instrument_id INTEGER NOT NULL,
    item_id       INTEGER NOT NULL,
    value         SMALLINT CHECK (value BETWEEN 1 AND 5),
    PRIMARY KEY (response_id, item_id),
    FOREIGN KEY (response_id, instrument_id) REFERENCES responses (id, instrument_id) ON DELETE CASCADE,
    FOREIGN KEY (item_id, instrument_id) REFERENCES items (id, instrument_id)
);
CREATE INDEX answers_item_id_instrument_id_idx ON answers (item_id, instrument_id);

-- An instrument that has responses is frozen: its published numbers must stay reproducible.
CREATE FUNCTION forbid_change_to_used_instrument() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target INTEGER;
BEGIN
    IF TG_TABLE_NAME = 'instruments' THEN
        target := OLD.id;
    ELSIF TG_OP = 'INSERT' THEN
        target := NEW.instrument_id;
    ELSE
        target := OLD.instrument_id;
    END IF;
    IF EXISTS (SELECT 1 FROM responses WHERE instrument_id = target) THEN
        RAISE EXCEPTION 'instrument % has responses and cannot be edited', target
            USING ERRCODE = 'check_violation', HINT = 'create a new instrument version instead';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER instruments_frozen BEFORE UPDATE OR DELETE ON instruments
    FOR EACH ROW EXECUTE FUNCTION forbid_change_to_used_instrument();
CREATE TRIGGER scale_levels_frozen BEFORE INSERT OR UPDATE OR DELETE ON scale_levels
    FOR EACH ROW EXECUTE FUNCTION forbid_change_to_used_instrument();
CREATE TRIGGER factors_frozen BEFORE INSERT OR UPDATE OR DELETE ON factors
    FOR EACH ROW EXECUTE FUNCTION forbid_change_to_used_instrument();
CREATE TRIGGER items_frozen BEFORE INSERT OR UPDATE OR DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION forbid_change_to_used_instrument();
