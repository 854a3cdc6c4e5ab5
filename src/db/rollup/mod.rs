//! The desk stream's daily aggregates (`desk_daily`): what the writer adds with each batch,
//! what a rebuild reads and replaces, and what dashboards sum.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int2, Int4, Int8, Text};

use super::prepared::prepared;
use super::schema::{desk_daily, desk_monthly, desk_months_done, responses};

pub use compact::{compact_closed_months, forget_months};
pub use remove::{add_on, remove_today};
pub use select::{selected, Selected, Selection};

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
/// date of `now()`, which is also the ratings' `submitted_at`), to the writer's `shard`. All
/// vectors have one length.
///
/// The sums are made here, not in SQL: element-wise array arithmetic in PostgreSQL costs about
/// 0.1 ms a row, which capped the ingest rate. The cells that exist are read and locked one
/// primary-key probe each, in key order (so writers that meet on a shard wait rather than
/// deadlock), added to, and written back by their row address (`ctid`, stable while this
/// transaction holds the row lock); new cells are inserted, adding in SQL only if another
/// writer inserted the same cell in the meantime. All three statements are prepared once per
/// connection: planning them anew for every batch cost more than running them.
pub fn add_today(
    conn: &mut PgConnection,
    instrument_id: i32,
    shard: i16,
    cells: &[CellDelta],
) -> QueryResult<()> {
    if cells.is_empty() {
        return Ok(());
    }
    let mut cells: Vec<&CellDelta> = cells.iter().collect();
    cells.sort_by(|a, b| {
        (a.desk_id, a.channel, a.respondent_kind).cmp(&(b.desk_id, b.channel, b.respondent_kind))
    });
    let desks: Vec<i32> = cells.iter().map(|c| c.desk_id).collect();
    let channels: Vec<&str> = cells.iter().map(|c| c.channel).collect();
    let kinds: Vec<&str> = cells.iter().map(|c| c.respondent_kind).collect();
    // The lateral subquery keeps its FOR UPDATE, so it is not flattened into a join: one
    // probe per cell, in the order of the arrays.
    let current: Vec<Current> = prepared(
        "SELECT c.i, t.ctid::text AS ctid, t.responses, t.stats \
         FROM unnest($1::int4[], $2::text[], $3::text[]) WITH ORDINALITY AS c(desk_id, channel, kind, i) \
         CROSS JOIN LATERAL ( \
             SELECT t.ctid, t.responses, t.stats FROM desk_daily t \
             WHERE t.agency_id = (SELECT agency_id FROM desks WHERE id = c.desk_id) \
               AND t.day = (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date \
               AND t.desk_id = c.desk_id AND t.channel = c.channel AND t.respondent_kind = c.kind \
               AND t.instrument_id = $4 AND t.shard = $5 \
             FOR UPDATE) t",
    )
    .bind::<Array<Int4>, _>(&desks)
    .bind::<Array<Text>, _>(&channels)
    .bind::<Array<Text>, _>(&kinds)
    .bind::<Int4, _>(instrument_id)
    .bind::<Int2, _>(shard)
    .load(conn)?;
    let mut found: Vec<Option<&Current>> = vec![None; cells.len()];
    for r in &current {
        if let Some(slot) = usize::try_from(r.i - 1).ok().and_then(|i| found.get_mut(i)) {
            *slot = Some(r);
        }
    }
    let (mut rows, mut counts, mut stats) = (Vec::new(), Vec::new(), Vec::new());
    let mut fresh = Vec::new();
    for (c, row) in cells.iter().zip(found) {
        match row {
            Some(r) => {
                let added: Vec<f64> = r
                    .stats
                    .iter()
                    .zip(&c.stats)
                    .map(|(a, b)| f64::from(*a) + b)
                    .collect();
                rows.push(r.ctid.as_str());
                counts.push(r.responses + c.responses);
                stats.extend(to_counts(&added)?);
            }
            None => fresh.push((*c).clone()),
        }
    }
    if let Some(len) = cells.first().map(|c| c.stats.len()) {
        if !rows.is_empty() {
            prepared(
                "UPDATE desk_daily t SET responses = c.responses, stats = $3[(c.i - 1) * $4 + 1 : c.i * $4] \
                 FROM unnest($1::tid[], $2::int8[]) WITH ORDINALITY AS c(row, responses, i) \
                 WHERE t.ctid = c.row",
            )
            .bind::<Array<Text>, _>(&rows)
            .bind::<Array<Int8>, _>(&counts)
            .bind::<Array<Int4>, _>(&stats)
            .bind::<Int4, _>(len as i32)
            .execute(conn)?;
        }
    }
    write(
        conn,
        instrument_id,
        shard,
        &fresh,
        "INSERT INTO desk_daily AS t (agency_id, day, desk_id, channel, respondent_kind, instrument_id, shard, responses, stats) \
         SELECT d.agency_id, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, c.desk_id, c.channel, c.kind, $6, $8, \
                c.responses, $5[(c.i - 1) * $7 + 1 : c.i * $7] \
         FROM unnest($1::int4[], $2::text[], $3::text[], $4::int8[]) WITH ORDINALITY AS c(desk_id, channel, kind, responses, i) \
         JOIN desks d ON d.id = c.desk_id \
         ORDER BY d.agency_id, c.desk_id, c.channel, c.kind \
         ON CONFLICT (agency_id, day, desk_id, channel, respondent_kind, instrument_id, shard) \
         DO UPDATE SET responses = t.responses + excluded.responses, stats = sipas_add(t.stats, excluded.stats)",
    )
}

