//! Storing responses: one row per rating, its answers in it (`answer_values`), one statement
//! per batch, so a rating lands whole or not at all, and a replayed submission id stores
//! nothing new.

use diesel::prelude::*;
use diesel::sql_types::{Array, Int2, Int4, Int8, Nullable, Text, Uuid as SqlUuid};

use std::collections::HashMap;
use std::sync::Arc;

use super::prepared::prepared;
use super::rollup::CellDelta;
use crate::domain::{search, Channel, FormSpec, Submission};

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
    /// Reasons to hold it found before it reached the database (its fill time).
    pub flags: Vec<crate::domain::screening::Flag>,
    /// The phone's address, for the one-device test (kiosks share theirs, so none); held in
    /// memory only, never written.
    pub client: Option<std::net::IpAddr>,
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
    form: &FormSpec,
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
    let mut keys = Vec::with_capacity(n);
    // Every rating's answer array, end to end: rating i's is the slice i of `width`.
    let width = form.item_count;
    let mut values: Vec<Option<i16>> = Vec::with_capacity(n * width);
    for p in batch {
        let s = &p.submission;
        ids.push(s.id);
        desks.push(p.desk_id);
        versions.push(p.key_version);
        channels.push(p.channel.as_str());
        kinds.push(s.respondent_kind.as_str());
        procedures.push(s.procedure_code.as_deref());
        comments.push(s.comment.as_deref());
        keys.push(s.comment.as_deref().map(search::key));
        values.extend(
            form.stored_answers(&s.answers)
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?,
        );
    }
    let rows: Vec<BatchOutcome> = prepared(
        "WITH v AS ( \
             SELECT * FROM unnest($1::uuid[], $2::int4[], $3::int2[], $4::text[], $5::text[], $6::text[], $7::text[], $11::text[]) \
                 WITH ORDINALITY AS v(id, desk_id, key_version, channel, kind, procedure_code, comment, search, i)), \
         d AS ( \
             SELECT v.*, desks.agency_id FROM v \
             JOIN desks ON desks.id = v.desk_id AND desks.key_version = v.key_version AND desks.active \
             JOIN agencies ON agencies.id = desks.agency_id AND agencies.active), \
         r AS ( \
             INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, procedure_code, comment, answer_values, comment_search, comment_search_v) \
             SELECT id, $8, agency_id, desk_id, channel, kind, procedure_code, comment, \
                    ($9::int2[])[(i - 1) * $10 + 1 : i * $10], search, CASE WHEN search IS NOT NULL THEN $12::int2 END FROM d \
             ON CONFLICT DO NOTHING \
             RETURNING id) \
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
    .bind::<Int4, _>(form.instrument_id)
    .bind::<Array<Nullable<Int2>>, _>(&values)
    .bind::<Int8, _>(width as i64)
    .bind::<Array<Nullable<Text>>, _>(&keys)
    .bind::<Int2, _>(search::KEY_VERSION)
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

/// Screens the ratings a batch stored anew, in its transaction: holds those that look like
/// gaming (and may hold earlier ones of a burst) and says, for each, whether it is held.
pub type Screen<'a> = &'a dyn Fn(&mut PgConnection, &[&PendingDesk]) -> QueryResult<Vec<bool>>;

/// Stores one batch and its aggregates in one transaction, and says what happened to each
/// rating, in order. Repeated submission ids inside the batch (a double click landing in the
/// same batch) are stored once; the repeats answer `Duplicate`. If the batch fails on a working
/// connection, each rating is stored alone (each with its aggregates, in its own transaction),
/// so one bad rating cannot sink its neighbours. `Err` means the batch failed on a connection
/// that no longer answers: nothing of it can be known stored, and the caller may retry it on a
/// new connection (replays are harmless, and only ratings stored anew add to the aggregates).
pub fn store_desk_batch(
    conn: &mut PgConnection,
    form: &FormSpec,
    batch: &[&PendingDesk],
    rollup: Rollup,
    screen: Screen,
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
            let results = insert_desk_batch(conn, form, ps)?;
            let created: Vec<&PendingDesk> = ps
                .iter()
                .zip(&results)
                .filter(|(_, r)| **r == Stored::Created)
                .map(|(p, _)| *p)
                .collect();
            let held = if created.is_empty() {
                Vec::new()
            } else {
                screen(conn, &created)?
            };
            // A held rating is kept out of the aggregates until a reviewer releases it.
            let counted: Vec<&PendingDesk> = created
                .iter()
                .zip(held.iter().chain(std::iter::repeat(&false)))
                .filter(|(_, held)| !**held)
                .map(|(p, _)| *p)
                .collect();
            if !counted.is_empty() {
                let cells = rollup(&counted)
                    .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
                super::rollup::add_today(conn, form.instrument_id, shard, &cells)?;
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
