//! The sampling frame of a wave: bulk import (one transaction, COPY) and what it holds.

use std::collections::HashSet;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::ExecuteCopyFromDsl;
use serde_json::json;

use super::audit::{self, Actor};
use super::copy::{copy_text, io_error};
use super::schema::frame_units;

/// One valid frame row, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewFrameUnit {
    pub line: i32,
    pub dossier_code: String,
    pub agency_id: i32,
    pub procedure_code: Option<String>,
    pub completed_on: NaiveDate,
    pub respondent_kind: &'static str,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// The dossier codes a wave's frame already holds (a second file must not repeat them).
pub fn dossier_codes(conn: &mut PgConnection, wave_id: i32) -> QueryResult<HashSet<String>> {
    Ok(frame_units::table
        .filter(frame_units::wave_id.eq(wave_id))
        .select(frame_units::dossier_code)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

pub fn count(conn: &mut PgConnection, wave_id: i32) -> QueryResult<i64> {
    frame_units::table
        .filter(frame_units::wave_id.eq(wave_id))
        .count()
        .get_result(conn)
}

/// Stores `rows` in the caller's transaction with COPY, `chunk` rows at a time, calling
/// `progress` with the rows stored so far; audits the import (its size and file name, never
/// its contents).
pub fn insert(
    conn: &mut PgConnection,
    actor: &Actor,
    wave_id: i32,
    file_name: &str,
    rows: &[NewFrameUnit],
    progress: &mut dyn FnMut(usize),
) -> QueryResult<()> {
    const CHUNK: usize = 50_000;
    let mut done = 0;
    for chunk in rows.chunks(CHUNK) {
        let mut text = String::with_capacity(chunk.len() * 160);
        for r in chunk {
            use std::fmt::Write as _;
            let _ = writeln!(
                text,
                "{wave_id}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.line,
                copy_text(&r.dossier_code),
                r.agency_id,
                copy_opt(&r.procedure_code),
                r.completed_on.format("%Y-%m-%d"),
                r.respondent_kind,
                copy_opt(&r.name),
                copy_opt(&r.phone),
                copy_opt(&r.email),
                copy_opt(&r.address),
            );
        }
        diesel::copy_from(frame_units::table)
            .from_raw_data(
                (
                    frame_units::wave_id,
                    frame_units::line,
                    frame_units::dossier_code,
                    frame_units::agency_id,
                    frame_units::procedure_code,
                    frame_units::completed_on,
                    frame_units::respondent_kind,
                    frame_units::name,
                    frame_units::phone,
                    frame_units::email,
                    frame_units::address,
                ),
                |w| w.write_all(text.as_bytes()).map_err(io_error),
            )
            .execute(conn)?;
        done += chunk.len();
        progress(done);
    }
    audit::record(
        conn,
        actor,
        "frame.import",
        &wave_id.to_string(),
        None,
        Some(json!({"file": file_name, "rows": rows.len()})),
    )
}

fn copy_opt(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "\\N".to_owned(), copy_text)
}
