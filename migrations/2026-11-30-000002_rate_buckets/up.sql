-- Token buckets shared by every app node (SIPAS_RATE_STORE=postgres). A bucket is named by a
-- keyed hash of what it limits (a client address, a desk), never the address itself. UNLOGGED:
-- after a crash the limits simply start full again, which is harmless and keeps writes cheap.
CREATE UNLOGGED TABLE rate_buckets (
    key bytea PRIMARY KEY CHECK (octet_length(key) = 16),
    tokens double precision NOT NULL,
    updated_at timestamptz NOT NULL,
    allowed boolean NOT NULL
);
CREATE INDEX rate_buckets_updated ON rate_buckets (updated_at);
