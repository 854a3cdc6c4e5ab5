//! Mixing the used-receipt nullifiers, so that the database's own bookkeeping cannot join a
//! nullifier to its rating.
//!
//! A rating by receipt writes its nullifier and its response in one transaction (one use must
//! be all or nothing), so until they are mixed the two rows carry the same `xmin` and sit at
//! the same place in their tables' insertion order. Mixing rewrites the whole table in one
//! transaction, in a random order: afterwards every nullifier has the mixing transaction's
//! `xmin` and a random place, and `TRUNCATE` leaves no dead row versions behind in the table
//! (the write-ahead log keeps the old order until it is recycled: see the README).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Mixes the nullifiers when any was written since the last mixing (some row's `xmin`
/// differs from another's); returns how many rows were rewritten (0 when there was nothing
/// to mix). Safe on several nodes at once: the table lock makes them take turns, and the
/// second finds nothing left to mix. A rating by receipt waits for the lock (a moment).
pub fn mix(conn: &mut PgConnection) -> QueryResult<usize> {
    conn.transaction(|conn| {
        diesel::sql_query("LOCK TABLE receipt_nullifiers IN ACCESS EXCLUSIVE MODE")
            .execute(conn)?;
        let unmixed: Flag = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM receipt_nullifiers \
             WHERE xmin::text <> (SELECT xmin::text FROM receipt_nullifiers LIMIT 1)) AS flag",
        )
        .get_result(conn)?;
        if !unmixed.flag {
            return Ok(0);
        }
        diesel::sql_query(
            "CREATE TEMPORARY TABLE nullifiers_mixing ON COMMIT DROP AS \
             SELECT nullifier FROM receipt_nullifiers",
        )
        .execute(conn)?;
        diesel::sql_query("TRUNCATE receipt_nullifiers").execute(conn)?;
        let n: Count = diesel::sql_query(
            "WITH moved AS (INSERT INTO receipt_nullifiers (nullifier) \
             SELECT nullifier FROM nullifiers_mixing ORDER BY random() RETURNING 1) \
             SELECT count(*) AS n FROM moved",
        )
        .get_result(conn)?;
        Ok(n.n as usize)
    })
}
