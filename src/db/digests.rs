//! Managers' digests and alerts (issue #20, point 8): who receives them, each composed message
//! stored once per person, kind and period (several nodes may compose at once), queued in the
//! outbox in the same transaction, and read back by the outbox worker when it is sent.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Date, Int4, Int8, Nullable, Text};
use serde_json::json;

use super::audit::{self, Actor};
use crate::domain::Role;

/// How often a person wants their digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadence {
    Weekly,
    Monthly,
    Off,
}

impl Cadence {
    pub const ALL: [Cadence; 3] = [Cadence::Weekly, Cadence::Monthly, Cadence::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Weekly => "weekly",
            Cadence::Monthly => "monthly",
            Cadence::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Cadence> {
        Cadence::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A person who receives digests: an active staff account with an address and a cadence.
#[derive(QueryableByName, Clone, Debug)]
pub struct Reader {
    #[diesel(sql_type = Int4)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Nullable<Int4>)]
    pub agency_id: Option<i32>,
    #[diesel(sql_type = Text)]
    digest: String,
    #[diesel(sql_type = Text)]
    pub lang: String,
}

impl Reader {
    pub fn role(&self) -> Option<Role> {
        self.role.parse().ok()
    }

    pub fn cadence(&self) -> Cadence {
        Cadence::parse(&self.digest).unwrap_or(Cadence::Off)
    }
}

/// Everyone who receives digests now (system accounts never do).
pub fn readers(conn: &mut PgConnection) -> QueryResult<Vec<Reader>> {
    diesel::sql_query(
        "SELECT id, username, role, agency_id, digest, mail_lang AS lang FROM users \
         WHERE active AND email IS NOT NULL AND digest <> 'off' AND role <> 'system' ORDER BY id",
    )
    .load(conn)
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

/// Whether `user`'s message of `kind` for the period starting `start` is already composed.
pub fn composed(
    conn: &mut PgConnection,
    user: i32,
    kind: &str,
    start: NaiveDate,
) -> QueryResult<bool> {
    let f: Flag = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM digests WHERE user_id = $1 AND kind = $2 AND period_start = $3) AS flag",
    )
    .bind::<Int4, _>(user)
    .bind::<Text, _>(kind)
    .bind::<Date, _>(start)
    .get_result(conn)?;
    Ok(f.flag)
}

/// A composed message to store and queue.
pub struct NewDigest<'a> {
    pub user_id: i32,
    /// `weekly`, `monthly`, `alert_fall` or `alert_target`.
    pub kind: &'a str,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub lang: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

/// Stores the message and queues it in the outbox, in one transaction; false when another
/// pass (on this node or another) stored it first, in which case nothing changes.
pub fn queue(conn: &mut PgConnection, d: &NewDigest) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Int8)]
        id: i64,
    }
    conn.transaction(|conn| {
        let stored: Option<Id> = diesel::sql_query(
            "INSERT INTO digests (user_id, kind, period_start, period_end, lang, subject, body_text, body_html) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (user_id, kind, period_start) DO NOTHING RETURNING id",
        )
        .bind::<Int4, _>(d.user_id)
        .bind::<Text, _>(d.kind)
        .bind::<Date, _>(d.start)
        .bind::<Date, _>(d.end)
        .bind::<Text, _>(d.lang)
        .bind::<Text, _>(d.subject)
        .bind::<Text, _>(d.text)
        .bind::<Text, _>(d.html)
        .get_result(conn)
        .optional()?;
        let Some(stored) = stored else {
            return Ok(false);
        };
        let outbox_kind = if d.kind.starts_with("alert") {
            "alert"
        } else {
            "digest"
        };
        diesel::sql_query(
            "INSERT INTO outbox (kind, digest_id, lang, message_id) \
             VALUES ($1, $2, $3, gen_random_uuid()::text)",
        )
        .bind::<Text, _>(outbox_kind)
        .bind::<Int8, _>(stored.id)
        .bind::<Text, _>(d.lang)
        .execute(conn)?;
        Ok(true)
    })
}

/// A stored digest as the worker sends it, to its person's address of now.
#[derive(QueryableByName, Clone, Debug)]
pub struct DigestMail {
    #[diesel(sql_type = Int4)]
    pub user_id: i32,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub body_text: String,
    #[diesel(sql_type = Text)]
    pub body_html: String,
}

