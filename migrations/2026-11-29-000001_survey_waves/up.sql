-- The annual sample survey (issue #8): a wave and its sampling frame.
--
-- A wave moves draft → designed → drawn → fieldwork → closed; each step checks the state it
-- needs (in the application, with a message saying what is missing) and the database refuses
-- any other value.
CREATE TABLE waves (
    id            SERIAL PRIMARY KEY,
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    year          SMALLINT NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    state         TEXT NOT NULL DEFAULT 'draft'
                  CHECK (state IN ('draft', 'designed', 'drawn', 'fieldwork', 'closed')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (year, name)
);
CREATE INDEX waves_instrument_id_idx ON waves (instrument_id);

-- The sampling frame: one row per completed dossier (a person or an organisation who
-- completed a procedure during the wave's year). name, phone, email and address are personal
-- data: only administrators see them, no export of responses carries them, and
-- `sipas wave purge-contacts` erases them once the wave is closed. `line` is the row's line in
-- the imported file, so that later messages can point back to it.
CREATE TABLE frame_units (
    id              BIGSERIAL PRIMARY KEY,
    wave_id         INTEGER NOT NULL REFERENCES waves (id),
    line            INTEGER NOT NULL CHECK (line >= 2),
    -- Written as a class and a length, not '{1,64}': PostgreSQL's regex engine expands a
    -- bounded repeat, which made these checks 40% of a 500,000-row import.
    dossier_code    TEXT NOT NULL CHECK (dossier_code ~ '^[A-Za-z0-9._/-]+$' AND octet_length(dossier_code) <= 64),
    agency_id       INTEGER NOT NULL REFERENCES agencies (id),
    procedure_code  TEXT CHECK (procedure_code ~ '^[A-Za-z0-9._/-]+$' AND octet_length(procedure_code) <= 64),
    completed_on    DATE NOT NULL,
    respondent_kind TEXT NOT NULL CHECK (respondent_kind IN ('individual', 'organisation')),
    name            TEXT CHECK (char_length(name) BETWEEN 1 AND 200),
    phone           TEXT CHECK (phone ~ '^0[0-9]{9,10}$'),
    email           TEXT CHECK (char_length(email) BETWEEN 3 AND 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    address         TEXT CHECK (char_length(address) BETWEEN 1 AND 500),
    UNIQUE (wave_id, dossier_code)
);
CREATE INDEX frame_units_agency_id_idx ON frame_units (agency_id);
