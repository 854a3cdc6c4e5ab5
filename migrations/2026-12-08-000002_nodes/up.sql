-- Nodes that share this database (issue #21, point 2): each `sipas serve` process writes a
-- heartbeat every ten seconds and removes its row when it stops, so that a node can tell
-- whether others are live (and warn when they each keep rate limits in their own memory).
-- Nothing personal: a random id per process, times, the rate store's kind, the version.
CREATE TABLE nodes (
    id         TEXT PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    seen_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    rate_store TEXT NOT NULL CHECK (rate_store IN ('memory', 'postgres', 'redis')),
    version    TEXT NOT NULL CHECK (octet_length(version) <= 64)
);
