//! The desk stream's daily aggregates (`desk_daily`): what the writer adds with each batch,
//! what a rebuild reads and replaces, and what dashboards sum.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, Float8, Int4, Int8, Text};
use uuid::Uuid;

use super::schema::{answers, desk_daily, responses};

/// One cell's addition: the statistics of the ratings of one desk, channel and respondent kind
/// that a batch stored (the agency and the day come from the database, like the ratings').
#[derive(Clone, Debug, PartialEq)]
pub struct CellDelta {
    pub desk_id: i32,
    pub channel: &'static str,
    pub respondent_kind: &'static str,
    pub responses: i64,
    pub stats: Vec<f64>,
}

/// Adds the cells of ratings stored in this transaction, on today's date in Vietnam (the
/// date of `now()`, which is also the ratings' `submitted_at`). All vectors have one length.
pub fn add_today(
    conn: &mut PgConnection,
    instrument_id: i32,
    cells: &[CellDelta],
) -> QueryResult<()> {
    let Some(len) = cells.first().map(|c| c.stats.len()) else {
        return Ok(());
    };
    let desks: Vec<i32> = cells.iter().map(|c| c.desk_id).collect();
    let channels: Vec<&str> = cells.iter().map(|c| c.channel).collect();
    let kinds: Vec<&str> = cells.iter().map(|c| c.respondent_kind).collect();
    let counts: Vec<i64> = cells.iter().map(|c| c.responses).collect();
    let stats: Vec<f64> = cells.iter().flat_map(|c| c.stats.iter().copied()).collect();
    diesel::sql_query(
        "INSERT INTO desk_daily AS t (agency_id, day, desk_id, channel, respondent_kind, instrument_id, responses, stats) \
         SELECT d.agency_id, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, c.desk_id, c.channel, c.kind, $6, \
                c.responses, $5[(c.i - 1) * $7 + 1 : c.i * $7] \
         FROM unnest($1::int4[], $2::text[], $3::text[], $4::int8[]) WITH ORDINALITY AS c(desk_id, channel, kind, responses, i) \
         JOIN desks d ON d.id = c.desk_id \
         ON CONFLICT (agency_id, day, desk_id, channel, respondent_kind, instrument_id) \
         DO UPDATE SET responses = t.responses + excluded.responses, stats = sipas_add(t.stats, excluded.stats)",
    )
    .bind::<Array<Int4>, _>(&desks)
    .bind::<Array<Text>, _>(&channels)
    .bind::<Array<Text>, _>(&kinds)
    .bind::<Array<Int8>, _>(&counts)
    .bind::<Array<Float8>, _>(&stats)
    .bind::<Int4, _>(instrument_id)
    .bind::<Int4, _>(len as i32)
    .execute(conn)
    .map(|_| ())
}

/// A stored cell.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable)]
#[diesel(table_name = desk_daily, check_for_backend(diesel::pg::Pg))]
pub struct Cell {
    pub agency_id: i32,
    pub day: NaiveDate,
    pub desk_id: i32,
    pub channel: String,
    pub respondent_kind: String,
    pub responses: i64,
    pub stats: Vec<f64>,
}

/// Every cell of an instrument, in key order (for checks and rebuilds).
pub fn all_cells(conn: &mut PgConnection, instrument_id: i32) -> QueryResult<Vec<Cell>> {
    desk_daily::table
        .filter(desk_daily::instrument_id.eq(instrument_id))
        .order((
            desk_daily::agency_id,
            desk_daily::day,
            desk_daily::desk_id,
            desk_daily::channel,
            desk_daily::respondent_kind,
        ))
        .select(Cell::as_select())
        .load(conn)
}

/// One raw answer with the cell its response belongs to.
pub type RawAnswer = (NaiveDate, i32, String, String, Uuid, i32, Option<i16>);

/// The raw answers of one agency's desk ratings of an instrument, grouped by cell and then by
/// response: (local day, desk, channel, kind, response, item, value).
pub fn raw_answers(
    conn: &mut PgConnection,
    agency_id: i32,
    instrument_id: i32,
) -> QueryResult<Vec<RawAnswer>> {
    let day = diesel::dsl::sql::<diesel::sql_types::Date>(
        "(responses.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date",
    );
    answers::table
        .inner_join(responses::table.on(responses::id.eq(answers::response_id)))
        .filter(responses::agency_id.eq(agency_id))
        .filter(responses::instrument_id.eq(instrument_id))
        .filter(responses::desk_id.is_not_null())
        .select((
            day.clone(),
            responses::desk_id.assume_not_null(),
            responses::channel,
            responses::respondent_kind,
            answers::response_id,
            answers::item_id,
            answers::value,
        ))
        .order((
            day,
            responses::desk_id,
            responses::channel,
            responses::respondent_kind,
            answers::response_id,
        ))
        .load(conn)
}

/// Replaces one agency's cells of an instrument (a rebuild), inside the caller's transaction.
pub fn replace_agency(
    conn: &mut PgConnection,
    agency_id: i32,
    instrument_id: i32,
    cells: &[Cell],
) -> QueryResult<()> {
    diesel::delete(
        desk_daily::table
            .filter(desk_daily::agency_id.eq(agency_id))
            .filter(desk_daily::instrument_id.eq(instrument_id)),
    )
    .execute(conn)?;
    for chunk in cells.chunks(1_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|c| {
                (
                    desk_daily::agency_id.eq(c.agency_id),
                    desk_daily::day.eq(c.day),
                    desk_daily::desk_id.eq(c.desk_id),
                    desk_daily::channel.eq(&c.channel),
                    desk_daily::respondent_kind.eq(&c.respondent_kind),
                    desk_daily::instrument_id.eq(instrument_id),
                    desk_daily::responses.eq(c.responses),
                    desk_daily::stats.eq(&c.stats),
                )
            })
            .collect();
        diesel::insert_into(desk_daily::table)
            .values(rows)
            .execute(conn)?;
    }
    Ok(())
}

/// Runs `job` in one transaction: all of it is stored, or none.
pub fn transaction<T, E>(
    conn: &mut PgConnection,
    job: impl FnOnce(&mut PgConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(job)
}
