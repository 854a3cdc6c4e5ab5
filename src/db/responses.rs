//! Storing responses: one statement per submission, so a response and its answers land together
//! or not at all, and a replayed submission id stores nothing new.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int2, Int4, Nullable, Text, Uuid as SqlUuid};

use std::collections::HashMap;
use std::sync::Arc;

use super::rollup::CellDelta;
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
/// so a code revoked a millisecond ago cannot slip through. `ON CONFLICT DO NOTHING` names no
/// constraint on purpose: a replay racing its original may trip either unique index on the id
/// (the primary key or (id, instrument_id)), and both mean "stored before".
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
             SELECT desks.id, desks.agency_id FROM desks JOIN agencies ON agencies.id = desks.agency_id \
             WHERE desks.id = $1 AND desks.key_version = $2 AND desks.active AND agencies.active), \
         r AS ( \
             INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, procedure_code, comment) \
             SELECT $3, $4, d.agency_id, d.id, $5, $6, $7, $8 FROM d \
             ON CONFLICT DO NOTHING \
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

/// One desk submission waiting in a batch.
pub struct PendingDesk {
    pub desk_id: i32,
    pub key_version: i16,
    pub channel: Channel,
    pub submission: Submission,
}

#[derive(QueryableByName)]
struct BatchOutcome {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    desk_known: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    desk_ok: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    inserted: bool,
}

