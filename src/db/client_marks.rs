//! One device rating many times (issue #19, point 4): a client known only as a keyed hash of
//! its address under the day's salt; the salt and the day's marks are deleted once the day is
//! over (see the migration `client_marks`).

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Date, Int4};
use rand::RngCore;
use uuid::Uuid;

#[derive(QueryableByName)]
struct Salt {
    #[diesel(sql_type = Bytea)]
    salt: Vec<u8>,
}

/// Today's salt, drawn on the day's first use; earlier salts and marks are deleted then.
pub fn day_salt(conn: &mut PgConnection, today: NaiveDate) -> QueryResult<Vec<u8>> {
    let mut fresh = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut fresh);
    let drawn = diesel::sql_query(
        "INSERT INTO client_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
    )
    .bind::<Date, _>(today)
    .bind::<Bytea, _>(fresh.as_slice())
    .execute(conn)?;
    if drawn > 0 {
        forget_before(conn, today)?;
    }
    diesel::sql_query("SELECT salt FROM client_salts WHERE day = $1")
        .bind::<Date, _>(today)
        .get_result::<Salt>(conn)
        .map(|s| s.salt)
}

/// Deletes every salt and mark of a day before `today` (also run hourly, for a day on which
/// nobody rated).
pub fn forget_before(conn: &mut PgConnection, today: NaiveDate) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM client_salts WHERE day < $1")
        .bind::<Date, _>(today)
        .execute(conn)?;
    diesel::sql_query("DELETE FROM client_marks WHERE day < $1")
        .bind::<Date, _>(today)
        .execute(conn)
}

#[derive(QueryableByName)]
struct Marked {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    response_id: Uuid,
}

/// Marks a rating with its client's hash for the day; returns every rating of that client at
/// that desk today, this one included, oldest first.
pub fn mark(
    conn: &mut PgConnection,
    response_id: Uuid,
    today: NaiveDate,
    desk_id: i32,
    client: &[u8; 32],
) -> QueryResult<Vec<Uuid>> {
    diesel::sql_query(
        "INSERT INTO client_marks (response_id, day, desk_id, client) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (response_id) DO NOTHING",
    )
    .bind::<diesel::sql_types::Uuid, _>(response_id)
    .bind::<Date, _>(today)
    .bind::<Int4, _>(desk_id)
    .bind::<Bytea, _>(client.as_slice())
    .execute(conn)?;
    let rows: Vec<Marked> = diesel::sql_query(
        "SELECT m.response_id FROM client_marks m JOIN responses r ON r.id = m.response_id \
         WHERE m.day = $1 AND m.client = $2 AND m.desk_id = $3 ORDER BY r.submitted_at, r.id",
    )
    .bind::<Date, _>(today)
    .bind::<Bytea, _>(client.as_slice())
    .bind::<Int4, _>(desk_id)
    .load(conn)?;
    Ok(rows.into_iter().map(|m| m.response_id).collect())
}
