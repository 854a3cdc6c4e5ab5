//! Staff sessions kept by the server, and failed sign-ins per account name.
//!
//! A session is a row named by the SHA-256 of the cookie's random bytes; a request finds its
//! user only through a row that is neither idle too long nor past its absolute end, of a user
//! who is still active. Ending a session deletes its row, so it ends on every node at once.
//! Times are the database's clock, the one clock every node shares.

use diesel::prelude::*;
use diesel::sql_types::{Bytea, Double, Integer, Text};

use super::audit::{self, Actor};
use super::schema::{staff_sessions, users};
use super::users::User;

/// Starts a session for `user` that ends after `absolute_secs` at the latest; audited. Also
/// forgets the user's failed sign-ins and any session that has ended anyone's idle time.
pub fn start(
    conn: &mut PgConnection,
    user: &User,
    id_hash: &[u8; 32],
    absolute_secs: f64,
    idle_secs: f64,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::sql_query(
            "DELETE FROM staff_sessions
             WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $1)",
        )
        .bind::<Double, _>(idle_secs)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO staff_sessions (id_hash, user_id, expires_at)
             VALUES ($1, $2, now() + make_interval(secs => $3))",
        )
        .bind::<Bytea, _>(&id_hash[..])
        .bind::<Integer, _>(user.id)
        .bind::<Double, _>(absolute_secs)
        .execute(conn)?;
        clear_failures(conn, &user.username)?;
        let actor = Actor::user(user.id, &user.username);
        let after = serde_json::json!({ "signed_in": true, "max_hours": absolute_secs / 3600.0 });
        audit::record(
            conn,
            &actor,
            "session.start",
            &user.username,
            None,
            Some(after),
        )
    })
}

#[derive(QueryableByName)]
struct UserId {
    #[diesel(sql_type = Integer)]
    user_id: i32,
}

/// The active user of a live session, marking it used now; `None` if the session ended, timed
/// out (idle or absolute), or its user was disabled.
pub fn touch(
    conn: &mut PgConnection,
    id_hash: &[u8; 32],
    idle_secs: f64,
) -> QueryResult<Option<User>> {
    let found: Option<UserId> = diesel::sql_query(
        "UPDATE staff_sessions SET last_seen_at = now()
         WHERE id_hash = $1
           AND expires_at > now()
           AND last_seen_at > now() - make_interval(secs => $2)
           AND user_id IN (SELECT id FROM users WHERE active)
         RETURNING user_id",
    )
    .bind::<Bytea, _>(&id_hash[..])
    .bind::<Double, _>(idle_secs)
    .get_result(conn)
    .optional()?;
    match found {
        Some(row) => super::users::by_id(conn, row.user_id),
        None => Ok(None),
    }
}

/// Ends one session (sign-out); audited when there was one to end.
pub fn end(conn: &mut PgConnection, id_hash: &[u8; 32]) -> QueryResult<()> {
    conn.transaction(|conn| {
        let ended: Option<i32> = diesel::delete(staff_sessions::table.find(&id_hash[..]))
            .returning(staff_sessions::user_id)
            .get_result(conn)
            .optional()?;
        let Some(user_id) = ended else {
            return Ok(());
        };
        let username: String = users::table
            .find(user_id)
            .select(users::username)
            .first(conn)?;
        let actor = Actor::user(user_id, &username);
        let before = serde_json::json!({ "signed_in": true });
        let after = serde_json::json!({ "signed_in": false, "by": "sign-out" });
        audit::record(
            conn,
            &actor,
            "session.end",
            &username,
            Some(before),
            Some(after),
        )
    })
}

/// Ends every session of a user. Called inside the transaction that changes their password,
/// role or access, so no request after the commit runs with the old rights.
pub fn end_all(conn: &mut PgConnection, username: &str) -> QueryResult<usize> {
    let ids = users::table
        .filter(users::username.eq(username))
        .select(users::id);
    diesel::delete(staff_sessions::table.filter(staff_sessions::user_id.eq_any(ids))).execute(conn)
}

/// How failed sign-ins of one account name slow the next attempt.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// The consecutive failure that starts the waiting (the ones before it cost nothing).
    pub waits_from: i32,
    /// The wait it starts, doubled at each next failure…
    pub first_wait_secs: f64,
    /// …up to this.
    pub max_wait_secs: f64,
}