/// The digest to send, if its person still receives digests (active, an address, not off).
pub fn mail_of(conn: &mut PgConnection, digest_id: i64) -> QueryResult<Option<DigestMail>> {
    diesel::sql_query(
        "SELECT u.id AS user_id, u.email, u.username, d.subject, d.body_text, d.body_html \
         FROM digests d JOIN users u ON u.id = d.user_id \
         WHERE d.id = $1 AND u.active AND u.email IS NOT NULL AND u.digest <> 'off'",
    )
    .bind::<Int8, _>(digest_id)
    .get_result(conn)
    .optional()
}

/// How many comments of the agencies' ratings in the days (Vietnam's calendar) staff can read
/// (not hidden, not held for review).
pub fn comments_in(
    conn: &mut PgConnection,
    agency_ids: &[i32],
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = Int8)]
        n: i64,
    }
    let n: N = diesel::sql_query(
        "SELECT count(*) AS n FROM responses r \
         WHERE r.agency_id = ANY($1) AND r.comment IS NOT NULL \
           AND r.submitted_at >= ($2::date)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' \
           AND r.submitted_at < ($3::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' \
           AND NOT EXISTS (SELECT 1 FROM hidden_comments h WHERE h.response_id = r.id) \
           AND NOT EXISTS (SELECT 1 FROM held_ratings x WHERE x.response_id = r.id AND x.decision IS DISTINCT FROM 'released')",
    )
    .bind::<Array<Int4>, _>(agency_ids)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .get_result(conn)?;
    Ok(n.n)
}

/// A person's mail settings.
#[derive(QueryableByName, Clone, Debug)]
pub struct Choice {
    #[diesel(sql_type = Int4)]
    pub user_id: i32,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Text)]
    digest: String,
    #[diesel(sql_type = Text)]
    pub lang: String,
    #[diesel(sql_type = Bool)]
    pub active: bool,
}

impl Choice {
    pub fn cadence(&self) -> Cadence {
        Cadence::parse(&self.digest).unwrap_or(Cadence::Off)
    }

    /// The same settings with another cadence (shown on a form, not stored).
    pub fn choose(&mut self, cadence: Cadence) {
        self.digest = cadence.as_str().to_owned();
    }
}

pub fn choice_of(conn: &mut PgConnection, user_id: i32) -> QueryResult<Option<Choice>> {
    diesel::sql_query(
        "SELECT id AS user_id, username, email, digest, mail_lang AS lang, active FROM users WHERE id = $1",
    )
    .bind::<Int4, _>(user_id)
    .get_result(conn)
    .optional()
}

/// Two addresses are the same one when they differ only in the case of their letters.
fn same_address(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.to_lowercase() == b.to_lowercase(),
        (None, None) => true,
        _ => false,
    }
}

/// Sets a person's cadence and mail language (and address, when `email` is given), audited.
pub fn set_choice(
    conn: &mut PgConnection,
    actor: &Actor,
    user_id: i32,
    cadence: Cadence,
    lang: &str,
    email: Option<Option<&str>>,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        // Locked, so that changes at the same moment are logged one after the other, each
        // with the state the one before left.
        let before: Option<Choice> = diesel::sql_query(
            "SELECT id AS user_id, username, email, digest, mail_lang AS lang, active FROM users \
             WHERE id = $1 FOR UPDATE",
        )
        .bind::<Int4, _>(user_id)
        .get_result(conn)
        .optional()?;
        let Some(before) = before else {
            return Ok(false);
        };
        let email_after = match email {
            Some(e) => e.map(str::to_owned),
            None => before.email.clone(),
        };
        diesel::sql_query("UPDATE users SET digest = $2, mail_lang = $3, email = $4 WHERE id = $1")
            .bind::<Int4, _>(user_id)
            .bind::<Text, _>(cadence.as_str())
            .bind::<Text, _>(lang)
            .bind::<Nullable<Text>, _>(email_after.as_deref())
            .execute(conn)?;
        // The address itself is personal data: the log says whether there is one and whether
        // it changed (a digest sent somewhere else must show), never which it is.
        let changed = !same_address(before.email.as_deref(), email_after.as_deref());
        audit::record(
            conn,
            actor,
            "user.mail",
            &before.username,
            Some(json!({"digest": before.digest, "lang": before.lang, "email": before.email.is_some()})),
            Some(json!({
                "digest": cadence.as_str(),
                "lang": lang,
                "email": email_after.is_some(),
                "email_changed": changed,
            })),
        )?;
        Ok(true)
    })
}
