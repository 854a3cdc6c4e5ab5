-- Questions answered by choosing rather than rating (issue #8 point 2): the expectation
-- question ("which areas should the agency improve first?", several of the five factors) and
-- the respondent profile (gender, age band, education, occupation: one option each). They are
-- data of the instrument like its items, seeded from its file. They are not rated, so they have
-- no slot in responses.answer_values (whose shape and 0-5 range stay the database's rule): a
-- response's choices are rows of response_choices, each checked against its question's options
-- by a foreign key, and a single-choice question holds one row at most (trigger).
CREATE TABLE choice_questions (
    id            SERIAL PRIMARY KEY,
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    code          TEXT NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]+$' AND length(code) <= 32),
    kind          TEXT NOT NULL CHECK (kind IN ('expectation', 'profile')),
    multiple      BOOLEAN NOT NULL,
    position      SMALLINT NOT NULL,
    text_vi       TEXT NOT NULL,
    text_en       TEXT NOT NULL,
    UNIQUE (instrument_id, code)
);
CREATE INDEX choice_questions_instrument_id_idx ON choice_questions (instrument_id);

CREATE TABLE choice_options (
    question_id INTEGER NOT NULL REFERENCES choice_questions (id),
    value       SMALLINT NOT NULL CHECK (value BETWEEN 1 AND 99),
    label_vi    TEXT NOT NULL,
    label_en    TEXT NOT NULL,
    PRIMARY KEY (question_id, value)
);

CREATE TABLE response_choices (
    response_id UUID NOT NULL REFERENCES responses (id),
    question_id INTEGER NOT NULL,
    value       SMALLINT NOT NULL,
    PRIMARY KEY (response_id, question_id, value),
    FOREIGN KEY (question_id, value) REFERENCES choice_options (question_id, value)
);
CREATE INDEX response_choices_question_id_value_idx ON response_choices (question_id, value);

-- A choice belongs to a question of the response's own instrument; a single-choice question
-- has one choice per response.
CREATE FUNCTION check_response_choice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM responses r JOIN choice_questions q ON q.instrument_id = r.instrument_id
                   WHERE r.id = NEW.response_id AND q.id = NEW.question_id) THEN
        RAISE EXCEPTION 'choice question % is not of the instrument of response %', NEW.question_id, NEW.response_id;
    END IF;
    IF EXISTS (SELECT 1 FROM choice_questions q WHERE q.id = NEW.question_id AND NOT q.multiple)
       AND EXISTS (SELECT 1 FROM response_choices c WHERE c.response_id = NEW.response_id
                   AND c.question_id = NEW.question_id AND c.value <> NEW.value) THEN
        RAISE EXCEPTION 'choice question % takes one answer', NEW.question_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER response_choices_checked BEFORE INSERT OR UPDATE ON response_choices
    FOR EACH ROW EXECUTE FUNCTION check_response_choice();

-- Once answered, a choice question and its options are frozen (new ones may be added).
CREATE FUNCTION forbid_change_to_answered_choice() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    q INTEGER;
BEGIN
    IF TG_TABLE_NAME = 'choice_questions' THEN q := OLD.id; ELSE q := OLD.question_id; END IF;
    IF EXISTS (SELECT 1 FROM response_choices WHERE question_id = q) THEN
        RAISE EXCEPTION 'choice question % has answers and cannot change', q;
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER choice_questions_frozen BEFORE UPDATE OR DELETE ON choice_questions
    FOR EACH ROW EXECUTE FUNCTION forbid_change_to_answered_choice();
CREATE TRIGGER choice_options_frozen BEFORE UPDATE OR DELETE ON choice_options
    FOR EACH ROW EXECUTE FUNCTION forbid_change_to_answered_choice();

-- A paper keying's choices, as question id × 100 + option value, sorted (so two keyings
-- compare as arrays).
ALTER TABLE paper_entries ADD COLUMN choices INTEGER[] NOT NULL DEFAULT '{}';
