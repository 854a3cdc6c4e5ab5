//! Citizens' comments as staff read them: the newest of a selection, and hiding an abusive one
//! (a row in `hidden_comments`, audited; the comment itself never changes).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Actor};
use super::schema::{hidden_comments, responses};
use crate::domain::search;

#[derive(Clone, Debug)]
pub struct Comment {
    pub response_id: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub agency_id: i32,
    pub desk_name: Option<String>,
    pub channel: String,
    pub text: String,
    pub hidden: bool,
}

/// What to list.
#[derive(Clone, Debug)]
pub struct CommentQuery {
    /// The same selection as the numbers beside the comments: the form's instrument, the
    /// agencies, desk, channel and kind.
    pub slice: super::slice::Slice,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    /// What the comment must contain, if anything.
    pub search: Option<Search>,
    pub limit: i64,
}

/// A search of comments, by what its reader may see.
#[derive(Clone, Debug)]
pub struct Search {
    /// The words made plain (`domain::search::words`), looked for in the comments' search
    /// keys, which hold only their masked text.
    pub plain: String,
    /// The words as typed, also looked for in the original text (case-insensitive): only for
    /// readers who may see the originals (administrators).
    pub in_original: Option<String>,
    /// Whether hidden comments are searched too: only for readers who may read them (a
    /// search that matched a hidden comment would tell its text to someone who may not).
    pub hidden_too: bool,
}

/// Midnight in Vietnam (UTC+7) at the start of `day`.
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    (day.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::Duration::hours(7)).and_utc()
}

#[derive(QueryableByName)]
struct CommentRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    submitted_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    agency_id: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    desk_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    channel: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    comment: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    hidden: bool,
}

/// The newest comments of the selection, hidden ones included (marked). Each agency's newest
/// are read from its own index range and merged, so a province with a year of comments reads
/// a few hundred rows, not all of them.
pub fn newest(conn: &mut PgConnection, q: &CommentQuery) -> QueryResult<Vec<Comment>> {
    use diesel::sql_types::{Array, Bool, Int2, Int4, Int8, Nullable, Text, Timestamptz};
    let plain = q.search.as_ref().map(|s| search::like_pattern(&s.plain));
    let original = q
        .search
        .as_ref()
        .and_then(|s| s.in_original.as_deref())
        .map(search::like_pattern);
    let hidden_too = q.search.as_ref().is_none_or(|s| s.hidden_too);
    let rows: Vec<CommentRow> = diesel::sql_query(
        "SELECT x.id, x.submitted_at, x.agency_id, d.name AS desk_name, x.channel, x.comment, \
                (h.response_id IS NOT NULL) AS hidden \
         FROM unnest($1::int4[]) AS a(id) \
         CROSS JOIN LATERAL ( \
             SELECT r.id, r.submitted_at, r.agency_id, r.desk_id, r.channel, r.comment \
             FROM responses r \
             WHERE r.agency_id = a.id AND r.comment IS NOT NULL \
               AND r.submitted_at >= $2 AND r.submitted_at < $3 \
               AND r.channel = ANY($4) \
               AND ($5::int4 IS NULL OR r.desk_id = $5) \
               AND ($6::text IS NULL OR r.respondent_kind = $6) \
               AND ($7::text IS NULL \
                    OR (r.comment_search_v = $9 AND r.comment_search LIKE $7) \
                    OR ($10::text IS NOT NULL AND r.comment ILIKE $10)) \
               AND r.instrument_id = $12 \
               AND ($11 OR NOT EXISTS (SELECT 1 FROM hidden_comments hc WHERE hc.response_id = r.id)) \
             ORDER BY r.submitted_at DESC LIMIT $8) AS x \
         LEFT JOIN desks d ON d.id = x.desk_id \
         LEFT JOIN hidden_comments h ON h.response_id = x.id \
         ORDER BY x.submitted_at DESC, x.id LIMIT $8",
    )
    .bind::<Array<Int4>, _>(&q.slice.agency_ids)
    .bind::<Timestamptz, _>(start_of(q.from))
    .bind::<Timestamptz, _>(start_of(q.to + chrono::Duration::days(1)))
    .bind::<Array<Text>, _>(q.slice.channels())
    .bind::<Nullable<Int4>, _>(q.slice.desk_id)
    .bind::<Nullable<Text>, _>(q.slice.respondent_kind.as_deref())
    .bind::<Nullable<Text>, _>(plain.as_deref())
    .bind::<Int8, _>(q.limit)
    .bind::<Int2, _>(search::KEY_VERSION)
    .bind::<Nullable<Text>, _>(original.as_deref())
    .bind::<Bool, _>(hidden_too)
    .bind::<Int4, _>(q.slice.instrument_id)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Comment {
            response_id: r.id,
            submitted_at: r.submitted_at,
            agency_id: r.agency_id,
            desk_name: r.desk_name,
            channel: r.channel,
            text: r.comment,
            hidden: r.hidden,
        })
        .collect())
}

#[derive(QueryableByName)]
struct Unkeyed {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    comment: String,
}

/// Gives up to `batch` comments whose search key is missing or of another version of the
/// rules a key of this version; returns how many. Rows another node is keying are skipped
/// (several nodes may start at once).
pub fn key_stale(conn: &mut PgConnection, batch: i64) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Int2, Int8, Text};
    conn.transaction(|conn| {
        let rows: Vec<Unkeyed> = diesel::sql_query(
            "SELECT id, comment FROM responses \
             WHERE comment IS NOT NULL AND comment_search_v IS DISTINCT FROM $1 \
             LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind::<Int2, _>(search::KEY_VERSION)
        .bind::<Int8, _>(batch)
        .load(conn)?;
        if rows.is_empty() {
            return Ok(0);
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let keys: Vec<String> = rows.iter().map(|r| search::key(&r.comment)).collect();
        diesel::sql_query(
            "UPDATE responses r SET comment_search = k.key, comment_search_v = $3 \
             FROM unnest($1::uuid[], $2::text[]) AS k(id, key) WHERE r.id = k.id",
        )
        .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
        .bind::<Array<Text>, _>(&keys)
        .bind::<Int2, _>(search::KEY_VERSION)
        .execute(conn)?;
        Ok(rows.len())
    })
}

/// Hides or shows a comment of an agency in `agency_ids` (the moderator's scope). `false` when
/// no comment of that scope has this id.
pub fn set_hidden(
    conn: &mut PgConnection,
    actor: &Actor,
    agency_ids: &[i32],
    response_id: Uuid,
    hidden: bool,
) -> QueryResult<bool> {
    let Some(user_id) = actor.user_id else {
        return Ok(false);
    };
    conn.transaction(|conn| {
        let in_scope: i64 = responses::table
            .filter(responses::id.eq(response_id))
            .filter(responses::agency_id.eq_any(agency_ids))
            .filter(responses::comment.is_not_null())
            .count()
            .get_result(conn)?;
        if in_scope == 0 {
            return Ok(false);
        }
        let changed = if hidden {
            diesel::insert_into(hidden_comments::table)
                .values((
                    hidden_comments::response_id.eq(response_id),
                    hidden_comments::hidden_by.eq(user_id),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?
        } else {
            diesel::delete(hidden_comments::table.find(response_id)).execute(conn)?
        };
        if changed > 0 {
            audit::record(
                conn,
                actor,
                if hidden {
                    "comment.hide"
                } else {
                    "comment.show"
                },
                &response_id.to_string(),
                Some(json!({ "hidden": !hidden })),
                Some(json!({ "hidden": hidden })),
            )?;
        }
        Ok(true)
    })
}
