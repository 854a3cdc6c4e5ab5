//! Bearer tokens of the read API: created and revoked with an audit entry in the same
//! transaction, found by the SHA-256 of the presented token.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{api_tokens, users};
use super::users::{self as user_q, User};

#[derive(Clone, Debug, Queryable)]
pub struct TokenInfo {
    pub id: i32,
    pub username: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_on: Option<NaiveDate>,
}

/// Stores a token's hash for `username`; `None` when there is no such user. Returns the id.
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    username: &str,
    label: &str,
    sha256: &[u8; 32],
) -> QueryResult<Option<i32>> {
    conn.transaction(|conn| {
        let Some(user) = user_q::by_username(conn, username)? else {
            return Ok(None);
        };
        let id: i32 = diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::user_id.eq(user.id),
                api_tokens::token_sha256.eq(sha256.as_slice()),
                api_tokens::label.eq(label),
            ))
            .returning(api_tokens::id)
            .get_result(conn)?;
        audit::record(
            conn,
            actor,
            "api_token.create",
            &id.to_string(),
            None,
            Some(json!({ "id": id, "user": username, "label": label })),
        )?;
        Ok(Some(id))
    })
}

/// Revokes a token; `false` when no unrevoked token has this id.
pub fn revoke(conn: &mut PgConnection, actor: &Actor, id: i32) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let n = diesel::update(
            api_tokens::table
                .find(id)
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)?;
        if n == 1 {
            audit::record(
                conn,
                actor,
                "api_token.revoke",
                &id.to_string(),
                Some(json!({ "id": id, "revoked": false })),
                Some(json!({ "id": id, "revoked": true })),
            )?;
        }
        Ok(n == 1)
    })
}

pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<TokenInfo>> {
    api_tokens::table
        .inner_join(users::table)
        .order(api_tokens::id)
        .select((
            api_tokens::id,
            users::username,
            api_tokens::label,
            api_tokens::created_at,
            api_tokens::revoked_at,
            api_tokens::last_used_on,
        ))
        .load(conn)
}

/// The active user a token acts for: `None` if the token is unknown or revoked, or its user
/// disabled. Notes the day of use (once a day, so reads stay reads).
pub fn user_of(conn: &mut PgConnection, sha256: &[u8; 32]) -> QueryResult<Option<User>> {
    let found: Option<(i32, i32, Option<NaiveDate>)> = api_tokens::table
        .filter(api_tokens::token_sha256.eq(sha256.as_slice()))
        .filter(api_tokens::revoked_at.is_null())
        .select((
            api_tokens::id,
            api_tokens::user_id,
            api_tokens::last_used_on,
        ))
        .first(conn)
        .optional()?;
    let Some((id, user_id, last_used)) = found else {
        return Ok(None);
    };
    let today = (Utc::now() + chrono::Duration::hours(7)).date_naive();
    if last_used != Some(today) {
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::last_used_on.eq(today))
            .execute(conn)?;
    }
    Ok(user_q::by_id(conn, user_id)?.filter(|u| u.active))
}
