-- Quarantine (issue #19, point 4): a rating from a channel without a receipt that looks like
-- gaming (filled too fast to read, posted without the form, a burst at its desk beyond what
-- the desk's own history makes plausible) is stored as usual but held: counted apart, kept
-- out of every index until a reviewer at Home Affairs releases or rejects it.
CREATE TABLE held_ratings (
    response_id UUID PRIMARY KEY REFERENCES responses (id) ON DELETE CASCADE,
    reasons     TEXT[] NOT NULL CHECK (
        cardinality(reasons) > 0
        AND reasons <@ ARRAY['fast_fill', 'no_render', 'burst', 'one_client', 'identical', 'after_hours']
    ),
    -- The numbers each reason was decided on (the fill time and the threshold; the burst's
    -- count, the desk's history and the tail probability), so that a decision can be redone.
    details     JSONB NOT NULL,
    held_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    decision    TEXT CHECK (decision IN ('released', 'rejected')),
    decided_at  TIMESTAMPTZ,
    decided_by  INTEGER REFERENCES users (id),
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
CREATE INDEX held_ratings_undecided_idx ON held_ratings (held_at) WHERE decision IS NULL;

-- A decision is final: a decided row never changes again.
CREATE FUNCTION held_ratings_decided_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.decision IS NOT NULL THEN
        RAISE EXCEPTION 'the decision on held rating % is final', OLD.response_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER held_ratings_decided_once BEFORE UPDATE ON held_ratings
    FOR EACH ROW EXECUTE FUNCTION held_ratings_decided_once();

-- A desk's recent ratings, for the burst test.
CREATE INDEX responses_desk_id_submitted_at_idx ON responses (desk_id, submitted_at);
CREATE INDEX held_ratings_decided_by_idx ON held_ratings (decided_by);
