DROP INDEX responses_comments_idx;
DROP INDEX hidden_comments_hidden_by_idx;
DROP TABLE hidden_comments;
