-- Monthly aggregates (issue #7 point 7): a closed month's daily cells summed per agency, desk,
-- channel and kind (shards merged). Ratings are only ever added to today's cells, so a month
-- that has ended never changes again and its sum is exact. Readers take a month from here
-- only when it is listed in desk_months_done (compacted whole, in one transaction) and no
-- period they compare cuts through it; everything else they read from desk_daily. A year's
-- dashboard then reads a few thousand rows instead of a hundred thousand.
CREATE TABLE desk_monthly (
    agency_id       INTEGER NOT NULL,
    month           DATE NOT NULL CHECK (extract(day FROM month) = 1),
    desk_id         INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    respondent_kind TEXT NOT NULL,
    instrument_id   INTEGER NOT NULL REFERENCES instruments (id),
    responses       BIGINT NOT NULL CHECK (responses > 0),
    stats           INT4[] NOT NULL,
    PRIMARY KEY (agency_id, month, desk_id, channel, respondent_kind, instrument_id),
    FOREIGN KEY (desk_id, agency_id) REFERENCES desks (id, agency_id)
);
CREATE INDEX desk_monthly_desk_id_agency_id_idx ON desk_monthly (desk_id, agency_id);
CREATE INDEX desk_monthly_instrument_id_idx ON desk_monthly (instrument_id);

CREATE TABLE desk_months_done (
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    month         DATE NOT NULL CHECK (extract(day FROM month) = 1),
    compacted_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (instrument_id, month)
);

-- Finding the oldest day to compact.
CREATE INDEX desk_daily_instrument_id_day_idx ON desk_daily (instrument_id, day);
