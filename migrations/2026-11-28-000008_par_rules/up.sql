-- The satisfaction component of the PAR-index score sheet (issue #7 point 4), one rule per
-- year set by Home Affairs: at most `max_points`, either proportional to the index
-- (`linear`: points = max_points × index) or by a bracket table (`brackets`: a JSON array of
-- {"min": share, "points": p}, the highest bracket whose min the index reaches).
CREATE TABLE par_rules (
    year       INTEGER PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    max_points DOUBLE PRECISION NOT NULL CHECK (max_points > 0 AND max_points <= 100),
    rule       TEXT NOT NULL CHECK (rule IN ('linear', 'brackets')),
    brackets   JSONB NOT NULL DEFAULT '[]',
    set_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (rule = 'linear' OR jsonb_array_length(brackets) > 0)
);
