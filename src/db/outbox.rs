//! The mail outbox's state changes (see migration `…_outbox` for the rules): claiming a due
//! message, recording that its body went to the server, finishing an attempt, recovering
//! messages whose worker died, and an administrator's decisions.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Int8, Nullable, Text};

use super::audit::{self, Actor};

/// A message a worker holds, with its attempt.
#[derive(QueryableByName, Debug, Clone)]
pub struct Claimed {
    #[diesel(sql_type = Int8)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub lang: String,
    #[diesel(sql_type = Text)]
    pub message_id: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    /// A survey message's sampled unit; `None` for a digest.
    #[diesel(sql_type = Nullable<Int8>)]
    pub sample_unit_id: Option<i64>,
    /// A digest or alert (`db::digests`); `None` for a survey message.
    #[diesel(sql_type = Nullable<Int8>)]
    pub digest_id: Option<i64>,
    #[diesel(sql_type = Int8)]
    pub attempt_id: i64,
}

fn interval(d: Duration) -> String {
    format!("{} milliseconds", d.as_millis())
}

/// Takes the next due message (one no other worker holds), marks it `sending` under a lease,
/// and opens its attempt; committed before anything is sent.
pub fn claim(conn: &mut PgConnection, lease: Duration) -> QueryResult<Option<Claimed>> {
    diesel::sql_query(
        "WITH next AS ( \
             SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= now() \
             ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED), \
         taken AS ( \
             UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1, \
                 lease_until = now() + $1::interval, data_sent_at = NULL \
             FROM next WHERE o.id = next.id \
             RETURNING o.id, o.kind, o.lang, o.message_id, o.attempts, o.sample_unit_id, o.digest_id), \
         attempt AS ( \
             INSERT INTO outbox_attempts (message) SELECT id FROM taken RETURNING id, message) \
         SELECT taken.*, attempt.id AS attempt_id FROM taken JOIN attempt ON attempt.message = taken.id",
    )
    .bind::<Text, _>(interval(lease))
    .get_result(conn)
    .optional()
}

/// Records that the message body is about to go to the server: from here on, a lost answer
/// means the server may have it.
pub fn mark_data_sent(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::sql_query("UPDATE outbox SET data_sent_at = now() WHERE id = $1 AND status = 'sending'")
        .bind::<Int8, _>(id)
        .execute(conn)
        .map(drop)
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// The server accepted the message (its reply).
    Sent(String),
    /// Not accepted, worth trying again after `after` (a network failure before the body was
    /// sent, a 4xx reply); after the last allowed attempt it becomes `failed`.
    Retry { error: String, after: Duration },
    /// Refused for good (a 5xx reply, no address any more).
    Failed(String),
    /// The body was sent and the answer lost: the server may have it. Never resent on its own.
    Uncertain(String),
}

/// Finishes the attempt and moves the message on; `max_attempts` turns a retry into `failed`.
pub fn finish(
    conn: &mut PgConnection,
    claimed: &Claimed,
    ended: &Ended,
    max_attempts: i32,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        let (status, outcome, detail, after) = match ended {
            Ended::Sent(reply) => ("sent", "sent", reply.as_str(), None),
            Ended::Retry { error, after } if claimed.attempts < max_attempts => {
                ("queued", "retry", error.as_str(), Some(*after))
            }
            Ended::Retry { error, .. } => ("failed", "failed", error.as_str(), None),
            Ended::Failed(error) => ("failed", "failed", error.as_str(), None),
            Ended::Uncertain(error) => ("uncertain", "uncertain", error.as_str(), None),
        };
        let detail: String = detail.chars().take(500).collect();
        diesel::sql_query(
            "UPDATE outbox SET status = $2, lease_until = NULL, \
                 sent_at = CASE WHEN $2 = 'sent' THEN now() END, \
                 last_error = CASE WHEN $2 = 'sent' THEN NULL ELSE $3 END, \
                 next_attempt_at = CASE WHEN $4::interval IS NULL THEN next_attempt_at \
                                        ELSE now() + $4::interval END \
             WHERE id = $1 AND status = 'sending'",
        )
        .bind::<Int8, _>(claimed.id)
        .bind::<Text, _>(status)
        .bind::<Text, _>(&detail)
        .bind::<Nullable<Text>, _>(after.map(interval))
        .execute(conn)?;
        diesel::sql_query(
            "UPDATE outbox_attempts SET finished_at = now(), outcome = $2, detail = $3 WHERE id = $1",
        )
        .bind::<Int8, _>(claimed.attempt_id)
        .bind::<Text, _>(outcome)
        .bind::<Text, _>(&detail)
        .execute(conn)?;
        Ok(())
    })
}

/// Messages whose worker died mid-attempt (lease expired): back to the queue when the body
/// had not been sent, `uncertain` when it had. (requeued, uncertain).
pub fn recover_expired(conn: &mut PgConnection) -> QueryResult<(usize, usize)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        status: String,
    }
    conn.transaction(|conn| {
        let rows: Vec<Row> = diesel::sql_query(
            "WITH dead AS ( \
                 UPDATE outbox SET \
                     status = CASE WHEN data_sent_at IS NULL THEN 'queued' ELSE 'uncertain' END, \
                     lease_until = NULL, next_attempt_at = now(), \
                     last_error = CASE WHEN data_sent_at IS NULL \
                         THEN 'the worker stopped before sending the message' \
                         ELSE 'the worker stopped after sending the message, before the server''s answer' END \
                 WHERE status = 'sending' AND lease_until < now() \
                 RETURNING id, status), \
             closed AS ( \
                 UPDATE outbox_attempts a SET finished_at = now(), \
                     outcome = CASE WHEN dead.status = 'queued' THEN 'interrupted' ELSE 'uncertain' END \
                 FROM dead WHERE a.message = dead.id AND a.finished_at IS NULL) \
             SELECT status FROM dead",
        )
        .load(conn)?;
        let requeued = rows.iter().filter(|r| r.status == "queued").count();
        Ok((requeued, rows.len() - requeued))
    })
}

