//! Receipts (issue #19): issuing them for a one-stop system's agencies, reading one for its
//! rating form, and storing the one rating a receipt gives — its nullifier, the response and
//! the response's aggregate cells in one transaction.
//!
//! Nothing here records when a receipt was issued or used, or writes a dossier code: see the
//! migration `receipts` for what each table holds and why.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int4, Int8, Text};
use serde_json::json;

use super::audit::{self, Actor};
use super::responses::{PendingDesk, Rollup, Stored};
use super::schema::{desks, receipt_nullifiers, receipts, responses};
use super::users::Scope;
use crate::domain::receipt::ReceiptRequest;
use crate::domain::{search, Channel, FormSpec, Submission};

/// The desk a receipt is placed at when the system names none (online and postal results):
/// one per agency, created disabled on first use so that no poster is printed for it.
pub const NO_DESK_CODE: &str = "KHONG-QUA-QUAY";
const NO_DESK_NAME: &str = "Trả kết quả không qua quầy (trực tuyến, bưu chính)";

/// A stored receipt, as its issuer and its rating form see it.
#[derive(Clone, Debug, PartialEq, Queryable)]
pub struct ReceiptRow {
    pub id: i64,
    pub agency_id: i32,
    pub desk_id: i32,
    pub expires_on: NaiveDate,
}

/// A receipt to issue: the request, its dossier's keyed hash and its last valid day.
pub struct NewReceipt<'a> {
    pub request: &'a ReceiptRequest,
    pub dossier_hash: [u8; 32],
    pub expires_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Placed {
    Created(ReceiptRow),
    /// The dossier had a receipt already: the same one, unchanged.
    Existing(ReceiptRow),
}

/// Why one receipt of a request cannot be issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No active agency of this code in the system's scope (the same answer for one that
    /// exists outside it).
    UnknownAgency,
    /// No desk of this id at that agency.
    UnknownDesk,
}

/// What issuing a batch did: every receipt placed, in order, or every refusal with its
/// position (and nothing placed).
pub type Issue = Result<Vec<Placed>, Vec<(usize, Refused)>>;

/// Issues every receipt of `batch` or none: each request's agency must be an active agency of
/// `scope`, its desk (if named) one of that agency's. Returns, in order, what was placed, or
/// every refusal with its position. Idempotent per dossier.
pub fn issue(
    conn: &mut PgConnection,
    actor: &Actor,
    scope: Scope,
    batch: &[NewReceipt],
) -> QueryResult<Issue> {
    let outcome = conn.transaction::<_, Rollback, _>(|conn| {
        let agencies: HashMap<String, i32> = super::agencies::visible(conn, scope)?
            .into_iter()
            .filter(|a| a.active)
            .map(|a| (a.code, a.id))
            .collect();
        // First every request's agency and desk; then the "not at a desk" desks the batch
        // needs, by agency; then the receipts, by dossier hash. Two batches therefore take
        // their locks in one order, and overlapping batches wait for each other instead of
        // deadlocking.
        let mut refused = Vec::new();
        let mut resolved: Vec<(usize, i32, Option<i32>)> = Vec::with_capacity(batch.len());
        for (k, r) in batch.iter().enumerate() {
            let Some(&agency_id) = agencies.get(&r.request.agency_code) else {
                refused.push((k, Refused::UnknownAgency));
                continue;
            };
            if let Some(d) = r.request.desk_id {
                let at_agency: bool = diesel::select(diesel::dsl::exists(
                    desks::table
                        .filter(desks::id.eq(d))
                        .filter(desks::agency_id.eq(agency_id)),
                ))
                .get_result(conn)?;
                if !at_agency {
                    refused.push((k, Refused::UnknownDesk));
                    continue;
                }
            }
            resolved.push((k, agency_id, r.request.desk_id));
        }
        if !refused.is_empty() {
            return Err(Rollback::Refused(refused));
        }
        let mut needing: Vec<i32> = resolved
            .iter()
            .filter(|(_, _, d)| d.is_none())
            .map(|(_, a, _)| *a)
            .collect();
        needing.sort_unstable();
        needing.dedup();
        let mut no_desk: HashMap<i32, i32> = HashMap::new();
        for agency_id in needing {
            no_desk.insert(agency_id, no_desk_of(conn, actor, agency_id)?);
        }
        resolved.sort_by(|a, b| batch[a.0].dossier_hash.cmp(&batch[b.0].dossier_hash));
        let mut placed: Vec<(usize, Placed)> = Vec::with_capacity(batch.len());
        for (k, agency_id, desk) in resolved {
            let r = &batch[k];
            let desk_id = desk.unwrap_or_else(|| no_desk[&agency_id]);
            let inserted: Option<ReceiptRow> = diesel::insert_into(receipts::table)
                .values((
                    receipts::dossier_hash.eq(r.dossier_hash.as_slice()),
                    receipts::agency_id.eq(agency_id),
                    receipts::desk_id.eq(desk_id),
                    receipts::procedure_code.eq(r.request.procedure_code.as_deref()),
                    receipts::returned_on.eq(r.request.returned_on),
                    receipts::expires_on.eq(r.expires_on),
                ))
                .on_conflict_do_nothing()
                .returning(COLUMNS)
                .get_result(conn)
                .optional()?;
            match inserted {
                Some(row) => placed.push((k, Placed::Created(row))),
                None => {
                    // The dossier's hash names its agency: the existing receipt is this one's.
                    let row: ReceiptRow = receipts::table
                        .filter(receipts::dossier_hash.eq(r.dossier_hash.as_slice()))
                        .select(COLUMNS)
                        .first(conn)?;
                    placed.push((k, Placed::Existing(row)));
                }
            }
        }
        placed.sort_by_key(|(k, _)| *k);
        Ok(placed.into_iter().map(|(_, p)| p).collect())
    });
    match outcome {
        Ok(placed) => Ok(Ok(placed)),
        Err(Rollback::Refused(r)) => Ok(Err(r)),
        Err(Rollback::Database(e)) => Err(e),
        Err(Rollback::Outcome(_)) => unreachable!("issuing does not end with a rating outcome"),
    }
}

