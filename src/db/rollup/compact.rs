//! Compacting closed months into the monthly cells, and forgetting them for a rebuild.

use super::*;

/// Compacts every closed month (before the month of `today`) not yet compacted: its daily
/// cells summed into `desk_monthly`, and the month listed as done, in one transaction per
/// month. Safe to run on several nodes at once: a month is compacted under an advisory lock and
/// skipped if another node listed it meanwhile. Returns the months compacted.
pub fn compact_closed_months(
    conn: &mut PgConnection,
    instrument_id: i32,
    today: NaiveDate,
) -> QueryResult<usize> {
    let oldest: Option<NaiveDate> = desk_daily::table
        .filter(desk_daily::instrument_id.eq(instrument_id))
        .select(diesel::dsl::min(desk_daily::day))
        .first(conn)?;
    let Some(oldest) = oldest else {
        return Ok(0);
    };
    let done: Vec<NaiveDate> = desk_months_done::table
        .filter(desk_months_done::instrument_id.eq(instrument_id))
        .select(desk_months_done::month)
        .load(conn)?;
    let current = first_of_month(today);
    let mut month = first_of_month(oldest);
    let mut compacted = 0;
    while month < current {
        if !done.contains(&month) && compact_month(conn, instrument_id, month)? {
            compacted += 1;
        }
        month = next_month(month);
    }
    Ok(compacted)
}

fn compact_month(
    conn: &mut PgConnection,
    instrument_id: i32,
    month: NaiveDate,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7368, $1)")
            .bind::<Int4, _>(instrument_id)
            .execute(conn)?;
        let already: i64 = desk_months_done::table
            .filter(desk_months_done::instrument_id.eq(instrument_id))
            .filter(desk_months_done::month.eq(month))
            .count()
            .get_result(conn)?;
        if already > 0 {
            return Ok(false);
        }
        type Row = (i32, i32, String, String, i64, Vec<i32>);
        let rows: Vec<Row> = desk_daily::table
            .filter(desk_daily::instrument_id.eq(instrument_id))
            .filter(desk_daily::day.ge(month))
            .filter(desk_daily::day.lt(next_month(month)))
            .select((
                desk_daily::agency_id,
                desk_daily::desk_id,
                desk_daily::channel,
                desk_daily::respondent_kind,
                desk_daily::responses,
                desk_daily::stats,
            ))
            .load(conn)?;
        type Key = (i32, i32, String, String);
        let mut sums: std::collections::BTreeMap<Key, (i64, Vec<i64>)> =
            std::collections::BTreeMap::new();
        for (agency, desk, channel, kind, n, stats) in rows {
            let e = sums
                .entry((agency, desk, channel, kind))
                .or_insert_with(|| (0, vec![0; stats.len()]));
            if e.1.len() != stats.len() {
                return Err(diesel::result::Error::QueryBuilderError(
                    "aggregate cells of one month have different lengths".into(),
                ));
            }
            e.0 += n;
            for (t, x) in e.1.iter_mut().zip(&stats) {
                *t += i64::from(*x);
            }
        }
        let rows: Vec<_> = sums
            .into_iter()
            .map(|((agency, desk, channel, kind), (n, stats))| {
                let counts = stats
                    .into_iter()
                    .map(|x| i32::try_from(x).map_err(|_| overflow()))
                    .collect::<QueryResult<Vec<i32>>>()?;
                Ok((
                    desk_monthly::agency_id.eq(agency),
                    desk_monthly::month.eq(month),
                    desk_monthly::desk_id.eq(desk),
                    desk_monthly::channel.eq(channel),
                    desk_monthly::respondent_kind.eq(kind),
                    desk_monthly::instrument_id.eq(instrument_id),
                    desk_monthly::responses.eq(n),
                    desk_monthly::stats.eq(counts),
                ))
            })
            .collect::<QueryResult<_>>()?;
        for chunk in rows.chunks(1_000) {
            diesel::insert_into(desk_monthly::table)
                .values(chunk)
                .execute(conn)?;
        }
        diesel::insert_into(desk_months_done::table)
            .values((
                desk_months_done::instrument_id.eq(instrument_id),
                desk_months_done::month.eq(month),
            ))
            .execute(conn)?;
        Ok(true)
    })
}

fn overflow() -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError("a monthly count exceeds the int4 range".into())
}

/// Forgets every monthly cell of an instrument (a rebuild recompacts them).
pub fn forget_months(conn: &mut PgConnection, instrument_id: i32) -> QueryResult<()> {
    diesel::delete(desk_monthly::table.filter(desk_monthly::instrument_id.eq(instrument_id)))
        .execute(conn)?;
    diesel::delete(
        desk_months_done::table.filter(desk_months_done::instrument_id.eq(instrument_id)),
    )
    .execute(conn)?;
    Ok(())
}
