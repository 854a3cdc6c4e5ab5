//! Held ratings (issue #19, point 4): what the burst test reads (a desk's recent ratings and its
//! history of ten-minute counts), holding ratings with their reasons, and the condition every
//! raw-row reader uses to count only what is not held.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Float8, Int2, Int4, Int8, Jsonb, Text, Timestamptz};
use serde_json::Value;
use uuid::Uuid;

use super::audit::vietnam_midnight;
use crate::domain::screening::Flag;

/// SQL: the response `r` counts (it is not held, or was released). Every reader of raw ratings
/// that feeds an index uses it.
pub const COUNTED: &str = "NOT EXISTS (SELECT 1 FROM held_ratings h \
     WHERE h.response_id = r.id AND h.decision IS DISTINCT FROM 'released')";

/// The same for a diesel query on `responses` (not aliased).
pub fn counted() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql(
        "NOT EXISTS (SELECT 1 FROM held_ratings h \
         WHERE h.response_id = responses.id AND h.decision IS DISTINCT FROM 'released')",
    )
}

/// The ten minutes the burst test looks back over.
pub const WINDOW_MINUTES: i64 = 10;

/// A rating of a desk in the last ten minutes, and whether it is held for a reason of its own.
#[derive(Clone, Debug, QueryableByName)]
pub struct Recent {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    /// Held (and not released) for something other than a burst: a fast fill, no form, after
    /// hours, one phone or identical answers. Such a rating is explained already and does not
    /// count towards a burst, so a clerk's held ratings do not push the citizens rating beside
    /// them into one.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub explained: bool,
    /// Submitted today (in Vietnam), so its cells are today's.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub today: bool,
    /// When it was submitted, in seconds since the Unix epoch.
    #[diesel(sql_type = Float8)]
    pub at: f64,
}

/// The desk's ratings without a receipt (desk QR and kiosk) in the ten minutes up to `now`,
/// oldest first.
pub fn recent(
    conn: &mut PgConnection,
    desk_id: i32,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> QueryResult<Vec<Recent>> {
    diesel::sql_query(format!(
        "SELECT r.id, EXISTS (SELECT 1 FROM held_ratings h WHERE h.response_id = r.id \
                   AND h.decision IS DISTINCT FROM 'released' AND NOT ('burst' = ANY(h.reasons))) \
                   AS explained, \
                r.submitted_at >= $3 AS today, \
                extract(epoch FROM r.submitted_at)::float8 AS at \
         FROM responses r \
         WHERE r.desk_id = $1 AND r.channel IN ('desk_qr', 'kiosk') \
           AND r.submitted_at > $2 - make_interval(mins => {WINDOW_MINUTES}) \
           AND r.submitted_at <= $2 \
         ORDER BY r.submitted_at, r.id"
    ))
    .bind::<Int4, _>(desk_id)
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(vietnam_midnight(today))
    .load(conn)
}

/// The counts of a desk's ten-minute windows in its opening hours over the 28 days before
/// today: how many windows, their mean and their variance.
#[derive(Clone, Copy, Debug, PartialEq, QueryableByName)]
pub struct History {
    #[diesel(sql_type = Int8)]
    pub windows: i64,
    #[diesel(sql_type = Float8)]
    pub mean: f64,
    #[diesel(sql_type = Float8)]
    pub variance: f64,
}

/// Opening hours for the history: Monday to Saturday, 07:00–17:30 (Vietnam). Ratings held and
/// not released are not part of it: an attack does not raise its own baseline.
pub fn history(conn: &mut PgConnection, desk_id: i32, today: NaiveDate) -> QueryResult<History> {
    let start = today - chrono::Duration::days(28);
    diesel::sql_query(format!(
        "WITH w AS ( \
           SELECT gs AS start FROM generate_series($2::timestamp, $3::timestamp - interval '10 minutes', \
                                                   interval '10 minutes') gs \
           WHERE extract(isodow FROM gs) BETWEEN 1 AND 6 \
             AND gs::time >= time '07:00' AND gs::time < time '17:30'), \
         r AS ( \
           SELECT date_bin(interval '10 minutes', r.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh', \
                           timestamp '2000-01-01') AS start, count(*) AS n \
           FROM responses r \
           WHERE r.desk_id = $1 AND r.channel IN ('desk_qr', 'kiosk') \
             AND r.submitted_at >= $4 AND r.submitted_at < $5 AND {COUNTED} \
           GROUP BY 1) \
         SELECT count(*) AS windows, COALESCE(avg(COALESCE(r.n, 0)), 0)::float8 AS mean, \
                COALESCE(var_pop(COALESCE(r.n, 0)), 0)::float8 AS variance \
         FROM w LEFT JOIN r USING (start)"
    ))
    .bind::<Int4, _>(desk_id)
    .bind::<diesel::sql_types::Timestamp, _>(start.and_hms_opt(0, 0, 0).unwrap_or_default())
    .bind::<diesel::sql_types::Timestamp, _>(today.and_hms_opt(0, 0, 0).unwrap_or_default())
    .bind::<Timestamptz, _>(vietnam_midnight(start))
    .bind::<Timestamptz, _>(vietnam_midnight(today))
    .get_result(conn)
}

/// Holds ratings with their flags (a rating held already gains the new reasons, unless decided).
/// Returns the ratings held anew: until now they were counted.
pub fn hold(conn: &mut PgConnection, held: &[(Uuid, Vec<Flag>)]) -> QueryResult<Vec<Uuid>> {
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = held.iter().map(|(id, _)| *id).collect();
    let reasons: Vec<String> = held
        .iter()
        .map(|(_, flags)| {
            let names: Vec<&str> = flags.iter().map(|f| f.reason.as_str()).collect();
            format!("{{{}}}", names.join(","))
        })
        .collect();
    let details: Vec<Value> = held
        .iter()
        .map(|(_, flags)| {
            Value::Object(
                flags
                    .iter()
                    .map(|f| (f.reason.as_str().to_owned(), f.details.clone()))
                    .collect(),
            )
        })
        .collect();
    let rows: Vec<InsertedFresh> = diesel::sql_query(
        "INSERT INTO held_ratings AS h (response_id, reasons, details) \
         SELECT id, reasons::text[], details FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) \
             AS x(id, reasons, details) \
         ON CONFLICT (response_id) DO UPDATE \
             SET reasons = ARRAY(SELECT DISTINCT unnest(h.reasons || excluded.reasons) ORDER BY 1), \
                 details = h.details || excluded.details \
             WHERE h.decision IS NULL \
         RETURNING response_id, (xmax = 0) AS fresh",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
    .bind::<Array<Text>, _>(&reasons)
    .bind::<Array<Jsonb>, _>(&details)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.fresh)
        .map(|r| r.response_id)
        .collect())
}

