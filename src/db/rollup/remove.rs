//! Taking ratings back out of today's cells, when they are held after they were counted (a
//! burst seen only once it has grown).
//!
//! A rating was added to one shard of its cell, whichever writer stored it; the shards of a
//! cell are therefore summed, the ratings subtracted, and the cell written back as one row.
//! The cell's rows are locked in shard order, so two removers wait for each other, and a
//! writer adding to a shard row that is folded away finds it gone and inserts its own anew.

use diesel::prelude::*;
use diesel::sql_types::{Array, Int2, Int4, Int8, Text};

use super::{from_counts, to_counts, CellDelta};

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
    let mut cells: Vec<&CellDelta> = cells.iter().collect();
    cells.sort_by(|a, b| {
        (a.desk_id, a.channel, a.respondent_kind).cmp(&(b.desk_id, b.channel, b.respondent_kind))
    });
    const CELL: &str = "agency_id = (SELECT agency_id FROM desks WHERE id = $1) \
         AND day = (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date \
         AND desk_id = $1 AND channel = $2 AND respondent_kind = $3 AND instrument_id = $4";
    for c in cells {
        let rows: Vec<ShardRow> = diesel::sql_query(format!(
            "SELECT shard, responses, stats FROM desk_daily WHERE {CELL} ORDER BY shard FOR UPDATE"
        ))
        .bind::<Int4, _>(c.desk_id)
        .bind::<Text, _>(c.channel)
        .bind::<Text, _>(c.respondent_kind)
        .bind::<Int4, _>(instrument_id)
        .load(conn)?;
        let mut responses: i64 = rows.iter().map(|r| r.responses).sum();
        let mut stats = vec![0.0; c.stats.len()];
        for r in &rows {
            for (s, v) in stats.iter_mut().zip(from_counts(r.stats.clone())) {
                *s += v;
            }
        }
        responses -= c.responses;
        for (s, d) in stats.iter_mut().zip(&c.stats) {
            *s -= d;
        }
        if responses < 0 || rows.is_empty() {
            return Err(diesel::result::Error::QueryBuilderError(
                format!(
                    "desk {} has fewer ratings today than the ones to take out",
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
            .execute(conn)?;
        if responses > 0 {
            diesel::sql_query(
                "INSERT INTO desk_daily (agency_id, day, desk_id, channel, respondent_kind, \
                                         instrument_id, shard, responses, stats) \
                 SELECT agency_id, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, $1, $2, $3, $4, $5, $6, $7 \
                 FROM desks WHERE id = $1",
            )
            .bind::<Int4, _>(c.desk_id)
            .bind::<Text, _>(c.channel)
            .bind::<Text, _>(c.respondent_kind)
            .bind::<Int4, _>(instrument_id)
            .bind::<Int2, _>(rows[0].shard)
            .bind::<Int8, _>(responses)
            .bind::<Array<Int4>, _>(to_counts(&stats)?)
            .execute(conn)?;
        }
    }
    Ok(())
}