impl Backoff {
    /// After `failures` consecutive failures, how long until the next attempt is checked.
    pub fn wait_after(&self, failures: i32) -> f64 {
        if failures < self.waits_from {
            return 0.0;
        }
        let doublings = (failures - self.waits_from).min(30);
        (self.first_wait_secs * 2f64.powi(doublings)).min(self.max_wait_secs)
    }
}

/// Whether a password may be checked for an account name now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Attempt {
    /// Go ahead: the attempt is already counted as a failure (a success forgets it).
    Reserved,
    /// Not before this many seconds.
    Wait(f64),
}

#[derive(QueryableByName)]
struct Failures {
    #[diesel(sql_type = Integer)]
    failures: i32,
    /// The last failure is more than a day old: counting starts again.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    stale: bool,
    #[diesel(sql_type = Double)]
    wait: f64,
}

/// Reserves one sign-in attempt for this account name (whether or not it exists, so the
/// answer does not tell), before its password is checked: under the name's row lock, an
/// attempt during a wait is refused, and any other is counted as a failure and starts the
/// wait that failure earns. So however many guesses arrive at once, from however many
/// addresses, at most the free tries and then one per wait are checked — the count cannot
/// lag behind the checks. A success then forgets the failures (`start`). When a wait starts
/// or lengthens, the audit log says so. Failures older than a day are forgotten.
pub fn reserve_attempt(
    conn: &mut PgConnection,
    username: &str,
    backoff: &Backoff,
) -> QueryResult<Attempt> {
    conn.transaction(|conn| {
        // The row of the name, created (as this first failure) if there is none yet; the lock
        // is held until the transaction ends.
        let created: Option<Failures> = diesel::sql_query(
            "INSERT INTO login_failures (username, failures, blocked_until)
             VALUES ($1, 1, now() + make_interval(secs => $2))
             ON CONFLICT (username) DO NOTHING
             RETURNING failures, false AS stale, 0::float8 AS wait",
        )
        .bind::<Text, _>(username)
        .bind::<Double, _>(backoff.wait_after(1))
        .get_result(conn)
        .optional()?;
        let failures = match created {
            Some(f) => f.failures,
            None => {
                let row: Failures = diesel::sql_query(
                    "SELECT failures, last_failure_at < now() - interval '1 day' AS stale,
                            greatest(extract(epoch FROM blocked_until - now()), 0)::float8 AS wait
                     FROM login_failures WHERE username = $1 FOR UPDATE",
                )
                .bind::<Text, _>(username)
                .get_result(conn)?;
                if row.wait > 0.0 && !row.stale {
                    return Ok(Attempt::Wait(row.wait));
                }
                let failures = if row.stale {
                    1
                } else {
                    row.failures.saturating_add(1)
                };
                diesel::sql_query(
                    "UPDATE login_failures SET failures = $2, last_failure_at = now(),
                            blocked_until = now() + make_interval(secs => $3)
                     WHERE username = $1",
                )
                .bind::<Text, _>(username)
                .bind::<Integer, _>(failures)
                .bind::<Double, _>(backoff.wait_after(failures))
                .execute(conn)?;
                failures
            }
        };
        let wait = backoff.wait_after(failures);
        if wait > 0.0 {
            let actor = Actor {
                user_id: None,
                name: "sign-in page".to_owned(),
            };
            let after = serde_json::json!({ "failures": failures, "wait_seconds": wait });
            audit::record(conn, &actor, "login.backoff", username, None, Some(after))?;
        }
        Ok(Attempt::Reserved)
    })
}

/// Forgets the failed sign-ins of an account name (after a success).
pub fn clear_failures(conn: &mut PgConnection, username: &str) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM login_failures WHERE username = $1")
        .bind::<Text, _>(username)
        .execute(conn)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::Backoff;

    #[test]
    fn the_wait_doubles_after_the_free_failures_and_stops_at_the_maximum() {
        let b = Backoff {
            waits_from: 5,
            first_wait_secs: 1.0,
            max_wait_secs: 60.0,
        };
        let waits: Vec<f64> = (1..=13).map(|n| b.wait_after(n)).collect();
        assert_eq!(
            waits,
            [0., 0., 0., 0., 1., 2., 4., 8., 16., 32., 60., 60., 60.]
        );
        assert_eq!(b.wait_after(i32::MAX), 60.0);
    }
}
