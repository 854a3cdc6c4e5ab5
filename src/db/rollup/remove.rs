//! Changing cells after the fact: taking ratings back out of today's cells when they are held
//! after they were counted (a burst seen only once it has grown), and adding a released rating
//! to the cells of its day (and of its month, if compacted).
//!
//! A rating was added to one shard of its cell, whichever writer stored it; the shards of a
//! cell are therefore summed, the ratings subtracted or added, and the cell written back as one
//! row. The cell's rows are locked in shard order, so two folds wait for each other, and a
//! writer adding to a shard row that is folded away finds it gone and inserts its own anew.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Int2, Int4, Int8, Text};

use super::{first_of_month, from_counts, to_counts, CellDelta};

#[derive(QueryableByName)]
struct ShardRow {
    #[diesel(sql_type = Int2)]
    shard: i16,
    #[diesel(sql_type = Int8)]
    responses: i64,
    #[diesel(sql_type = Array<Int4>)]
    stats: Vec<i32>,
}

/// Subtracts each cell delta from today's cell (Vietnam) of its desk, channel and kind.
pub fn remove_today(
    conn: &mut PgConnection,
    instrument_id: i32,
    cells: &[CellDelta],
) -> QueryResult<()> {
    let today: NaiveDate = diesel::select(diesel::dsl::sql::<Date>(
        "(now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date",
    ))
    .get_result(conn)?;
    fold(conn, instrument_id, today, cells, -1)
}

/// Adds each cell delta to the cell of `day`, and to its month's cell if that month was
/// compacted already; nodes forget the sums of past days they kept (a new generation). Under
/// compaction's lock, so a month is compacted with or without the delta, never half.
pub fn add_on(
    conn: &mut PgConnection,
    instrument_id: i32,
    day: NaiveDate,
    cells: &[CellDelta],
) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(7368, $1)")
        .bind::<Int4, _>(instrument_id)
        .execute(conn)?;
    fold(conn, instrument_id, day, cells, 1)?;
    let month = first_of_month(day);
    let compacted: bool = diesel::select(diesel::dsl::exists(
        super::desk_months_done::table
            .filter(super::desk_months_done::instrument_id.eq(instrument_id))
            .filter(super::desk_months_done::month.eq(month)),
    ))
    .get_result(conn)?;
    if compacted {
        for c in cells {
            diesel::sql_query(
                "INSERT INTO desk_monthly AS t (agency_id, month, desk_id, channel, respondent_kind, \
                                                instrument_id, responses, stats) \
                 SELECT agency_id, $5, $1, $2, $3, $4, $6, $7 FROM desks WHERE id = $1 \
                 ON CONFLICT (agency_id, month, desk_id, channel, respondent_kind, instrument_id) \
                 DO UPDATE SET responses = t.responses + excluded.responses, \
                               stats = sipas_add(t.stats, excluded.stats)",
            )
            .bind::<Int4, _>(c.desk_id)
            .bind::<Text, _>(c.channel)
            .bind::<Text, _>(c.respondent_kind)
            .bind::<Int4, _>(instrument_id)
            .bind::<Date, _>(month)
            .bind::<Int8, _>(c.responses)
            .bind::<Array<Int4>, _>(to_counts(&c.stats)?)
            .execute(conn)?;
        }
    }
    diesel::sql_query("UPDATE rollup_state SET generation = generation + 1").execute(conn)?;
    Ok(())
}

/// Adds (`sign` 1) or subtracts (−1) each delta to the cell of `day`, its shards folded into one.
fn fold(
    conn: &mut PgConnection,
    instrument_id: i32,
    day: NaiveDate,
    cells: &[CellDelta],
    sign: i8,
) -> QueryResult<()> {
    let mut cells: Vec<&CellDelta> = cells.iter().collect();
    cells.sort_by(|a, b| {
        (a.desk_id, a.channel, a.respondent_kind).cmp(&(b.desk_id, b.channel, b.respondent_kind))
    });
    const CELL: &str = "agency_id = (SELECT agency_id FROM desks WHERE id = $1) \
         AND day = $5 AND desk_id = $1 AND channel = $2 AND respondent_kind = $3 \
         AND instrument_id = $4";
    let sign_f = f64::from(sign);
    for c in cells {
        let rows: Vec<ShardRow> = diesel::sql_query(format!(
            "SELECT shard, responses, stats FROM desk_daily WHERE {CELL} ORDER BY shard FOR UPDATE"
        ))
        .bind::<Int4, _>(c.desk_id)
        .bind::<Text, _>(c.channel)
        .bind::<Text, _>(c.respondent_kind)
        .bind::<Int4, _>(instrument_id)
        .bind::<Date, _>(day)
        .load(conn)?;
        let mut responses: i64 = rows.iter().map(|r| r.responses).sum();
        let mut stats = vec![0.0; c.stats.len()];
        for r in &rows {
            for (s, v) in stats.iter_mut().zip(from_counts(r.stats.clone())) {
                *s += v;
            }
        }
        responses += i64::from(sign) * c.responses;
        for (s, d) in stats.iter_mut().zip(&c.stats) {
            *s += sign_f * d;
        }
        if responses < 0 {
            return Err(diesel::result::Error::QueryBuilderError(
                format!(
                    "desk {} has fewer ratings on {day} than the ones to take out",
                    c.desk_id
                )
                .into(),
            ));
        }
        diesel::sql_query(format!("DELETE FROM desk_daily WHERE {CELL}"))
            .bind::<Int4, _>(c.desk_id)
            .bind::<Text, _>(c.channel)
            .bind::<Text, _>(c.respondent_kind)
            .bind::<Int4, _>(instrument_id)
            .bind::<Date, _>(day)
            .execute(conn)?;
        if responses > 0 {
            diesel::sql_query(
                "INSERT INTO desk_daily (agency_id, day, desk_id, channel, respondent_kind, \
                                         instrument_id, shard, responses, stats) \
                 SELECT agency_id, $5, $1, $2, $3, $4, $6, $7, $8 FROM desks WHERE id = $1",
            )
            .bind::<Int4, _>(c.desk_id)
            .bind::<Text, _>(c.channel)
            .bind::<Text, _>(c.respondent_kind)
            .bind::<Int4, _>(instrument_id)
            .bind::<Date, _>(day)
            .bind::<Int2, _>(rows.first().map_or(0, |r| r.shard))
            .bind::<Int8, _>(responses)
            .bind::<Array<Int4>, _>(to_counts(&stats)?)
            .execute(conn)?;
        }
    }
    Ok(())
}