/// A statistics vector as stored: counts. A vector that is not all whole numbers (a design with
/// weights) does not belong in the desk stream's aggregates.
fn to_counts(stats: &[f64]) -> QueryResult<Vec<i32>> {
    stats
        .iter()
        .map(|x| {
            if x.fract() == 0.0 && (0.0..=f64::from(i32::MAX)).contains(x) {
                Ok(*x as i32)
            } else {
                Err(diesel::result::Error::QueryBuilderError(
                    format!("aggregate statistics must be counts, not {x}").into(),
                ))
            }
        })
        .collect()
}

fn from_counts(counts: Vec<i32>) -> Vec<f64> {
    counts.into_iter().map(f64::from).collect()
}

#[derive(QueryableByName)]
struct Current {
    /// The cell's place in the arrays sent (1-based).
    #[diesel(sql_type = Int8)]
    i: i64,
    #[diesel(sql_type = Text)]
    ctid: String,
    #[diesel(sql_type = Int8)]
    responses: i64,
    #[diesel(sql_type = Array<Int4>)]
    stats: Vec<i32>,
}

/// Runs `sql` with the cells as arrays: $1 desks, $2 channels, $3 kinds, $4 counts, $5 the
/// vectors end to end, $6 instrument, $7 vector length, $8 shard.
fn write(
    conn: &mut PgConnection,
    instrument_id: i32,
    shard: i16,
    cells: &[CellDelta],
    sql: &'static str,
) -> QueryResult<()> {
    let Some(len) = cells.first().map(|c| c.stats.len()) else {
        return Ok(());
    };
    let desks: Vec<i32> = cells.iter().map(|c| c.desk_id).collect();
    let channels: Vec<&str> = cells.iter().map(|c| c.channel).collect();
    let kinds: Vec<&str> = cells.iter().map(|c| c.respondent_kind).collect();
    let counts: Vec<i64> = cells.iter().map(|c| c.responses).collect();
    let mut stats: Vec<i32> = Vec::with_capacity(cells.len() * len);
    for c in cells {
        stats.extend(to_counts(&c.stats)?);
    }
    prepared(sql)
        .bind::<Array<Int4>, _>(&desks)
        .bind::<Array<Text>, _>(&channels)
        .bind::<Array<Text>, _>(&kinds)
        .bind::<Array<Int8>, _>(&counts)
        .bind::<Array<Int4>, _>(&stats)
        .bind::<Int4, _>(instrument_id)
        .bind::<Int4, _>(len as i32)
        .bind::<Int2, _>(shard)
        .execute(conn)
        .map(|_| ())
}

/// A cell, its shards added up.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub agency_id: i32,
    pub day: NaiveDate,
    pub desk_id: i32,
    pub channel: String,
    pub respondent_kind: String,
    pub responses: i64,
    pub stats: Vec<f64>,
}

#[derive(QueryableByName)]
struct CellRow {
    #[diesel(sql_type = Int4)]
    agency_id: i32,
    #[diesel(sql_type = diesel::sql_types::Date)]
    day: NaiveDate,
    #[diesel(sql_type = Int4)]
    desk_id: i32,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    respondent_kind: String,
    #[diesel(sql_type = Int8)]
    responses: i64,
    #[diesel(sql_type = Array<Int4>)]
    stats: Vec<i32>,
}