/// Who a message goes to and what it says about them, read at sending time (never stored in
/// the outbox). `None` once the contacts are purged or the unit has no e-mail address.
#[derive(QueryableByName, Debug, Clone)]
pub struct Recipient {
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub agency_name: String,
    #[diesel(sql_type = Text)]
    pub wave_name: String,
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    pub year: i16,
}

pub fn recipient(conn: &mut PgConnection, unit_id: i64) -> QueryResult<Option<Recipient>> {
    diesel::sql_query(
        "SELECT f.name, f.email, a.name AS agency_name, w.name AS wave_name, w.year \
         FROM sample_units su JOIN frame_units f ON f.id = su.frame_unit_id \
         JOIN agencies a ON a.id = su.agency_id JOIN waves w ON w.id = su.wave_id \
         WHERE su.id = $1 AND f.email IS NOT NULL",
    )
    .bind::<Int8, _>(unit_id)
    .get_result(conn)
    .optional()
}

/// Messages due for longer than `lease` that no worker has taken, and messages whose lease
/// ran out that no worker has recovered: a queue that is not moving.
pub fn stalled(conn: &mut PgConnection, lease: Duration) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM outbox \
         WHERE (status = 'queued' AND next_attempt_at <= now() - $1::interval) \
            OR (status = 'sending' AND lease_until <= now() - $1::interval)",
    )
    .bind::<Text, _>(interval(lease))
    .get_result::<N>(conn)
    .map(|r| r.n)
}

/// Messages per status, over every wave (for the outbox page).
pub fn counts(conn: &mut PgConnection) -> QueryResult<Vec<(String, i64)>> {
    use super::schema::outbox;
    outbox::table
        .group_by(outbox::status)
        .order(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

/// A message that needs an administrator (failed or uncertain), or the latest ones.
#[derive(QueryableByName, Debug, Clone)]
pub struct Listed {
    #[diesel(sql_type = Int8)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The survey's wave; `None` for a digest or alert.
    #[diesel(sql_type = Nullable<Text>)]
    pub wave_name: Option<String>,
    /// The unit's agency, or the digest reader's (`None` for Home Affairs' administrators).
    #[diesel(sql_type = Nullable<Text>)]
    pub agency_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub updated: chrono::DateTime<chrono::Utc>,
}

/// Up to `limit` messages, those needing a decision first, then the newest.
/// One page of messages (of one status, or all): those needing a decision first, then the
/// newest.
pub fn list(
    conn: &mut PgConnection,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Listed>> {
    diesel::sql_query(
        "SELECT o.id, o.kind, w.name AS wave_name, coalesce(a.code, ua.code) AS agency_code, \
                coalesce(f.email, u.email) AS email, o.status, \
                o.attempts, o.last_error, coalesce(o.sent_at, o.next_attempt_at) AS updated \
         FROM outbox o LEFT JOIN waves w ON w.id = o.wave_id \
         LEFT JOIN sample_units su ON su.id = o.sample_unit_id LEFT JOIN agencies a ON a.id = su.agency_id \
         LEFT JOIN frame_units f ON f.id = su.frame_unit_id \
         LEFT JOIN digests d ON d.id = o.digest_id LEFT JOIN users u ON u.id = d.user_id \
         LEFT JOIN agencies ua ON ua.id = u.agency_id \
         WHERE $1::text IS NULL OR o.status = $1 \
         ORDER BY (o.status IN ('failed', 'uncertain')) DESC, o.id DESC LIMIT $2 OFFSET $3",
    )
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(status)
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(offset)
    .load(conn)
}

/// What an administrator decided about a failed or uncertain message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send it again (now).
    Retry,
    /// The person got it (they said so, or the server's log shows it): mark it sent.
    MarkSent,
}

/// Applies a decision to a failed or uncertain message, audited; false when the message is in
/// no such state (already decided, or still queued).
pub fn decide(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    decision: Decision,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Was {
            #[diesel(sql_type = Text)]
            status: String,
        }
        let (sql, action, now) = match decision {
            Decision::Retry => (
                "UPDATE outbox o SET status = 'queued', next_attempt_at = now(), data_sent_at = NULL \
                 FROM outbox old WHERE o.id = $1 AND old.id = o.id AND o.status IN ('failed', 'uncertain') \
                 RETURNING old.status",
                "outbox.retry",
                "queued",
            ),
            Decision::MarkSent => (
                "UPDATE outbox o SET status = 'sent', sent_at = now() \
                 FROM outbox old WHERE o.id = $1 AND old.id = o.id AND o.status IN ('failed', 'uncertain') \
                 RETURNING old.status",
                "outbox.mark_sent",
                "sent",
            ),
        };
        let Some(was) = diesel::sql_query(sql)
            .bind::<Int8, _>(id)
            .get_result::<Was>(conn)
            .optional()?
        else {
            return Ok(false);
        };
        audit::record(
            conn,
            actor,
            action,
            &id.to_string(),
            Some(serde_json::json!({"status": was.status})),
            Some(serde_json::json!({"status": now})),
        )?;
        Ok(true)
    })
}
