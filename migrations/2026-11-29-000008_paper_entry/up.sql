-- Paper questionnaires keyed by enumerators. Each keying is kept with who made it. With
-- double entry (the default), a second person keys the same questionnaire without seeing the
-- first; the response counts only when both agree, or once an administrator has resolved the
-- disagreements. The response itself is stored like any other (channel 'paper').
ALTER TABLE waves ADD COLUMN double_entry BOOLEAN NOT NULL DEFAULT true;

CREATE TABLE paper_entries (
    id              BIGSERIAL PRIMARY KEY,
    sample_unit_id  BIGINT NOT NULL REFERENCES sample_units (id),
    entry_no        SMALLINT NOT NULL CHECK (entry_no IN (1, 2)),
    keyed_by        INTEGER NOT NULL REFERENCES users (id),
    respondent_kind TEXT NOT NULL CHECK (respondent_kind IN ('individual', 'organisation')),
    comment         TEXT CHECK (char_length(comment) <= 2000),
    answer_values   SMALLINT[] NOT NULL CHECK (0 <= ALL (answer_values) AND 5 >= ALL (answer_values)),
    keyed_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (sample_unit_id, entry_no),
    -- the second keying is another person's
    UNIQUE (sample_unit_id, keyed_by)
);
CREATE INDEX paper_entries_keyed_by_idx ON paper_entries (keyed_by);
