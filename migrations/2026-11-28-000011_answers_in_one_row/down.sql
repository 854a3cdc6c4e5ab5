DROP VIEW answers;
CREATE TABLE answers (
    response_id   UUID NOT NULL,
    instrument_id INTEGER NOT NULL,
    item_id       INTEGER NOT NULL,
    value         SMALLINT CHECK (value BETWEEN 1 AND 5),
    PRIMARY KEY (response_id, item_id)
);
INSERT INTO answers (response_id, instrument_id, item_id, value)
SELECT r.id, r.instrument_id, slot.id, nullif(v.value, 0)
FROM responses r
CROSS JOIN LATERAL unnest(r.answer_values) WITH ORDINALITY AS v(value, k)
JOIN (SELECT id, instrument_id, row_number() OVER (PARTITION BY instrument_id ORDER BY position, id) AS k
      FROM items) slot ON slot.instrument_id = r.instrument_id AND slot.k = v.k
WHERE v.value IS NOT NULL;
ALTER TABLE responses
    DROP CONSTRAINT responses_instrument_id_answer_count_fkey,
    DROP COLUMN answer_count,
    DROP COLUMN answer_values,
    ADD CONSTRAINT responses_id_instrument_id_key UNIQUE (id, instrument_id),
    ADD CONSTRAINT responses_instrument_id_fkey FOREIGN KEY (instrument_id) REFERENCES instruments (id);
ALTER TABLE answers
    ADD FOREIGN KEY (response_id, instrument_id) REFERENCES responses (id, instrument_id) ON DELETE CASCADE,
    ADD FOREIGN KEY (item_id, instrument_id) REFERENCES items (id, instrument_id);
CREATE INDEX answers_item_id_instrument_id_idx ON answers (item_id, instrument_id);
DROP TRIGGER items_counted ON items;
DROP FUNCTION count_instrument_items();
ALTER TABLE instruments DROP CONSTRAINT instruments_id_item_count_key, DROP COLUMN item_count;
