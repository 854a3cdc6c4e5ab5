//! Citizens' comments as staff read them: the newest of a selection, and hiding an abusive one
//! (a row in `hidden_comments`, audited; the comment itself never changes).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Actor};
use super::schema::{desks, hidden_comments, responses};

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
    pub agency_ids: Vec<i32>,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub channel: Option<String>,
    pub desk_id: Option<i32>,
    pub respondent_kind: Option<String>,
    /// Words the comment must contain (case-insensitive), if any.
    pub contains: Option<String>,
    pub limit: i64,
}

/// Midnight in Vietnam (UTC+7) at the start of `day`.
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    (day.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::Duration::hours(7)).and_utc()
}

/// The newest comments of the selection, hidden ones included (marked).
pub fn newest(conn: &mut PgConnection, q: &CommentQuery) -> QueryResult<Vec<Comment>> {
    let mut query = responses::table
        .left_join(desks::table.on(desks::id.nullable().eq(responses::desk_id)))
        .left_join(hidden_comments::table)
        .filter(responses::agency_id.eq_any(&q.agency_ids))
        .filter(responses::comment.is_not_null())
        .filter(responses::submitted_at.ge(start_of(q.from)))
        .filter(responses::submitted_at.lt(start_of(q.to + chrono::Duration::days(1))))
        .into_boxed();
    if let Some(c) = &q.channel {
        query = query.filter(responses::channel.eq(c.clone()));
    }
    if let Some(d) = q.desk_id {
        query = query.filter(responses::desk_id.eq(d));
    }
    if let Some(k) = &q.respondent_kind {
        query = query.filter(responses::respondent_kind.eq(k.clone()));
    }
    if let Some(words) = &q.contains {
        // Escape LIKE's wildcards: the words are matched literally.
        let literal = words
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(responses::comment.ilike(format!("%{literal}%")));
    }
    type Row = (
        Uuid,
        DateTime<Utc>,
        i32,
        Option<String>,
        String,
        Option<String>,
        Option<Uuid>,
    );
    let rows: Vec<Row> = query
        .order(responses::submitted_at.desc())
        .limit(q.limit)
        .select((
            responses::id,
            responses::submitted_at,
            responses::agency_id,
            desks::name.nullable(),
            responses::channel,
            responses::comment,
            hidden_comments::response_id.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(response_id, submitted_at, agency_id, desk_name, channel, text, hidden)| Comment {
                response_id,
                submitted_at,
                agency_id,
                desk_name,
                channel,
                text: text.unwrap_or_default(),
                hidden: hidden.is_some(),
            },
        )
        .collect())
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