const COLUMNS: (
    receipts::id,
    receipts::agency_id,
    receipts::desk_id,
    receipts::expires_on,
) = (
    receipts::id,
    receipts::agency_id,
    receipts::desk_id,
    receipts::expires_on,
);

/// The agency's desk for results returned without a desk, created (disabled, audited) if
/// missing.
fn no_desk_of(conn: &mut PgConnection, actor: &Actor, agency_id: i32) -> QueryResult<i32> {
    let found: Option<i32> = desks::table
        .filter(desks::agency_id.eq(agency_id))
        .filter(desks::code.eq(NO_DESK_CODE))
        .select(desks::id)
        .first(conn)
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    // Two systems may create it at once: the second waits for the first and takes its desk.
    let inserted: Option<i32> = diesel::insert_into(desks::table)
        .values((
            desks::agency_id.eq(agency_id),
            desks::code.eq(NO_DESK_CODE),
            desks::name.eq(NO_DESK_NAME),
            desks::active.eq(false),
        ))
        .on_conflict_do_nothing()
        .returning(desks::id)
        .get_result(conn)
        .optional()?;
    let Some(id) = inserted else {
        return desks::table
            .filter(desks::agency_id.eq(agency_id))
            .filter(desks::code.eq(NO_DESK_CODE))
            .select(desks::id)
            .first(conn);
    };
    audit::record(
        conn,
        actor,
        "desk.create",
        &id.to_string(),
        None,
        Some(json!({ "id": id, "agency_id": agency_id, "code": NO_DESK_CODE, "active": false })),
    )?;
    Ok(id)
}

/// A receipt with what its rating form shows.
#[derive(Clone, Debug, QueryableByName)]
pub struct ReceiptForm {
    #[diesel(sql_type = Int4)]
    pub agency_id: i32,
    #[diesel(sql_type = Text)]
    pub agency_name: String,
    #[diesel(sql_type = Text)]
    pub desk_name: String,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub expires_on: NaiveDate,
    #[diesel(sql_type = Bool)]
    pub agency_active: bool,
}

/// The receipt `id` with its agency's and desk's names.
pub fn form_of(conn: &mut PgConnection, id: i64) -> QueryResult<Option<ReceiptForm>> {
    diesel::sql_query(
        "SELECT r.agency_id, a.name AS agency_name, d.name AS desk_name, r.expires_on, \
                a.active AS agency_active \
         FROM receipts r JOIN agencies a ON a.id = r.agency_id JOIN desks d ON d.id = r.desk_id \
         WHERE r.id = $1",
    )
    .bind::<Int8, _>(id)
    .get_result(conn)
    .optional()
}

