//! Token buckets in PostgreSQL, shared by every node (`ingest::ratelimit::Limiter`). One
//! statement per take: refill by the time since the last one (the database's clock, the one
//! every node shares), take a token if there is one, say whether it did.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Bytea, Double};

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Bool)]
    allowed: bool,
    #[diesel(sql_type = Double)]
    tokens: f64,
}

/// Takes one token from the bucket `key` (burst `burst`, refilled at `per_sec`); returns
/// whether it had one, and the tokens left.
pub fn take(
    conn: &mut PgConnection,
    key: &[u8; 16],
    burst: f64,
    per_sec: f64,
) -> QueryResult<(bool, f64)> {
    let t: Taken = diesel::sql_query(
        "INSERT INTO rate_buckets AS b (key, tokens, updated_at, allowed)
         VALUES ($1, $2 - 1, now(), $2 >= 1)
         ON CONFLICT (key) DO UPDATE SET
           tokens = (SELECT CASE WHEN f >= 1 THEN f - 1 ELSE f END FROM (SELECT least($2,
                       b.tokens + greatest(0, extract(epoch FROM now() - b.updated_at)::float8) * $3)
                     AS f) r),
           allowed = (SELECT f >= 1 FROM (SELECT least($2,
                       b.tokens + greatest(0, extract(epoch FROM now() - b.updated_at)::float8) * $3)
                     AS f) r),
           updated_at = now()
         RETURNING allowed, tokens",
    )
    .bind::<Bytea, _>(&key[..])
    .bind::<Double, _>(burst)
    .bind::<Double, _>(per_sec)
    .get_result(conn)?;
    Ok((t.allowed, t.tokens))
}

/// Forgets buckets untouched for an hour (a full bucket carries no information).
pub fn prune(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM rate_buckets WHERE updated_at < now() - interval '1 hour'")
        .execute(conn)
}