/// Every cell of an instrument, shards added up, in key order (for checks and rebuilds).
pub fn all_cells(conn: &mut PgConnection, instrument_id: i32) -> QueryResult<Vec<Cell>> {
    diesel::sql_query(
        "SELECT agency_id, day, desk_id, channel, respondent_kind, sum(responses)::int8 AS responses, \
                sipas_sum(stats) AS stats \
         FROM desk_daily WHERE instrument_id = $1 \
         GROUP BY agency_id, day, desk_id, channel, respondent_kind \
         ORDER BY agency_id, day, desk_id, channel, respondent_kind",
    )
    .bind::<Int4, _>(instrument_id)
    .load::<CellRow>(conn)
    .map(|rows| {
        rows.into_iter()
            .map(|r| Cell {
                agency_id: r.agency_id,
                day: r.day,
                desk_id: r.desk_id,
                channel: r.channel,
                respondent_kind: r.respondent_kind,
                responses: r.responses,
                stats: from_counts(r.stats),
            })
            .collect()
    })
}

/// One raw desk rating with the cell it belongs to: (local day, desk, channel, kind, its
/// stored answers as `responses.answer_values` holds them).
pub type RawRating = (NaiveDate, i32, String, String, Vec<Option<i16>>);

/// The raw desk ratings of one agency for an instrument, in cell order (then by id, so a
/// rebuild adds them in the same order every time). One row per rating: reading the answers
/// through the `answers` view would unnest every item of every rating.
pub fn raw_ratings(
    conn: &mut PgConnection,
    agency_id: i32,
    instrument_id: i32,
) -> QueryResult<Vec<RawRating>> {
    let day = diesel::dsl::sql::<diesel::sql_types::Date>(
        "(responses.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date",
    );
    responses::table
        .filter(responses::agency_id.eq(agency_id))
        .filter(responses::instrument_id.eq(instrument_id))
        .filter(responses::desk_id.is_not_null())
        .filter(super::screening::counted())
        .select((
            day.clone(),
            responses::desk_id.assume_not_null(),
            responses::channel,
            responses::respondent_kind,
            responses::answer_values,
        ))
        .order((
            day,
            responses::desk_id,
            responses::channel,
            responses::respondent_kind,
            responses::id,
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
        let counts: Vec<Vec<i32>> = chunk
            .iter()
            .map(|c| to_counts(&c.stats))
            .collect::<QueryResult<_>>()?;
        let rows: Vec<_> = chunk
            .iter()
            .zip(&counts)
            .map(|(c, counts)| {
                (
                    desk_daily::agency_id.eq(c.agency_id),
                    desk_daily::day.eq(c.day),
                    desk_daily::desk_id.eq(c.desk_id),
                    desk_daily::channel.eq(&c.channel),
                    desk_daily::respondent_kind.eq(&c.respondent_kind),
                    desk_daily::instrument_id.eq(instrument_id),
                    desk_daily::responses.eq(c.responses),
                    desk_daily::stats.eq(counts),
                )
            })
            .collect();
        diesel::insert_into(desk_daily::table)
            .values(rows)
            .execute(conn)?;
    }
    Ok(())
}

/// Whether the aggregates must be rebuilt (a migration changed their layout).
pub fn is_stale(conn: &mut PgConnection) -> QueryResult<bool> {
    use super::schema::rollup_state;
    Ok(rollup_state::table
        .select(rollup_state::stale)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Marks the aggregates fresh after a rebuild or a bulk load, and starts a new generation:
/// every node forgets the sums of past days it kept.
pub fn mark_fresh(conn: &mut PgConnection) -> QueryResult<()> {
    use super::schema::rollup_state;
    diesel::update(rollup_state::table)
        .set((
            rollup_state::stale.eq(false),
            rollup_state::generation.eq(rollup_state::generation + 1),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The aggregates' generation (see `mark_fresh`).
pub fn generation(conn: &mut PgConnection) -> QueryResult<i64> {
    use super::schema::rollup_state;
    Ok(rollup_state::table
        .select(rollup_state::generation)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    first_of_month(d)
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(d)
}

/// Narrows a boxed query of `desk_daily` or `desk_monthly` (same column names) to a selection's
/// channel, desk and respondent kind.
macro_rules! slice_filters {
    ($q:expr, $table:ident, $s:expr) => {{
        let mut q = $q;
        if let Some(c) = &$s.channel {
            q = q.filter($table::channel.eq(c.clone()));
        }
        if let Some(d) = $s.desk_id {
            q = q.filter($table::desk_id.eq(d));
        }
        if let Some(k) = &$s.respondent_kind {
            q = q.filter($table::respondent_kind.eq(k.clone()));
        }
        q
    }};
}

// After the macros above, which the submodules use.
mod compact;
mod remove;
mod select;