/// Whether a receipt's nullifier is stored, i.e. it was used.
pub fn is_used(conn: &mut PgConnection, nullifier: &[u8; 32]) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        receipt_nullifiers::table.filter(receipt_nullifiers::nullifier.eq(nullifier.as_slice())),
    ))
    .get_result(conn)
}

/// What became of a rating by receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatingOutcome {
    /// Stored (`Created`), or the same submission id was stored before (`Duplicate`).
    Stored(Stored),
    /// No such receipt, or its agency was closed.
    Unknown,
    Expired,
    /// Another rating used this receipt.
    Used,
}

enum Rollback {
    Outcome(RatingOutcome),
    Refused(Vec<(usize, Refused)>),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Rollback {
        Rollback::Database(e)
    }
}

/// Stores `submission` as the one rating of receipt `receipt_id`, in one transaction: its
/// nullifier, the response (channel `receipt_qr`, the receipt's agency and desk, no receipt
/// reference) and the response's aggregate cells. A replay of a stored submission id answers
/// `Duplicate` and changes nothing, before any other check, so a retry is always thanked.
/// Of two ratings racing on one receipt, the nullifier's primary key lets one through; the
/// other waits for it and answers `Used`.
#[allow(clippy::too_many_arguments)]
pub fn rate(
    conn: &mut PgConnection,
    form: &FormSpec,
    receipt_id: i64,
    nullifier: &[u8; 32],
    today: NaiveDate,
    submission: Submission,
    rollup: Rollup,
    shard: i16,
) -> QueryResult<RatingOutcome> {
    let stored_before = |conn: &mut PgConnection, id: uuid::Uuid| -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(responses::table.find(id))).get_result(conn)
    };
    let outcome = conn.transaction::<_, Rollback, _>(|conn| {
        if stored_before(conn, submission.id)? {
            return Err(Rollback::Outcome(RatingOutcome::Stored(Stored::Duplicate)));
        }
        let Some(receipt) = form_of(conn, receipt_id)? else {
            return Err(Rollback::Outcome(RatingOutcome::Unknown));
        };
        if !receipt.agency_active {
            return Err(Rollback::Outcome(RatingOutcome::Unknown));
        }
        if receipt.expires_on < today {
            return Err(Rollback::Outcome(RatingOutcome::Expired));
        }
        let fresh = diesel::insert_into(receipt_nullifiers::table)
            .values(receipt_nullifiers::nullifier.eq(nullifier.as_slice()))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if fresh == 0 {
            // Another rating holds it; if that was this very submission (a retry racing its
            // original), its row is visible now that the other transaction committed.
            let outcome = if stored_before(conn, submission.id)? {
                RatingOutcome::Stored(Stored::Duplicate)
            } else {
                RatingOutcome::Used
            };
            return Err(Rollback::Outcome(outcome));
        }
        let desk_id: i32 = receipts::table
            .find(receipt_id)
            .select(receipts::desk_id)
            .first(conn)?;
        let values = form
            .stored_answers(&submission.answers)
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
        let key = submission.comment.as_deref().map(search::key);
        let inserted = diesel::insert_into(responses::table)
            .values((
                responses::id.eq(submission.id),
                responses::instrument_id.eq(form.instrument_id),
                responses::agency_id.eq(receipt.agency_id),
                responses::desk_id.eq(desk_id),
                responses::channel.eq(Channel::ReceiptQr.as_str()),
                responses::respondent_kind.eq(submission.respondent_kind.as_str()),
                responses::procedure_code.eq(submission.procedure_code.as_deref()),
                responses::comment.eq(submission.comment.as_deref()),
                responses::answer_values.eq(&values),
                responses::comment_search.eq(key.as_deref()),
                responses::comment_search_v.eq(key.as_ref().map(|_| search::KEY_VERSION)),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            // The same id arrived by another door meanwhile: keep the receipt unused.
            return Err(Rollback::Outcome(RatingOutcome::Stored(Stored::Duplicate)));
        }
        let pending = PendingDesk {
            desk_id,
            key_version: 0,
            channel: Channel::ReceiptQr,
            submission: submission.clone(),
            flags: Vec::new(),
            client: None,
        };
        let cells =
            rollup(&[&pending]).map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
        super::rollup::add_today(conn, form.instrument_id, shard, &cells)?;
        Ok(RatingOutcome::Stored(Stored::Created))
    });
    match outcome {
        Ok(o) | Err(Rollback::Outcome(o)) => Ok(o),
        Err(Rollback::Database(e)) => Err(e),
        Err(Rollback::Refused(_)) => unreachable!("a rating is not refused per position"),
    }
}

