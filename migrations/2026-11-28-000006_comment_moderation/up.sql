-- Comments a manager has hidden as abusive (issue #7 point 3). The comment itself is never
-- changed or deleted: hiding adds a row here, showing it again removes the row, and both are
-- written to the audit log in the same transaction.
CREATE TABLE hidden_comments (
    response_id UUID PRIMARY KEY REFERENCES responses (id),
    hidden_by   INTEGER NOT NULL REFERENCES users (id),
    hidden_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX hidden_comments_hidden_by_idx ON hidden_comments (hidden_by);

-- The dashboard lists an agency's newest comments.
CREATE INDEX responses_comments_idx ON responses (agency_id, submitted_at DESC)
    WHERE comment IS NOT NULL;
