-- Aggregates of the desk stream (issue #7 point 2): per agency, local day (Asia/Ho_Chi_Minh),
-- desk, channel, respondent kind and instrument, the number of responses and the sufficient
-- statistics of analysis::IndexAccumulator (`stats`, see IndexAccumulator::stats): level
-- counts per item and the joint moments the composite intervals need. Adding two cells'
-- vectors element by element is merging them, so any period, desk or subtree is a sum of
-- rows, and its report equals the report of the raw rows. The writer adds a batch's cells in
-- the transaction that stores its ratings; `sipas rollup rebuild` recomputes all from raw rows.

CREATE FUNCTION sipas_add(a float8[], b float8[]) RETURNS float8[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;

CREATE TABLE desk_daily (
    agency_id       INTEGER NOT NULL,
    day             DATE NOT NULL,
    desk_id         INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    respondent_kind TEXT NOT NULL,
    instrument_id   INTEGER NOT NULL REFERENCES instruments (id),
    responses       BIGINT NOT NULL CHECK (responses > 0),
    stats           FLOAT8[] NOT NULL,
    PRIMARY KEY (agency_id, day, desk_id, channel, respondent_kind, instrument_id),
    FOREIGN KEY (desk_id, agency_id) REFERENCES desks (id, agency_id)
) WITH (fillfactor = 70);  -- a cell is updated in place many times a day
CREATE INDEX desk_daily_desk_id_agency_id_idx ON desk_daily (desk_id, agency_id);
CREATE INDEX desk_daily_instrument_id_idx ON desk_daily (instrument_id);
