DROP INDEX responses_comments_idx;
DROP TABLE hidden_comments;
