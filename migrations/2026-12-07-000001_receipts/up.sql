-- Receipts (issue #19): a one-stop system issues one single-use rating link per completed
-- dossier. Built so that a copy of the database cannot join a rating to a dossier:
--
-- * `receipts` holds the dossier only as a keyed hash (idempotence per dossier), the agency
--   and desk it was returned at, the day it was returned and the day it expires — days, not
--   times, and no trace of whether or when it was used;
-- * `receipt_nullifiers` holds one keyed hash per used receipt and nothing else (no dossier,
--   desk, agency or time), so that a receipt rates once;
-- * the rating itself is an ordinary row of `responses` (channel 'receipt_qr') with no
--   dossier or receipt reference.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users
    ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'manager', 'viewer', 'system'));

CREATE TABLE receipts (
    id             BIGSERIAL PRIMARY KEY,
    -- HMAC-SHA256 of the dossier code under the service's key: the same dossier gets the same
    -- receipt back, and the code itself is never stored.
    dossier_hash   BYTEA NOT NULL UNIQUE CHECK (octet_length(dossier_hash) = 32),
    agency_id      INTEGER NOT NULL REFERENCES agencies (id),
    desk_id        INTEGER NOT NULL,
    procedure_code TEXT CHECK (procedure_code ~ '^[A-Za-z0-9._/-]+$' AND octet_length(procedure_code) <= 64),
    -- The day (in Vietnam) the result was returned: Decision 766 counts dossiers per month.
    returned_on    DATE NOT NULL,
    expires_on     DATE NOT NULL CHECK (expires_on >= returned_on),
    FOREIGN KEY (desk_id, agency_id) REFERENCES desks (id, agency_id)
);
CREATE INDEX receipts_agency_id_returned_on_idx ON receipts (agency_id, returned_on);
CREATE INDEX receipts_desk_id_agency_id_idx ON receipts (desk_id, agency_id);

CREATE TABLE receipt_nullifiers (
    nullifier BYTEA PRIMARY KEY CHECK (octet_length(nullifier) = 32)
);
