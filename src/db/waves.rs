//! Waves of the annual sample survey: creation, state, and what a status report needs.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{frame_units, instruments, waves};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = waves)]
pub struct WaveRow {
    pub id: i32,
    pub name: String,
    pub year: i16,
    pub instrument_id: i32,
    pub state: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// What creating a wave did.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    Wave(i32),
    NoSuchInstrument,
    /// A wave of that year already has that name.
    NameTaken,
}

/// Creates a wave in state `draft` (audited).
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    name: &str,
    year: i16,
    instrument_code: &str,
) -> QueryResult<Created> {
    conn.transaction(|conn| {
        let Some(instrument_id) = instruments::table
            .filter(instruments::code.eq(instrument_code))
            .select(instruments::id)
            .first::<i32>(conn)
            .optional()?
        else {
            return Ok(Created::NoSuchInstrument);
        };
        let inserted: Option<i32> = diesel::insert_into(waves::table)
            .values((
                waves::name.eq(name),
                waves::year.eq(year),
                waves::instrument_id.eq(instrument_id),
            ))
            .on_conflict((waves::year, waves::name))
            .do_nothing()
            .returning(waves::id)
            .get_result(conn)
            .optional()?;
        let Some(id) = inserted else {
            return Ok(Created::NameTaken);
        };
        audit::record(
            conn,
            actor,
            "wave.create",
            &id.to_string(),
            None,
            Some(json!({"name": name, "year": year, "instrument": instrument_code, "state": "draft"})),
        )?;
        Ok(Created::Wave(id))
    })
}

pub fn find(conn: &mut PgConnection, id: i32) -> QueryResult<Option<WaveRow>> {
    waves::table
        .find(id)
        .select(WaveRow::as_select())
        .first(conn)
        .optional()
}

/// The wave, locked until the end of the caller's transaction: a step that checks the state
/// and then changes the wave cannot race another step.
pub fn lock(conn: &mut PgConnection, id: i32) -> QueryResult<Option<WaveRow>> {
    waves::table
        .find(id)
        .select(WaveRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<WaveRow>> {
    waves::table
        .order((waves::year.desc(), waves::id.desc()))
        .select(WaveRow::as_select())
        .load(conn)
}

/// Frame units per agency code: (agency code, units), by code.
pub fn frame_by_agency(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<(String, i64)>> {
    use super::schema::agencies;
    frame_units::table
        .inner_join(agencies::table)
        .filter(frame_units::wave_id.eq(wave_id))
        .group_by(agencies::code)
        .select((agencies::code, diesel::dsl::count_star()))
        .order(agencies::code)
        .load(conn)
}
