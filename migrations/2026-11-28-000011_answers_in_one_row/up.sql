-- A rating's answers move into its response row: one array, position k holding the answer to
-- the instrument's k-th item (items ordered by position). Seven rows per rating (the response
-- and one per answer, each answer with two foreign-key checks and two index entries) became one,
-- which is what lets ingest keep up with PostgreSQL's own insert rate (issue #7, point 2).
--
-- Encoding of an element: 1..5 a score, 0 "Không có ý kiến" (no opinion), NULL not asked.
-- The database still proves what the answers table proved:
--   * each value is a score or "no opinion" (CHECK);
--   * the array has exactly one element per item of the response's instrument: answer_count is
--     generated from the array and the foreign key (instrument_id, answer_count) must find the
--     instrument with that item_count, which a trigger keeps true (and items of an instrument
--     that has responses cannot change at all, see forbid_change_to_used_instrument).
-- A view named `answers` gives the former one-row-per-answer shape to every reader.

ALTER TABLE instruments ADD COLUMN item_count SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE instruments DISABLE TRIGGER instruments_frozen;
UPDATE instruments SET item_count = (SELECT count(*) FROM items WHERE items.instrument_id = instruments.id);
ALTER TABLE instruments ENABLE TRIGGER instruments_frozen;
ALTER TABLE instruments ADD CONSTRAINT instruments_id_item_count_key UNIQUE (id, item_count);

CREATE FUNCTION count_instrument_items() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE instruments SET item_count = (SELECT count(*) FROM items WHERE instrument_id = OLD.instrument_id)
        WHERE id = OLD.instrument_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE instruments SET item_count = (SELECT count(*) FROM items WHERE instrument_id = NEW.instrument_id)
        WHERE id = NEW.instrument_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER items_counted AFTER INSERT OR DELETE OR UPDATE OF instrument_id ON items
    FOR EACH ROW EXECUTE FUNCTION count_instrument_items();

ALTER TABLE responses ADD COLUMN answer_values SMALLINT[];
WITH slot AS (
    SELECT id, instrument_id, row_number() OVER (PARTITION BY instrument_id ORDER BY position, id) AS k
    FROM items)
UPDATE responses r SET answer_values = ARRAY(
    SELECT CASE WHEN a.response_id IS NULL THEN NULL ELSE coalesce(a.value, 0) END
    FROM slot LEFT JOIN answers a ON a.response_id = r.id AND a.item_id = slot.id
    WHERE slot.instrument_id = r.instrument_id
    ORDER BY slot.k);
DROP TABLE answers;

ALTER TABLE responses
    ALTER COLUMN answer_values SET NOT NULL,
    ADD CONSTRAINT responses_answer_values_check
        CHECK (0 <= ALL (answer_values) AND 5 >= ALL (answer_values) AND array_ndims(answer_values) = 1),
    ADD COLUMN answer_count SMALLINT GENERATED ALWAYS AS (cardinality(answer_values)) STORED,
    DROP CONSTRAINT responses_instrument_id_fkey,
    DROP CONSTRAINT responses_id_instrument_id_key,
    ADD CONSTRAINT responses_instrument_id_answer_count_fkey
        FOREIGN KEY (instrument_id, answer_count) REFERENCES instruments (id, item_count);

CREATE VIEW answers AS
SELECT r.id AS response_id, r.instrument_id, slot.id AS item_id, nullif(v.value, 0) AS value
FROM responses r
CROSS JOIN LATERAL unnest(r.answer_values) WITH ORDINALITY AS v(value, k)
JOIN (SELECT id, instrument_id, row_number() OVER (PARTITION BY instrument_id ORDER BY position, id) AS k
      FROM items) slot ON slot.instrument_id = r.instrument_id AND slot.k = v.k
WHERE v.value IS NOT NULL;
