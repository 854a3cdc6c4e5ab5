//! Reading the cells a results query selects: closed months from the monthly cells, the other days from the daily ones.

use super::*;

/// What a dashboard asks of the aggregates.
#[derive(Clone, Debug)]
pub struct Selection {
    /// What is selected, days aside.
    pub slice: crate::db::slice::Slice,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    /// The first days of the periods the caller will cut the cells into (and the days after
    /// their ends): a month with such a day inside it is read day by day, so that every period
    /// is a sum of whole cells.
    pub cuts: Vec<NaiveDate>,
}

/// One cell a selection covers, for the caller to add up. A month's cell (from
/// `desk_monthly`) carries the month's first day.
#[derive(Clone, Debug)]
pub struct Selected {
    pub agency_id: i32,
    /// The desk: the cluster its ratings belong to.
    pub desk_id: i32,
    pub day: NaiveDate,
    pub responses: i64,
    pub stats: Vec<f64>,
}

/// The compacted months wholly inside the selection that no cut passes through.
fn whole_months(conn: &mut PgConnection, s: &Selection) -> QueryResult<Vec<NaiveDate>> {
    let done: Vec<NaiveDate> = desk_months_done::table
        .filter(desk_months_done::instrument_id.eq(s.slice.instrument_id))
        .filter(desk_months_done::month.ge(s.from))
        .filter(desk_months_done::month.le(s.to))
        .select(desk_months_done::month)
        .order(desk_months_done::month)
        .load(conn)?;
    Ok(done
        .into_iter()
        .filter(|&m| {
            let end = next_month(m);
            m >= s.from
                && end.pred_opt().is_some_and(|last| last <= s.to)
                && !s.cuts.iter().any(|&c| c > m && c < end)
        })
        .collect())
}

/// The day ranges of the selection outside `months` (inclusive bounds).
fn day_ranges(s: &Selection, months: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut ranges = Vec::new();
    let mut at = s.from;
    for &m in months {
        if at < m {
            ranges.push((at, m.pred_opt().unwrap_or(m)));
        }
        at = next_month(m);
    }
    if at <= s.to {
        ranges.push((at, s.to));
    }
    ranges
}

fn to_selected(rows: Vec<(i32, i32, NaiveDate, i64, Vec<i32>)>) -> impl Iterator<Item = Selected> {
    rows.into_iter()
        .map(|(agency_id, desk_id, day, responses, stats)| Selected {
            agency_id,
            desk_id,
            day,
            responses,
            stats: from_counts(stats),
        })
}

/// The cells a selection covers: whole compacted months from `desk_monthly`, every other day
/// from `desk_daily`. Reads the rows, not a SQL sum: element-wise array sums in SQL cost
/// 0.1 ms a row.
pub fn selected(conn: &mut PgConnection, s: &Selection) -> QueryResult<Vec<Selected>> {
    let months = whole_months(conn, s)?;
    let mut out = Vec::new();
    if !months.is_empty() {
        let q = desk_monthly::table
            .filter(desk_monthly::agency_id.eq_any(&s.slice.agency_ids))
            .filter(desk_monthly::month.eq_any(&months))
            .filter(desk_monthly::instrument_id.eq(s.slice.instrument_id))
            .into_boxed();
        let q = slice_filters!(q, desk_monthly, s.slice);
        let rows = q
            .select((
                desk_monthly::agency_id,
                desk_monthly::desk_id,
                desk_monthly::month,
                desk_monthly::responses,
                desk_monthly::stats,
            ))
            .load(conn)?;
        out.extend(to_selected(rows));
    }
    for (from, to) in day_ranges(s, &months) {
        let q = desk_daily::table
            .filter(desk_daily::agency_id.eq_any(&s.slice.agency_ids))
            .filter(desk_daily::day.ge(from))
            .filter(desk_daily::day.le(to))
            .filter(desk_daily::instrument_id.eq(s.slice.instrument_id))
            .into_boxed();
        let q = slice_filters!(q, desk_daily, s.slice);
        let rows = q
            .select((
                desk_daily::agency_id,
                desk_daily::desk_id,
                desk_daily::day,
                desk_daily::responses,
                desk_daily::stats,
            ))
            .load(conn)?;
        out.extend(to_selected(rows));
    }
    Ok(out)
}