#[derive(QueryableByName)]
struct InsertedFresh {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    response_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    fresh: bool,
}

/// A counted rating as its cells hold it, for taking it out of today's cells when it is held
/// after it was counted.
#[derive(Clone, Debug, QueryableByName)]
pub struct CountedRating {
    #[diesel(sql_type = Int4)]
    pub desk_id: i32,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub respondent_kind: String,
    #[diesel(sql_type = Array<diesel::sql_types::Nullable<Int2>>)]
    pub answer_values: Vec<Option<i16>>,
}

pub fn ratings(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<CountedRating>> {
    diesel::sql_query(
        "SELECT desk_id, channel, respondent_kind, answer_values FROM responses \
         WHERE id = ANY($1) AND desk_id IS NOT NULL",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .load(conn)
}

/// How many ratings of the agencies are held (not decided) in a period, per reason, and in all
/// (reason `all`: a rating held for two reasons counts once there).
#[derive(Clone, Debug, PartialEq, QueryableByName)]
pub struct HeldCount {
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Int8)]
    pub ratings: i64,
}

pub fn held_counts(
    conn: &mut PgConnection,
    agency_ids: &[i32],
    desk_id: Option<i32>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<HeldCount>> {
    let end = to.succ_opt().unwrap_or(to);
    diesel::sql_query(
        "SELECT COALESCE(reason, 'all') AS reason, count(DISTINCT h.response_id) AS ratings \
         FROM held_ratings h JOIN responses r ON r.id = h.response_id \
         CROSS JOIN LATERAL unnest(h.reasons) AS reason \
         WHERE h.decision IS NULL AND r.agency_id = ANY($1) \
           AND ($2::int4 IS NULL OR r.desk_id = $2) \
           AND r.submitted_at >= $3 AND r.submitted_at < $4 \
         GROUP BY GROUPING SETS ((reason), ()) ORDER BY 1",
    )
    .bind::<Array<Int4>, _>(agency_ids)
    .bind::<diesel::sql_types::Nullable<Int4>, _>(desk_id)
    .bind::<Timestamptz, _>(vietnam_midnight(from))
    .bind::<Timestamptz, _>(vietnam_midnight(end))
    .load(conn)
}

/// Which held ratings a reviewer looks at or decides on: within the reviewer's agencies, a
/// period of Vietnamese days, optionally one reason and one desk, optionally named ones.
#[derive(Clone, Debug)]
pub struct HeldQuery {
    pub agency_ids: Vec<i32>,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub reason: Option<String>,
    pub desk_id: Option<i32>,
    /// Only these ratings (a decision one by one).
    pub ids: Option<Vec<Uuid>>,
}

/// A held rating as the reviewers' page shows it.
#[derive(Clone, Debug, QueryableByName)]
pub struct HeldRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub submitted_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub agency_code: String,
    #[diesel(sql_type = Text)]
    pub desk_code: String,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Array<Text>)]
    pub reasons: Vec<String>,
    #[diesel(sql_type = Jsonb)]
    pub details: Value,
    #[diesel(sql_type = Array<diesel::sql_types::Nullable<Int2>>)]
    pub answer_values: Vec<Option<i16>>,
}

