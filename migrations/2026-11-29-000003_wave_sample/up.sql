-- A wave's drawn sample: per sampled frame unit its stratum, whether it is in the main
-- sample or the reserve (in the order replacements are taken), its inclusion probability and
-- base weight. The seed and method are stored with the wave, so the draw can be repeated.
ALTER TABLE waves ADD COLUMN draw JSONB;

CREATE TABLE sample_units (
    id                    BIGSERIAL PRIMARY KEY,
    wave_id               INTEGER NOT NULL REFERENCES waves (id),
    frame_unit_id         BIGINT NOT NULL UNIQUE REFERENCES frame_units (id),
    agency_id             INTEGER NOT NULL REFERENCES agencies (id),
    reserve_rank          INTEGER CHECK (reserve_rank >= 1),  -- NULL: main sample
    inclusion_probability DOUBLE PRECISION NOT NULL CHECK (inclusion_probability > 0 AND inclusion_probability <= 1),
    base_weight           DOUBLE PRECISION NOT NULL CHECK (base_weight >= 1),
    status                TEXT NOT NULL DEFAULT 'selected'
                          CHECK (status IN ('selected', 'invited', 'reminded', 'responded', 'refused',
                                            'undeliverable', 'replaced')),
    UNIQUE (wave_id, agency_id, reserve_rank)
);
CREATE INDEX sample_units_wave_id_agency_id_idx ON sample_units (wave_id, agency_id);
CREATE INDEX sample_units_agency_id_idx ON sample_units (agency_id);
