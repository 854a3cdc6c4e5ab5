//! Storing responses: one statement per submission, so a response and its answers land together
//! or not at all, and a replayed submission id stores nothing new.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int2, Int4, Nullable, Text, Uuid as SqlUuid};

use crate::domain::{Channel, Submission};

/// What happened to a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// A new response with its answers.
    Created,
    /// The submission id was stored before: nothing changed (a retry or a double click).
    Duplicate,
    /// The desk's key version moved on (revoked QR code) or the desk was deactivated.
    DeskRevoked,
    /// No such desk (a token signed with our key for a desk that was never created).
    UnknownDesk,
}

#[derive(QueryableByName)]
struct Outcome {
    #[diesel(sql_type = BigInt)]
    desk_known: i64,
    #[diesel(sql_type = BigInt)]
    desk_ok: i64,
    #[diesel(sql_type = BigInt)]
    inserted: i64,
}

/// Stores a desk submission. The desk's current key version is checked in the same statement,
/// so a code revoked a millisecond ago cannot slip through.
///
/// A single statement is its own transaction in PostgreSQL: the CTE inserts the response and
/// all its answers atomically in one round trip, which is what makes the ingest rate (see the
/// README's benchmark) a large fraction of PostgreSQL's own single-insert rate.
pub fn insert_desk_submission(
    conn: &mut PgConnection,
    desk_id: i32,
    key_version: i16,
    instrument_id: i32,
    channel: Channel,
    s: &Submission,
) -> QueryResult<Stored> {
    let (item_ids, values): (Vec<i32>, Vec<Option<i16>>) = s.answers.iter().copied().unzip();
    let out: Outcome = diesel::sql_query(
        "WITH d AS ( \
             SELECT id, agency_id FROM desks WHERE id = $1 AND key_version = $2 AND active), \
         r AS ( \
             INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, procedure_code, comment) \
             SELECT $3, $4, d.agency_id, d.id, $5, $6, $7, $8 FROM d \
             ON CONFLICT (id) DO NOTHING \
             RETURNING id, instrument_id), \
         a AS ( \
             INSERT INTO answers (response_id, instrument_id, item_id, value) \
             SELECT r.id, r.instrument_id, x.item_id, x.value \
             FROM r, unnest($9::int4[], $10::int2[]) AS x(item_id, value)) \
         SELECT (SELECT count(*) FROM desks WHERE id = $1) AS desk_known, \
                (SELECT count(*) FROM d) AS desk_ok, (SELECT count(*) FROM r) AS inserted",
    )
    .bind::<Int4, _>(desk_id)
    .bind::<Int2, _>(key_version)
    .bind::<SqlUuid, _>(s.id)
    .bind::<Int4, _>(instrument_id)
    .bind::<Text, _>(channel.as_str())
    .bind::<Text, _>(s.respondent_kind.as_str())
    .bind::<Nullable<Text>, _>(s.procedure_code.as_deref())
    .bind::<Nullable<Text>, _>(s.comment.as_deref())
    .bind::<Array<Int4>, _>(item_ids)
    .bind::<Array<Nullable<Int2>>, _>(values)
    .get_result(conn)?;
    Ok(match (out.desk_known, out.desk_ok, out.inserted) {
        (0, _, _) => Stored::UnknownDesk,
        (_, 0, _) => Stored::DeskRevoked,
        (_, _, 0) => Stored::Duplicate,
        _ => Stored::Created,
    })
}

/// Number of stored responses (health and benchmark reports).
pub fn count(conn: &mut PgConnection) -> QueryResult<i64> {
    use super::schema::responses;
    responses::table.count().get_result(conn)
}