const HELD_WHERE: &str = "h.decision IS NULL AND r.agency_id = ANY($1) \
     AND r.submitted_at >= $2 AND r.submitted_at < $3 \
     AND ($4::text IS NULL OR $4 = ANY(h.reasons)) \
     AND ($5::int4 IS NULL OR r.desk_id = $5) \
     AND ($6::uuid[] IS NULL OR r.id = ANY($6))";

/// The undecided held ratings of the query, oldest first, at most `limit`; and how many there
/// are in all.
pub fn held(
    conn: &mut PgConnection,
    q: &HeldQuery,
    limit: i64,
) -> QueryResult<(Vec<HeldRow>, i64)> {
    let end = q.to.succ_opt().unwrap_or(q.to);
    let rows = diesel::sql_query(format!(
        "SELECT r.id, r.submitted_at, a.code AS agency_code, d.code AS desk_code, r.channel, \
                h.reasons, h.details, r.answer_values \
         FROM held_ratings h JOIN responses r ON r.id = h.response_id \
         JOIN agencies a ON a.id = r.agency_id JOIN desks d ON d.id = r.desk_id \
         WHERE {HELD_WHERE} ORDER BY r.submitted_at, r.id LIMIT $7"
    ))
    .bind::<Array<Int4>, _>(&q.agency_ids)
    .bind::<Timestamptz, _>(vietnam_midnight(q.from))
    .bind::<Timestamptz, _>(vietnam_midnight(end))
    .bind::<diesel::sql_types::Nullable<Text>, _>(q.reason.as_deref())
    .bind::<diesel::sql_types::Nullable<Int4>, _>(q.desk_id)
    .bind::<diesel::sql_types::Nullable<Array<diesel::sql_types::Uuid>>, _>(q.ids.as_deref())
    .bind::<Int8, _>(limit)
    .load(conn)?;
    #[derive(QueryableByName)]
    struct Total {
        #[diesel(sql_type = Int8)]
        n: i64,
    }
    let total: Total = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM held_ratings h JOIN responses r ON r.id = h.response_id \
         WHERE {HELD_WHERE}"
    ))
    .bind::<Array<Int4>, _>(&q.agency_ids)
    .bind::<Timestamptz, _>(vietnam_midnight(q.from))
    .bind::<Timestamptz, _>(vietnam_midnight(end))
    .bind::<diesel::sql_types::Nullable<Text>, _>(q.reason.as_deref())
    .bind::<diesel::sql_types::Nullable<Int4>, _>(q.desk_id)
    .bind::<diesel::sql_types::Nullable<Array<diesel::sql_types::Uuid>>, _>(q.ids.as_deref())
    .get_result(conn)?;
    Ok((rows, total.n))
}

/// A rating released: what its day's cell gains.
#[derive(Clone, Debug, QueryableByName)]
pub struct Released {
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Int4)]
    pub desk_id: i32,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub respondent_kind: String,
    #[diesel(sql_type = Array<diesel::sql_types::Nullable<Int2>>)]
    pub answer_values: Vec<Option<i16>>,
}

