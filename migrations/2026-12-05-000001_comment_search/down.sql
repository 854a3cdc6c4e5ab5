ALTER TABLE responses
    DROP CONSTRAINT responses_comment_search_only_with_comment,
    DROP COLUMN comment_search_v,
    DROP COLUMN comment_search;
