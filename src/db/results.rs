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
        .filter(super::screening::counted())
        .select(responses::agency_id)
        .distinct()
        .order(responses::agency_id)
        .load(conn)
}

/// How many agencies have counted ratings in the period, and how many ratings.
pub fn period_totals(conn: &mut PgConnection, p: &Period) -> QueryResult<(i64, i64)> {
    let (start, end) = bounds(p);
    responses::table
        .filter(responses::channel.eq(&p.channel))
        .filter(responses::instrument_id.eq(p.instrument_id))
        .filter(responses::submitted_at.ge(start))
        .filter(responses::submitted_at.lt(end))
        .filter(super::screening::counted())
        .select((
            diesel::dsl::sql::<diesel::sql_types::BigInt>("count(DISTINCT agency_id)"),
            diesel::dsl::count_star(),
        ))
        .get_result(conn)
}

/// Every answer of the agency's responses in the period, grouped by response:
/// (response id, item id, value; `None` for "no opinion").
/// One answer of a rating with where it was given: (response, agency, desk, item id, value).
pub type RatedAnswer = (Uuid, i32, Option<i32>, i32, Option<i16>);

pub fn answers_in_period(
    conn: &mut PgConnection,
    agency_id: i32,
    p: &Period,
) -> QueryResult<Vec<RatedAnswer>> {
    let (start, end) = bounds(p);
    answers::table
        .inner_join(responses::table.on(responses::id.eq(answers::response_id)))
        .filter(responses::agency_id.eq(agency_id))
        .filter(responses::channel.eq(&p.channel))
        .filter(responses::instrument_id.eq(p.instrument_id))
        .filter(responses::submitted_at.ge(start))
        .filter(responses::submitted_at.lt(end))
        .filter(super::screening::counted())
        .order(answers::response_id)
        .select((
            answers::response_id,
            responses::agency_id,
            responses::desk_id,
            answers::item_id,
            answers::value,
        ))
        .load(conn)
}

fn bounds(p: &Period) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let end = p.to.succ_opt().unwrap_or(p.to);
    (vietnam_midnight(p.from), vietnam_midnight(end))
}

/// What a microdata export covers (the agencies already within the reader's scope).
#[derive(Clone, Debug)]
pub struct MicrodataQuery {
    /// What is selected, days aside.
    pub slice: super::slice::Slice,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
}

/// One response as the anonymised microdata shows it: the Vietnamese date without the time,
/// agency and desk codes, channel, kind, its answers (item id, value) and its comment.
#[derive(Clone, Debug)]
pub struct MicroRow {
    pub day: NaiveDate,
    pub agency_code: String,
    pub desk_code: Option<String>,
    pub channel: String,
    pub respondent_kind: String,
    pub comment: Option<String>,
    pub answers: Vec<(i32, Option<i16>)>,
}

#[derive(QueryableByName)]
struct MicroSql {
    #[diesel(sql_type = diesel::sql_types::Date)]
    day: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::Text)]
    agency_code: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    desk_code: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    channel: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    respondent_kind: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    comment: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Int4>)]
    items: Vec<i32>,
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Nullable<diesel::sql_types::Int2>>)]
    values: Vec<Option<i16>>,
}

/// Every response of the query, ordered by day, agency and desk, and within them by the random
/// submission id, so that the order says nothing about the time of day (hidden comments are
/// left out).
pub fn microdata(conn: &mut PgConnection, q: &MicrodataQuery) -> QueryResult<Vec<MicroRow>> {
    let end = q.to.succ_opt().unwrap_or(q.to);
    let rows: Vec<MicroSql> = diesel::sql_query(
        "SELECT (r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day, \
                a.code AS agency_code, d.code AS desk_code, r.channel, r.respondent_kind, \
                CASE WHEN h.response_id IS NULL THEN r.comment END AS comment, \
                array_agg(COALESCE(x.item_id, 0) ORDER BY x.item_id) AS items, \
                array_agg(x.value ORDER BY x.item_id) AS values \
         FROM responses r \
         JOIN agencies a ON a.id = r.agency_id \
         LEFT JOIN desks d ON d.id = r.desk_id \
         LEFT JOIN hidden_comments h ON h.response_id = r.id \
         LEFT JOIN answers x ON x.response_id = r.id \
         WHERE r.agency_id = ANY($1) AND r.instrument_id = $2 \
           AND r.submitted_at >= $3 AND r.submitted_at < $4 \
           AND r.channel = ANY($5) \
           AND ($6::int4 IS NULL OR r.desk_id = $6) \
           AND ($7::text IS NULL OR r.respondent_kind = $7) \
           AND NOT EXISTS (SELECT 1 FROM held_ratings q \
                           WHERE q.response_id = r.id AND q.decision IS DISTINCT FROM 'released') \
         GROUP BY r.id, a.code, d.code, h.response_id \
         ORDER BY day, a.code, d.code, r.id",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Int4>, _>(&q.slice.agency_ids)
    .bind::<diesel::sql_types::Int4, _>(q.slice.instrument_id)
    .bind::<diesel::sql_types::Timestamptz, _>(vietnam_midnight(q.from))
    .bind::<diesel::sql_types::Timestamptz, _>(vietnam_midnight(end))
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(q.slice.channels())
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Int4>, _>(q.slice.desk_id)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(
        q.slice.respondent_kind.as_deref(),
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| MicroRow {
            day: r.day,
            agency_code: r.agency_code,
            desk_code: r.desk_code,
            channel: r.channel,
            respondent_kind: r.respondent_kind,
            comment: r.comment,
            // 0: a response without any answer row (the LEFT JOIN's placeholder).
            answers: r
                .items
                .into_iter()
                .zip(r.values)
                .filter(|(i, _)| *i != 0)
                .collect(),
        })
        .collect())
}
