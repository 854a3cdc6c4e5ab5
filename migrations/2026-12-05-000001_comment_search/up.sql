-- What a comment can be found by: its masked text made plain (domain::search::key), so that a
-- search finds only what the masked page shows, and the version of the rules that made it.
-- Written with the comment; rebuilt at start-up for rows of another version (and until then
-- not searched).
ALTER TABLE responses
    ADD COLUMN comment_search text,
    ADD COLUMN comment_search_v smallint,
    ADD CONSTRAINT responses_comment_search_only_with_comment
        CHECK (comment IS NOT NULL OR (comment_search IS NULL AND comment_search_v IS NULL));
