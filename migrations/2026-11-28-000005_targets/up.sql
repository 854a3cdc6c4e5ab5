-- Satisfaction targets set by Home Affairs (issue #7 point 3), e.g. An Giang's 98% satisfied:
-- one per agency level, or one for a single agency (which then wins over its level's).
-- A target is a share in (0, 1]. Changes are audited by the application in the same
-- transaction.
CREATE TABLE targets (
    id        SERIAL PRIMARY KEY,
    level_id  INTEGER REFERENCES agency_levels (id),
    agency_id INTEGER REFERENCES agencies (id),
    value     DOUBLE PRECISION NOT NULL CONSTRAINT targets_value_range CHECK (value > 0 AND value <= 1),
    set_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT targets_one_subject CHECK ((level_id IS NULL) <> (agency_id IS NULL)),
    CONSTRAINT targets_level_unique UNIQUE (level_id),
    CONSTRAINT targets_agency_unique UNIQUE (agency_id)
);
