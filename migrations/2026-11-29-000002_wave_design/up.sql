-- A wave's design: its parameters (as given) and, per stratum (agency), the frame size N_h,
-- the respondents the design needs n_h, how many to invite, and the expected margin of error.
ALTER TABLE waves ADD COLUMN design JSONB;

CREATE TABLE wave_strata (
    wave_id     INTEGER NOT NULL REFERENCES waves (id),
    agency_id   INTEGER NOT NULL REFERENCES agencies (id),
    population  INTEGER NOT NULL CHECK (population >= 0),
    respondents INTEGER NOT NULL CHECK (respondents BETWEEN 0 AND population),
    invited     INTEGER NOT NULL CHECK (invited BETWEEN respondents AND population),
    margin      DOUBLE PRECISION CHECK (margin >= 0),
    PRIMARY KEY (wave_id, agency_id)
);
CREATE INDEX wave_strata_agency_id_idx ON wave_strata (agency_id);