/// What Decision 766 counts for one desk and one calendar month: the dossiers whose result
/// was returned that month (receipts issued), and the receipt ratings given that month, by
/// how satisfied they were.
#[derive(Clone, Debug, PartialEq, QueryableByName)]
pub struct DossierCounts {
    #[diesel(sql_type = Int4)]
    pub agency_id: i32,
    #[diesel(sql_type = Int4)]
    pub desk_id: i32,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub month: NaiveDate,
    #[diesel(sql_type = Int8)]
    pub issued: i64,
    #[diesel(sql_type = Int8)]
    pub rated: i64,
    #[diesel(sql_type = Int8)]
    pub satisfied: i64,
    #[diesel(sql_type = Int8)]
    pub unsatisfied: i64,
}

/// Receipts issued and receipt ratings given from `from` to `to` (days in Vietnam) in the
/// agencies `agency_ids` (at one desk, if given), per desk and month. A rating is satisfied or
/// unsatisfied by its answer to the overall question (`overall_slot`, 4–5 or 1–2), or, where
/// that is unanswered or not asked, by the mean of its answers (at least 3.5, below 2.5);
/// ratings of other instruments are not read (their slots differ).
pub fn dossier_counts(
    conn: &mut PgConnection,
    form: &FormSpec,
    agency_ids: &[i32],
    desk_id: Option<i32>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<DossierCounts>> {
    let overall_slot = form
        .questions
        .iter()
        .find(|q| q.kind == "overall")
        .and_then(|q| i32::try_from(q.slot + 1).ok());
    let end = to.succ_opt().unwrap_or(to);
    diesel::sql_query(
        "WITH issued AS ( \
           SELECT agency_id, desk_id, date_trunc('month', returned_on)::date AS month, \
                  count(*) AS issued \
           FROM receipts \
           WHERE agency_id = ANY($1) AND ($2::int4 IS NULL OR desk_id = $2) \
             AND returned_on >= $3 AND returned_on <= $4 \
           GROUP BY 1, 2, 3), \
         scored AS ( \
           SELECT r.agency_id, r.desk_id, \
                  date_trunc('month', r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS month, \
                  COALESCE(nullif(r.answer_values[$7], 0)::float8, \
                           (SELECT avg(v) FROM unnest(r.answer_values) v WHERE v > 0)) AS score \
           FROM responses r \
           WHERE r.channel = 'receipt_qr' AND r.instrument_id = $8 \
             AND r.agency_id = ANY($1) AND ($2::int4 IS NULL OR r.desk_id = $2) \
             AND r.submitted_at >= $5 AND r.submitted_at < $6), \
         rated AS ( \
           SELECT agency_id, desk_id, month, count(*) AS rated, \
                  count(*) FILTER (WHERE score >= 3.5) AS satisfied, \
                  count(*) FILTER (WHERE score < 2.5) AS unsatisfied \
           FROM scored GROUP BY 1, 2, 3) \
         SELECT agency_id, desk_id, month, \
                COALESCE(i.issued, 0) AS issued, COALESCE(r.rated, 0) AS rated, \
                COALESCE(r.satisfied, 0) AS satisfied, COALESCE(r.unsatisfied, 0) AS unsatisfied \
         FROM issued i FULL JOIN rated r USING (agency_id, desk_id, month) \
         ORDER BY month, agency_id, desk_id",
    )
    .bind::<diesel::sql_types::Array<Int4>, _>(agency_ids)
    .bind::<diesel::sql_types::Nullable<Int4>, _>(desk_id)
    .bind::<diesel::sql_types::Date, _>(from)
    .bind::<diesel::sql_types::Date, _>(to)
    .bind::<diesel::sql_types::Timestamptz, _>(super::audit::vietnam_midnight(from))
    .bind::<diesel::sql_types::Timestamptz, _>(super::audit::vietnam_midnight(end))
    .bind::<diesel::sql_types::Nullable<Int4>, _>(overall_slot)
    .bind::<Int4, _>(form.instrument_id)
    .load(conn)
}
