-- Aggregate cells now end with the importance sums of each factor (results::desk::add_pairs:
-- n, Σx, Σy, Σx², Σy², Σxy with the overall question), so the dashboard's importance–
-- performance view is a sum of cells like every index. Cells of the old length cannot be
-- extended in SQL, so they are removed here and the aggregates marked stale; the next start
-- (`prepare_database`) rebuilds stale aggregates from the raw ratings before serving.
CREATE TABLE rollup_state (
    only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
    stale    BOOLEAN NOT NULL
);
INSERT INTO rollup_state (stale) SELECT EXISTS (SELECT 1 FROM desk_daily);
DELETE FROM desk_daily;
