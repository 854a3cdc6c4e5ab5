//! Raw rows for results computed once (a publication), not per page view: the answers of an
//! agency's responses in a period of Vietnamese calendar days.

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use super::audit::vietnam_midnight;
use super::schema::{answers, responses};

/// What one computation covers.
#[derive(Clone, Debug)]
pub struct Period {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub channel: String,
    pub instrument_id: i32,
}

/// Agencies with at least one response in the period.
pub fn agencies_with_responses(conn: &mut PgConnection, p: &Period) -> QueryResult<Vec<i32>> {
    let (start, end) = bounds(p);
    responses::table
        .filter(responses::channel.eq(&p.channel))
        .filter(responses::instrument_id.eq(p.instrument_id))
        .filter(responses::submitted_at.ge(start))
        .filter(responses::submitted_at.lt(end))
        .select(responses::agency_id)
        .distinct()
        .order(responses::agency_id)
        .load(conn)
}

/// Every answer of the agency's responses in the period, grouped by response:
/// (response id, item id, value; `None` for "no opinion").
pub fn answers_in_period(
    conn: &mut PgConnection,
    agency_id: i32,
    p: &Period,
) -> QueryResult<Vec<(Uuid, i32, Option<i16>)>> {
    let (start, end) = bounds(p);
    answers::table
        .inner_join(responses::table.on(responses::id.eq(answers::response_id)))
        .filter(responses::agency_id.eq(agency_id))
        .filter(responses::channel.eq(&p.channel))
        .filter(responses::instrument_id.eq(p.instrument_id))
        .filter(responses::submitted_at.ge(start))
        .filter(responses::submitted_at.lt(end))
        .order(answers::response_id)
        .select((answers::response_id, answers::item_id, answers::value))
        .load(conn)
}

fn bounds(p: &Period) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let end = p.to.succ_opt().unwrap_or(p.to);
    (vietnam_midnight(p.from), vietnam_midnight(end))
}