/// Stores many desk submissions in one statement (one commit), each whole or not at all, and
/// says what happened to each, in order. Submission ids must be distinct within the batch (the
/// writer folds repeats together before calling this).
///
/// Batching is what lets the service keep up with PostgreSQL's own insert rate: the cost of a
/// transaction (parse, plan, commit, WAL flush) is paid once per batch instead of per rating.
pub fn insert_desk_batch(
    conn: &mut PgConnection,
    instrument_id: i32,
    batch: &[&PendingDesk],
) -> QueryResult<Vec<Stored>> {
    let n = batch.len();
    let mut ids = Vec::with_capacity(n);
    let mut desks = Vec::with_capacity(n);
    let mut versions = Vec::with_capacity(n);
    let mut channels = Vec::with_capacity(n);
    let mut kinds = Vec::with_capacity(n);
    let mut procedures = Vec::with_capacity(n);
    let mut comments = Vec::with_capacity(n);
    let (mut a_resp, mut a_item, mut a_value) = (Vec::new(), Vec::new(), Vec::new());
    for p in batch {
        let s = &p.submission;
        ids.push(s.id);
        desks.push(p.desk_id);
        versions.push(p.key_version);
        channels.push(p.channel.as_str());
        kinds.push(s.respondent_kind.as_str());
        procedures.push(s.procedure_code.as_deref());
        comments.push(s.comment.as_deref());
        for &(item, value) in &s.answers {
            a_resp.push(s.id);
            a_item.push(item);
            a_value.push(value);
        }
    }
    let rows: Vec<BatchOutcome> = diesel::sql_query(
        "WITH v AS ( \
             SELECT * FROM unnest($1::uuid[], $2::int4[], $3::int2[], $4::text[], $5::text[], $6::text[], $7::text[]) \
                 AS v(id, desk_id, key_version, channel, kind, procedure_code, comment)), \
         d AS ( \
             SELECT v.*, desks.agency_id FROM v \
             JOIN desks ON desks.id = v.desk_id AND desks.key_version = v.key_version AND desks.active \
             JOIN agencies ON agencies.id = desks.agency_id AND agencies.active), \
         r AS ( \
             INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, procedure_code, comment) \
             SELECT id, $8, agency_id, desk_id, channel, kind, procedure_code, comment FROM d \
             ON CONFLICT DO NOTHING \
             RETURNING id, instrument_id), \
         a AS ( \
             INSERT INTO answers (response_id, instrument_id, item_id, value) \
             SELECT r.id, r.instrument_id, x.item_id, x.value \
             FROM r JOIN unnest($9::uuid[], $10::int4[], $11::int2[]) AS x(response_id, item_id, value) \
               ON x.response_id = r.id) \
         SELECT v.id, \
                EXISTS (SELECT 1 FROM desks WHERE desks.id = v.desk_id) AS desk_known, \
                EXISTS (SELECT 1 FROM d WHERE d.id = v.id) AS desk_ok, \
                EXISTS (SELECT 1 FROM r WHERE r.id = v.id) AS inserted \
         FROM v",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<Int4>, _>(&desks)
    .bind::<Array<Int2>, _>(&versions)
    .bind::<Array<Text>, _>(&channels)
    .bind::<Array<Text>, _>(&kinds)
    .bind::<Array<Nullable<Text>>, _>(&procedures)
    .bind::<Array<Nullable<Text>>, _>(&comments)
    .bind::<Int4, _>(instrument_id)
    .bind::<Array<SqlUuid>, _>(&a_resp)
    .bind::<Array<Int4>, _>(&a_item)
    .bind::<Array<Nullable<Int2>>, _>(&a_value)
    .load(conn)?;
    let by_id: std::collections::HashMap<uuid::Uuid, Stored> = rows
        .into_iter()
        .map(|r| {
            let stored = match (r.desk_known, r.desk_ok, r.inserted) {
                (false, _, _) => Stored::UnknownDesk,
                (_, false, _) => Stored::DeskRevoked,
                (_, _, false) => Stored::Duplicate,
                _ => Stored::Created,
            };
            (r.id, stored)
        })
        .collect();
    ids.iter()
        .map(|id| {
            by_id
                .get(id)
                .copied()
                .ok_or(diesel::result::Error::NotFound)
        })
        .collect()
}

/// What happened to each rating of a batch: stored (or not, and why), or the error of its own
/// statement when the batch had to be stored one by one. Shared, because repeats of one
/// submission id inside a batch get the same answer.
pub type BatchResult = Result<Stored, Arc<diesel::result::Error>>;

/// The aggregates a set of newly stored ratings adds (computed by the caller, who knows the
/// statistics; `db/` only stores them).
pub type Rollup<'a> = &'a dyn Fn(&[&PendingDesk]) -> Result<Vec<CellDelta>, String>;

/// Stores one batch and its aggregates in one transaction, and says what happened to each
/// rating, in order. Repeated submission ids inside the batch (a double click landing in the
/// same batch) are stored once; the repeats answer `Duplicate`. If the batch fails on a working
/// connection, each rating is stored alone (each with its aggregates, in its own transaction),
/// so one bad rating cannot sink its neighbours. `Err` means the batch failed on a connection
/// that no longer answers: nothing of it can be known stored, and the caller may retry it on a
/// new connection (replays are harmless, and only ratings stored anew add to the aggregates).
pub fn store_desk_batch(
    conn: &mut PgConnection,
    instrument_id: i32,
    batch: &[&PendingDesk],
    rollup: Rollup,
    shard: i16,
) -> QueryResult<Vec<BatchResult>> {
    let mut first_of: HashMap<uuid::Uuid, usize> = HashMap::new();
    let mut unique: Vec<&PendingDesk> = Vec::with_capacity(batch.len());
    let mut slot = Vec::with_capacity(batch.len());
    for p in batch {
        let id = p.submission.id;
        match first_of.get(&id) {
            Some(&u) => slot.push((u, true)),
            None => {
                first_of.insert(id, unique.len());
                slot.push((unique.len(), false));
                unique.push(p);
            }
        }
    }
    let store = |conn: &mut PgConnection, ps: &[&PendingDesk]| -> QueryResult<Vec<Stored>> {
        conn.transaction(|conn| {
            let results = match ps {
                [p] => vec![insert_desk_submission(
                    conn,
                    p.desk_id,
                    p.key_version,
                    instrument_id,
                    p.channel,
                    &p.submission,
                )?],
                _ => insert_desk_batch(conn, instrument_id, ps)?,
            };
            let created: Vec<&PendingDesk> = ps
                .iter()
                .zip(&results)
                .filter(|(_, r)| **r == Stored::Created)
                .map(|(p, _)| *p)
                .collect();
            if !created.is_empty() {
                let cells = rollup(&created)
                    .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
                super::rollup::add_today(conn, instrument_id, shard, &cells)?;
            }
            Ok(results)
        })
    };
    let results: Vec<BatchResult> = match store(conn, &unique) {
        Ok(r) => r.into_iter().map(Ok).collect(),
        Err(e) if unique.len() == 1 || super::ping(conn).is_err() => return Err(e),
        Err(e) => {
            tracing::warn!(error = %e, size = unique.len(), "batch failed; storing its ratings one by one");
            unique
                .iter()
                .map(|p| store(conn, &[p]).map(|r| r[0]).map_err(Arc::new))
                .collect()
        }
    };
    Ok(slot
        .into_iter()
        .map(|(u, repeat)| match (&results[u], repeat) {
            (Ok(Stored::Created), true) => Ok(Stored::Duplicate),
            (r, _) => r.clone(),
        })
        .collect())
}
