-- Aggregates of the desk stream (issue #7 point 2): per agency, local day (Asia/Ho_Chi_Minh),
-- desk, channel, respondent kind and instrument, the number of responses and the sufficient
-- statistics of analysis::IndexAccumulator (`stats`, see IndexAccumulator::stats): level
-- counts per item and the joint moments the composite intervals need. Adding two cells'
-- vectors element by element is merging them, so any period, desk or subtree is a sum of
-- rows, and its report equals the report of the raw rows. The writer adds a batch's cells in
-- the transaction that stores its ratings; `sipas rollup rebuild` recomputes all from raw rows.
-- A cell is striped over `shard`s (one per writer thread): writers never wait for each other's
-- row locks on a busy desk's cell; readers add the shards like any other rows.

CREATE FUNCTION sipas_add(a int4[], b int4[]) RETURNS int4[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_agg(x + y ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;

-- The element-wise sum of many vectors (sipas_add is strict: the first vector starts the sum).
CREATE AGGREGATE sipas_sum(int4[]) (SFUNC = sipas_add, STYPE = int4[]);

CREATE TABLE desk_daily (
    agency_id       INTEGER NOT NULL,
    day             DATE NOT NULL,
    desk_id         INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    respondent_kind TEXT NOT NULL,
    instrument_id   INTEGER NOT NULL REFERENCES instruments (id),
    shard           SMALLINT NOT NULL DEFAULT 0 CHECK (shard >= 0),
    responses       BIGINT NOT NULL CHECK (responses > 0),
    -- every entry is a count for the desk stream (weight 1, one question per factor): integers
    -- keep a cell at half the size of floats, and exact
    stats           INT4[] NOT NULL,
    PRIMARY KEY (agency_id, day, desk_id, channel, respondent_kind, instrument_id, shard),
    FOREIGN KEY (desk_id, agency_id) REFERENCES desks (id, agency_id)
) WITH (fillfactor = 70);  -- a cell is updated in place many times a day
CREATE INDEX desk_daily_desk_id_agency_id_idx ON desk_daily (desk_id, agency_id);
CREATE INDEX desk_daily_instrument_id_idx ON desk_daily (instrument_id);
