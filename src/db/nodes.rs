//! The heartbeat of the nodes that share this database (see migration `…_nodes`).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// A node is live when its last heartbeat is younger than this (three beats).
pub const LIVE_SECONDS: i64 = 30;

#[derive(QueryableByName)]
struct Others {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    in_memory: i64,
}

/// The other live nodes as one node sees them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Live nodes besides this one.
    pub others: i64,
    /// Of those, how many keep rate limits in their own memory.
    pub others_in_memory: i64,
}

/// Records this node's heartbeat (creating its row on the first) and counts the others that
/// are live; rows of nodes silent for a day are removed on the way.
pub fn beat(
    conn: &mut PgConnection,
    id: &str,
    rate_store: &str,
    version: &str,
) -> QueryResult<Seen> {
    conn.transaction(|conn| {
        diesel::sql_query(
            "INSERT INTO nodes (id, rate_store, version) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET seen_at = now()",
        )
        .bind::<Text, _>(id)
        .bind::<Text, _>(rate_store)
        .bind::<Text, _>(version)
        .execute(conn)?;
        diesel::sql_query("DELETE FROM nodes WHERE seen_at < now() - interval '1 day'")
            .execute(conn)?;
        let o: Others = diesel::sql_query(format!(
            "SELECT count(*) AS n, count(*) FILTER (WHERE rate_store = 'memory') AS in_memory \
             FROM nodes WHERE id <> $1 AND seen_at > now() - interval '{LIVE_SECONDS} seconds'"
        ))
        .bind::<Text, _>(id)
        .get_result(conn)?;
        Ok(Seen {
            others: o.n,
            others_in_memory: o.in_memory,
        })
    })
}

/// Removes this node's row (it stops).
pub fn leave(conn: &mut PgConnection, id: &str) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM nodes WHERE id = $1")
        .bind::<Text, _>(id)
        .execute(conn)
        .map(drop)
}
