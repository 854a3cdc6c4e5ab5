//! Bulk writes for the demo province. Batches go through `unnest` so that each batch of
//! thousands of responses is two statements.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::ExecuteCopyFromDsl;
use uuid::Uuid;

use super::copy::{copy_text, io_error};
use super::schema::{desks, receipts, responses};
use super::{agencies as agency_q, desks as desk_q};
use crate::domain::search;

pub struct Structure {
    /// The province and every agency below it.
    pub agency_ids: Vec<i32>,
    /// (desk id, agency id) of every demo desk.
    pub desks: Vec<(i32, i32)>,
}

pub struct DemoResponse {
    pub id: Uuid,
    pub agency_id: i32,
    pub desk_id: i32,
    pub submitted_at: DateTime<Utc>,
    pub organisation: bool,
    /// `desk_qr`, or `receipt_qr` for a rating by a dossier's receipt.
    pub channel: &'static str,
    pub comment: Option<String>,
    /// As `responses.answer_values` stores them (`FormSpec::stored_answers`).
    pub answer_values: Vec<Option<i16>>,
}

/// Creates the demo province with its departments, communes, service centre and desks, once.
pub fn ensure_structure(
    conn: &mut PgConnection,
    province: &str,
    departments: &[&str],
    communes: &[&str],
    extra_communes: usize,
) -> QueryResult<Structure> {
    conn.transaction(|conn| {
        if agency_q::id_by_code(conn, province)?.is_none() {
            let l_province =
                agency_q::ensure_level(conn, "province", "Tỉnh, thành phố", "Province", 1)?;
            let l_dept =
                agency_q::ensure_level(conn, "department", "Sở, ban, ngành", "Department", 2)?;
            let l_centre = agency_q::ensure_level(
                conn,
                "service-centre",
                "Trung tâm Phục vụ hành chính công",
                "Public administration service centre",
                2,
            )?;
            let l_commune =
                agency_q::ensure_level(conn, "commune", "Xã, phường, đặc khu", "Commune", 2)?;
            let root = agency_q::create(conn, province, "Tỉnh Demo", l_province, None)?;
            let centre = agency_q::create(
                conn,
                &format!("{province}.TTPVHCC"),
                "Trung tâm Phục vụ hành chính công tỉnh",
                l_centre,
                Some(root),
            )?;
            for i in 1..=20 {
                desk_q::create(conn, centre, &format!("Q{i:02}"), &format!("Quầy số {i}"))?;
            }
            for (i, name) in departments.iter().enumerate() {
                let id = agency_q::create(
                    conn,
                    &format!("{province}.S{:02}", i + 1),
                    name,
                    l_dept,
                    Some(root),
                )?;
                for d in 1..=2 {
                    desk_q::create(
                        conn,
                        id,
                        &format!("Q{d}"),
                        &format!("Bộ phận Một cửa – quầy {d}"),
                    )?;
                }
            }
            for (i, name) in communes.iter().enumerate() {
                let id = agency_q::create(
                    conn,
                    &format!("{province}.X{:02}", i + 1),
                    &format!("UBND {name}"),
                    l_commune,
                    Some(root),
                )?;
                for d in 1..=2 {
                    desk_q::create(
                        conn,
                        id,
                        &format!("Q{d}"),
                        &format!("Bộ phận Một cửa – quầy {d}"),
                    )?;
                }
            }
        }
        // Synthetic communes beyond the named ones (`sipas demo --communes N`), for measuring a
        // ranking at the scale of a whole country (3,321 communes after the 2025 reform).
        let root = agency_q::id_by_code(conn, province)?.unwrap_or_default();
        let commune_level =
            agency_q::ensure_level(conn, "commune", "Xã, phường, đặc khu", "Commune", 2)?;
        for i in communes.len() + 1..=extra_communes.max(communes.len()) {
            let code = format!("{province}.X{i:04}");
            if agency_q::id_by_code(conn, &code)?.is_none() {
                let id = agency_q::create(
                    conn,
                    &code,
                    &format!("UBND Xã Tổng hợp {i:04}"),
                    commune_level,
                    Some(root),
                )?;
                desk_q::create(conn, id, "Q1", "Bộ phận Một cửa – quầy 1")?;
            }
        }
        let agency_ids = agency_q::subtree_ids(conn, province)?;
        let desks: Vec<(i32, i32)> = desks::table
            .filter(desks::agency_id.eq_any(&agency_ids))
            .filter(desks::active)
            .order(desks::id)
            .select((desks::id, desks::agency_id))
            .load(conn)?;
        Ok(Structure { agency_ids, desks })
    })
}

