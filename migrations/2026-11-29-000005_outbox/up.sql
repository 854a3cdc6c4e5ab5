-- The durable mail outbox. A message row is written in the transaction of the action that
-- causes it (starting fieldwork, a reminder round), so it exists exactly when the action
-- does. It holds no personal data: the address and the name are read from the sampled unit's
-- frame row when the message is sent (and are gone after the contacts are purged).
--
-- A worker claims a due row (FOR UPDATE SKIP LOCKED: several workers never take the same one),
-- marks `data_sent_at` just before handing the message body to the SMTP server, and marks it
-- `sent` only after the server accepted it. A worker killed mid-send leaves `sending` with an
-- expired lease: without `data_sent_at` the server cannot have the message (SMTP discards an
-- unfinished DATA), so it is queued again; with it, the server may have it, so it becomes
-- `uncertain` for an administrator to decide, never resent on its own.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder')),
    wave_id         INTEGER NOT NULL REFERENCES waves (id),
    sample_unit_id  BIGINT NOT NULL REFERENCES sample_units (id),
    lang            TEXT NOT NULL DEFAULT 'vi' CHECK (lang IN ('vi', 'en')),
    -- The Message-ID header: one per message, the same on every attempt.
    message_id      TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'uncertain')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until     TIMESTAMPTZ,
    data_sent_at    TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ,
    CHECK ((status = 'sending') = (lease_until IS NOT NULL)),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbox_sending_idx ON outbox (lease_until) WHERE status = 'sending';
CREATE INDEX outbox_wave_id_idx ON outbox (wave_id, status);
CREATE INDEX outbox_sample_unit_id_idx ON outbox (sample_unit_id);

-- Every attempt, as it ended: sent (with the server's reply), failed (with the reason, and
-- whether it is worth retrying), or interrupted (found unfinished after a worker died).
CREATE TABLE outbox_attempts (
    id          BIGSERIAL PRIMARY KEY,
    message     BIGINT NOT NULL REFERENCES outbox (id),
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    outcome     TEXT CHECK (outcome IN ('sent', 'retry', 'failed', 'interrupted', 'uncertain')),
    detail      TEXT
);
CREATE INDEX outbox_attempts_message_idx ON outbox_attempts (message);
