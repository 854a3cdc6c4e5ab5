-- One device rating many times (issue #19, point 4). A client is known only by a keyed hash of
-- its address under a salt drawn for the day; the salt and every mark of the day are deleted
-- once the day is over, so no address — nor anything that could be matched with one — stays.
-- While the day lasts, a mark ties a rating to its (hashed) client, so that every rating of a
-- device over the limit is held, the first ones too.
CREATE TABLE client_salts (
    day  DATE PRIMARY KEY,
    salt BYTEA NOT NULL CHECK (octet_length(salt) = 32)
);

CREATE TABLE client_marks (
    response_id UUID PRIMARY KEY REFERENCES responses (id) ON DELETE CASCADE,
    day         DATE NOT NULL,
    desk_id     INTEGER NOT NULL,
    client      BYTEA NOT NULL CHECK (octet_length(client) = 32)
);
CREATE INDEX client_marks_day_client_desk_idx ON client_marks (day, client, desk_id);
