-- Digests and alerts (issue #20, point 8): each manager's weekly or monthly e-mail of their
-- indices, and an alert when an index falls significantly or a target is not met, sent
-- through the outbox like the survey's invitations.
--
-- * `users` gain an address, the choice (weekly, monthly or off; managers and administrators
--   start weekly, viewers off) and the language of their mail.
-- * `digests` holds each composed message, UNIQUE per person, kind and period: the pass that
--   composes them may run on several nodes at once, and each message exists once.
-- * The outbox carries either a survey message (wave and sampled unit) or a digest, never
--   both; the address is read from the account when the message is sent.
ALTER TABLE users
    ADD COLUMN email TEXT CHECK (email IS NULL OR (octet_length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%')),
    ADD COLUMN digest TEXT NOT NULL DEFAULT 'weekly' CHECK (digest IN ('weekly', 'monthly', 'off')),
    ADD COLUMN mail_lang TEXT NOT NULL DEFAULT 'vi' CHECK (mail_lang IN ('vi', 'en'));
UPDATE users SET digest = 'off' WHERE role IN ('viewer', 'system');

CREATE TABLE digests (
    id           BIGSERIAL PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    -- 'weekly' and 'monthly' digests; 'alert_fall' (an index fell significantly) and
    -- 'alert_target' (the overall index is below its target, its whole interval under it).
    kind         TEXT NOT NULL CHECK (kind IN ('weekly', 'monthly', 'alert_fall', 'alert_target')),
    -- The days it speaks of (an alert: the month it was raised in, so at most one a month).
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL CHECK (period_end >= period_start),
    lang         TEXT NOT NULL CHECK (lang IN ('vi', 'en')),
    subject      TEXT NOT NULL,
    body_text    TEXT NOT NULL,
    body_html    TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, kind, period_start)
);

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('invitation', 'reminder', 'digest', 'alert'));
ALTER TABLE outbox ALTER COLUMN wave_id DROP NOT NULL;
ALTER TABLE outbox ALTER COLUMN sample_unit_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN digest_id BIGINT UNIQUE REFERENCES digests (id);
ALTER TABLE outbox ADD CONSTRAINT outbox_one_subject CHECK (
    (kind IN ('invitation', 'reminder') AND wave_id IS NOT NULL AND sample_unit_id IS NOT NULL AND digest_id IS NULL)
    OR (kind IN ('digest', 'alert') AND wave_id IS NULL AND sample_unit_id IS NULL AND digest_id IS NOT NULL));