/// The demo's desk ratings (the annual survey's responses belong to its wave).
pub fn count_responses(conn: &mut PgConnection, agency_ids: &[i32]) -> QueryResult<i64> {
    responses::table
        .filter(responses::agency_id.eq_any(agency_ids))
        .filter(responses::desk_id.is_not_null())
        .count()
        .get_result(conn)
}

pub fn delete_responses(conn: &mut PgConnection, agency_ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(receipts::table.filter(receipts::agency_id.eq_any(agency_ids))).execute(conn)?;
    diesel::delete(
        responses::table
            .filter(responses::agency_id.eq_any(agency_ids))
            .filter(responses::desk_id.is_not_null()),
    )
    .execute(conn)
}

/// Makes a bulk-loading session cheaper where the server allows it. The demo's rows reference
/// agencies, desks, items and responses that it created itself, so the per-row foreign-key
/// triggers (most of PostgreSQL's work in a load of millions of answers) can be skipped with
/// `session_replication_role = replica`; that needs a superuser, and without one the load runs
/// with every check, only slower. Commits need not wait for the disk either: a crash loses
/// the load, which `sipas demo --reset` redoes.
pub fn prepare_bulk_session(conn: &mut PgConnection) {
    let _ = diesel::sql_query("SET synchronous_commit = off").execute(conn);
    if let Err(e) = diesel::sql_query("SET session_replication_role = replica").execute(conn) {
        tracing::debug!("foreign-key checks stay on during the demo load: {e}");
    }
}

/// Refreshes the planner's statistics after a bulk load, so the first pages are planned for the
/// data that is there (autovacuum would get to it later).
pub fn analyze(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("ANALYZE responses, desk_daily, desk_monthly")
        .execute(conn)
        .map(|_| ())
}

/// Inserts one batch of responses (answers included) with one COPY (several times the rate of
/// INSERT for millions of rows).
pub fn insert_responses(
    conn: &mut PgConnection,
    instrument_id: i32,
    batch: &[DemoResponse],
) -> QueryResult<()> {
    use std::fmt::Write as _;
    let mut resp = String::with_capacity(batch.len() * 200);
    for r in batch {
        let values = r
            .answer_values
            .iter()
            .map(|v| v.map_or("NULL".to_owned(), |v| v.to_string()))
            .collect::<Vec<_>>()
            .join(",");
        let _ = writeln!(
            resp,
            "{}\t{instrument_id}\t{}\t{}\t{}\t{}\t{}\t{}\t{{{values}}}\t{}\t{}",
            r.id,
            r.agency_id,
            r.desk_id,
            r.channel,
            r.submitted_at.format("%Y-%m-%d %H:%M:%S%.6f+00"),
            if r.organisation {
                "organisation"
            } else {
                "individual"
            },
            r.comment.as_deref().map_or("\\N".to_owned(), copy_text),
            r.comment
                .as_deref()
                .map_or("\\N".to_owned(), |c| copy_text(&search::key(c))),
            if r.comment.is_some() {
                search::KEY_VERSION.to_string()
            } else {
                "\\N".to_owned()
            },
        );
    }
    diesel::copy_from(responses::table)
        .from_raw_data(
            (
                responses::id,
                responses::instrument_id,
                responses::agency_id,
                responses::desk_id,
                responses::channel,
                responses::submitted_at,
                responses::respondent_kind,
                responses::comment,
                responses::answer_values,
                responses::comment_search,
                responses::comment_search_v,
            ),
            |w| w.write_all(resp.as_bytes()).map_err(io_error),
        )
        .execute(conn)
        .map(|_| ())
}

/// A demo dossier's receipt: its result returned on `returned_on` at a desk. The dossier is
/// none (its hash random); a rated one's rating is among the demo responses, as a real one
/// would be, with nothing tying the two.
pub struct DemoReceipt {
    pub agency_id: i32,
    pub desk_id: i32,
    pub returned_on: chrono::NaiveDate,
    pub dossier_hash: [u8; 32],
}

pub fn insert_receipts(conn: &mut PgConnection, batch: &[DemoReceipt]) -> QueryResult<()> {
    use std::fmt::Write as _;
    let mut rows = String::with_capacity(batch.len() * 120);
    for r in batch {
        let hex: String = r.dossier_hash.iter().map(|b| format!("{b:02x}")).collect();
        let expires = r.returned_on + chrono::Duration::days(30);
        let _ = writeln!(
            rows,
            "\\\\x{hex}\t{}\t{}\t{}\t{expires}",
            r.agency_id, r.desk_id, r.returned_on
        );
    }
    diesel::copy_from(receipts::table)
        .from_raw_data(
            (
                receipts::dossier_hash,
                receipts::agency_id,
                receipts::desk_id,
                receipts::returned_on,
                receipts::expires_on,
            ),
            |w| w.write_all(rows.as_bytes()).map_err(io_error),
        )
        .execute(conn)
        .map(|_| ())
}