/// Decides every undecided held rating of the query (`released` or `rejected`), once, audited
/// with the rule and the count. Returns how many were decided, and the ratings released (for
/// their cells).
pub fn decide(
    conn: &mut PgConnection,
    actor: &super::audit::Actor,
    q: &HeldQuery,
    decision: &str,
) -> QueryResult<(usize, Vec<Released>)> {
    let end = q.to.succ_opt().unwrap_or(q.to);
    let decided: Vec<Released> = diesel::sql_query(format!(
        "WITH d AS ( \
           UPDATE held_ratings h SET decision = $7, decided_at = now(), decided_by = $8 \
           FROM responses r WHERE r.id = h.response_id AND {HELD_WHERE} \
           RETURNING r.submitted_at, r.desk_id, r.channel, r.respondent_kind, r.answer_values) \
         SELECT (submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day, desk_id, channel, \
                respondent_kind, answer_values FROM d"
    ))
    .bind::<Array<Int4>, _>(&q.agency_ids)
    .bind::<Timestamptz, _>(vietnam_midnight(q.from))
    .bind::<Timestamptz, _>(vietnam_midnight(end))
    .bind::<diesel::sql_types::Nullable<Text>, _>(q.reason.as_deref())
    .bind::<diesel::sql_types::Nullable<Int4>, _>(q.desk_id)
    .bind::<diesel::sql_types::Nullable<Array<diesel::sql_types::Uuid>>, _>(q.ids.as_deref())
    .bind::<Text, _>(decision)
    .bind::<diesel::sql_types::Nullable<Int4>, _>(actor.user_id)
    .load(conn)?;
    super::audit::record(
        conn,
        actor,
        &format!("held.{decision}"),
        "held_ratings",
        None,
        Some(serde_json::json!({
            "ratings": decided.len(),
            "rule": {
                "from": q.from, "to": q.to, "reason": q.reason, "desk": q.desk_id,
                "ids": q.ids, "agencies": q.agency_ids,
            },
        })),
    )?;
    let count = decided.len();
    Ok((
        count,
        if decision == "released" {
            decided
        } else {
            Vec::new()
        },
    ))
}

/// A desk's ratings without a receipt today, newest first (at most `limit`): the run of
/// identical answers ending at the newest is read from them.
#[derive(Clone, Debug, QueryableByName)]
pub struct Answered {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Array<diesel::sql_types::Nullable<Int2>>)]
    pub answer_values: Vec<Option<i16>>,
}

pub fn newest_today(
    conn: &mut PgConnection,
    desk_id: i32,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<Answered>> {
    diesel::sql_query(
        "SELECT r.id, r.answer_values FROM responses r \
         WHERE r.desk_id = $1 AND r.channel IN ('desk_qr', 'kiosk') AND r.submitted_at >= $2 \
         ORDER BY r.submitted_at DESC, r.id DESC LIMIT $3",
    )
    .bind::<Int4, _>(desk_id)
    .bind::<Timestamptz, _>(vietnam_midnight(today))
    .bind::<Int8, _>(limit)
    .load(conn)
}

/// How often the desk's counted ratings of the 28 days before today gave exactly these
/// answers, and how many ratings it had.
#[derive(Clone, Copy, Debug, QueryableByName)]
pub struct PatternShare {
    #[diesel(sql_type = Int8)]
    pub same: i64,
    #[diesel(sql_type = Int8)]
    pub total: i64,
}

pub fn pattern_share(
    conn: &mut PgConnection,
    desk_id: i32,
    today: NaiveDate,
    answers: &[Option<i16>],
) -> QueryResult<PatternShare> {
    diesel::sql_query(format!(
        "SELECT count(*) FILTER (WHERE r.answer_values = $4) AS same, count(*) AS total \
         FROM responses r \
         WHERE r.desk_id = $1 AND r.channel IN ('desk_qr', 'kiosk') \
           AND r.submitted_at >= $2 AND r.submitted_at < $3 AND {COUNTED}"
    ))
    .bind::<Int4, _>(desk_id)
    .bind::<Timestamptz, _>(vietnam_midnight(today - chrono::Duration::days(28)))
    .bind::<Timestamptz, _>(vietnam_midnight(today))
    .bind::<Array<diesel::sql_types::Nullable<Int2>>, _>(answers)
    .get_result(conn)
}

/// Ratings held and not yet decided, in all (the metrics).
pub fn undecided(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = Int8)]
        n: i64,
    }
    diesel::sql_query("SELECT count(*) AS n FROM held_ratings WHERE decision IS NULL")
        .get_result::<N>(conn)
        .map(|r| r.n)
}
