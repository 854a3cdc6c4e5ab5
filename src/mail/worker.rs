//! The outbox worker: claims due messages one at a time (several workers on several nodes
//! never take the same one), composes each from the sampled unit's contact at sending time,
//! hands it to the SMTP server, and records how the attempt ended. Messages whose worker died
//! are recovered by the next worker (see `db::outbox::recover_expired`). Logs name message ids,
//! never addresses.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use lettre::message::Mailbox;

use super::compose;
use super::smtp::{Handed, Sender};
use crate::config::{MailTiming, Smtp};
use crate::db::outbox::{self, Claimed, Ended};
use crate::db::{self, DbPool};
use crate::domain::email::Email;
use crate::domain::invitation::Invitation;
use crate::domain::mail_settings_token::MailSettingsToken;
use crate::domain::text;
use crate::views::Views;

/// What the worker needs besides the database.
pub struct Worker {
    pool: DbPool,
    key: Vec<u8>,
    base_url: String,
    from: Mailbox,
    timing: MailTiming,
    views: &'static Views,
    sender: Sender,
    health: Arc<Health>,
}

/// How the outbox worker of this process is doing, for `/health/ready` and the logs.
#[derive(Debug, Default)]
pub struct Health {
    /// Seconds since the Unix epoch of the worker's last sign of life (a pass begun, a
    /// message finished); 0 before it started.
    beat: AtomicU64,
    /// Times the worker's loop stopped on a panic and was started again.
    pub restarts: AtomicU64,
    /// Messages whose building panicked (each failed with its reason).
    pub panics: AtomicU64,
    /// Whether the worker's thread is running (false once it gave up or was stopped).
    running: AtomicBool,
    /// The lease and the poll: a worker silent for longer than both is stuck.
    pub patience: Duration,
}

impl Health {
    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn beat(&self) {
        self.beat.store(Self::now(), Ordering::Relaxed);
    }

    /// Why the worker cannot be counted on, if it cannot: not running, or silent for longer
    /// than its lease and poll.
    pub fn problem(&self) -> Option<String> {
        if !self.running.load(Ordering::Relaxed) {
            return Some("the outbox worker is not running".into());
        }
        let silent = Self::now().saturating_sub(self.beat.load(Ordering::Relaxed));
        (silent > self.patience.as_secs())
            .then(|| format!("the outbox worker has shown no sign of life for {silent} s"))
    }
}

/// What a panic said, if it said anything.
fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

/// What one pass over the due messages did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub uncertain: usize,
}

impl Worker {
    pub fn new(
        pool: DbPool,
        key: Vec<u8>,
        base_url: String,
        smtp: Smtp,
        timing: MailTiming,
    ) -> Result<Worker> {
        let from: Mailbox = smtp
            .from
            .parse()
            .context("SIPAS_MAIL_FROM is not an address")?;
        Ok(Worker {
            pool,
            key,
            base_url,
            from,
            timing,
            views: Views::shared()?,
            sender: Sender::new(smtp),
            health: Arc::new(Health {
                patience: timing.lease + POLL + Duration::from_secs(30),
                ..Health::default()
            }),
        })
    }

    /// The worker's health, to read while it runs on its thread.
    pub fn health(&self) -> Arc<Health> {
        Arc::clone(&self.health)
    }

    /// Sends every due message, then returns (the connection closed).
    pub fn pass(&mut self) -> Result<Pass> {
        self.health.beat();
        let mut conn = self.pool.get().context("no database connection")?;
        let (requeued, uncertain) = outbox::recover_expired(&mut conn)?;
        if requeued + uncertain > 0 {
            tracing::warn!(
                requeued,
                uncertain,
                "outbox: recovered messages of a stopped worker"
            );
        }
        let mut pass = Pass::default();
        while let Some(claimed) = outbox::claim(&mut conn, self.timing.lease)? {
            let ended = self.attempt(&mut conn, &claimed);
            let Some(ended) = ended else {
                // The database failed between claim and body: the lease will expire and the
                // message come back (its body was not sent).
                break;
            };
            outbox::finish(&mut conn, &claimed, &ended, self.timing.max_attempts)?;
            self.health.beat();
            match &ended {
                Ended::Sent(_) => pass.sent += 1,
                Ended::Retry { .. } if claimed.attempts < self.timing.max_attempts => {
                    pass.retried += 1
                }
                Ended::Retry { .. } | Ended::Failed(_) => pass.failed += 1,
                Ended::Uncertain(_) => pass.uncertain += 1,
            }
            tracing::info!(message = claimed.id, attempt = claimed.attempts, outcome = ?outcome_name(&ended), "outbox");
        }
        self.sender.close();
        Ok(pass)
    }

    /// One attempt at one message; `None` when it stopped before the body for a database
    /// failure (left to recovery).
    #[tracing::instrument(name = "mail send", skip_all, fields(message = claimed.id))]
    fn attempt(&mut self, conn: &mut db::Conn, claimed: &Claimed) -> Option<Ended> {
        let built = match (claimed.digest_id, claimed.sample_unit_id) {
            (Some(digest), _) => self.build_digest(conn, claimed, digest),
            (None, Some(unit)) => self.build_invitation(conn, claimed, unit),
            (None, None) => Built::Ended(Ended::Failed("the message names no recipient".into())),
        };
        let (to_address, body) = match built {
            Built::Ready(to, body) => (to, body),
            Built::Ended(ended) => return Some(ended),
            Built::DatabaseAway => return None,
        };
        let id = claimed.id;
        let handed = self
            .sender
            .hand(&self.from.email, &to_address, &body, &mut || {
                Ok(outbox::mark_data_sent(conn, id)?)
            });
        Some(match handed {
            Handed::Accepted(reply) => Ended::Sent(reply),
            Handed::NotDelivered {
                error,
                permanent: true,
            } => Ended::Failed(error),
            Handed::NotDelivered { error, .. } => Ended::Retry {
                error,
                after: self.backoff(claimed.attempts),
            },
            Handed::Unknown(error) => Ended::Uncertain(error),
            Handed::Stopped(_) => return None,
        })
    }

    /// An invitation or reminder to the sampled unit, from its frame row of now.
    fn build_invitation(&self, conn: &mut db::Conn, claimed: &Claimed, unit: i64) -> Built {
        let who = match outbox::recipient(conn, unit) {
            Ok(Some(w)) => w,
            Ok(None) => {
                return Built::Ended(Ended::Failed(
                    "the unit has no e-mail address (contacts purged?)".into(),
                ))
            }
            Err(_) => return Built::DatabaseAway,
        };
        let to_address = match address(&who.email) {
            Ok(a) => a,
            Err(ended) => return Built::Ended(ended),
        };
        let code = Invitation { unit_id: unit }.sign(&self.key);
        self.built(|| {
            let signature = self.from.name.clone().unwrap_or_default();
            let mail = compose::text(
                &claimed.kind,
                &claimed.lang,
                &who,
                &code,
                &self.base_url,
                &signature,
            );
            let name = who
                .name
                .as_deref()
                .map(text::one_line)
                .filter(|n| !n.is_empty());
            let to = Mailbox::new(name, to_address.clone());
            compose::message(self.views, &self.from, &to, &claimed.message_id, &mail)
                .map(|m| m.formatted())
        })
        .map_or_else(Built::Ended, |body| Built::Ready(to_address, body))
    }

    /// A digest or alert, as it was composed, to its person's address of now.
    fn build_digest(&self, conn: &mut db::Conn, claimed: &Claimed, digest: i64) -> Built {
        let mail = match db::digests::mail_of(conn, digest) {
            Ok(Some(m)) => m,
            Ok(None) => {
                return Built::Ended(Ended::Failed(
                    "the person no longer receives digests (account disabled, no address, or digests off)".into(),
                ))
            }
            Err(_) => return Built::DatabaseAway,
        };
        let to_address = match address(&mail.email) {
            Ok(a) => a,
            Err(ended) => return Built::Ended(ended),
        };
        let settings = format!(
            "{}/mail-settings/{}",
            self.base_url,
            MailSettingsToken {
                user_id: mail.user_id
            }
            .sign(&self.key)
        );
        self.built(|| {
            let to = Mailbox::new(Some(text::one_line(&mail.username)), to_address.clone());
            compose::stored(&self.from, &to, &claimed.message_id, &mail, &settings)
                .map(|m| m.formatted())
        })
        .map_or_else(Built::Ended, |body| Built::Ready(to_address, body))
    }

    /// Runs `build`: building a message runs a library over text from a file or a form;
    /// whatever it does with it, even panic, this message fails with the reason and the
    /// worker goes on.
    fn built(&self, build: impl FnOnce() -> Result<Vec<u8>>) -> Result<Vec<u8>, Ended> {
        match catch_unwind(AssertUnwindSafe(build)) {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(e)) => Err(Ended::Failed(format!(
                "the message could not be built: {e:#}"
            ))),
            Err(panic) => {
                self.health.panics.fetch_add(1, Ordering::Relaxed);
                Err(Ended::Failed(format!(
                    "the message could not be built (the mail library stopped: {})",
                    text::clip(&panic_message(&panic), 200)
                )))
            }
        }
    }

    /// The wait before attempt `attempts + 1`: the base, doubled per attempt, at most 6 hours.
    fn backoff(&self, attempts: i32) -> Duration {
        let factor = 2u32.saturating_pow(u32::try_from(attempts.max(1) - 1).unwrap_or(0));
        self.timing
            .retry_base
            .saturating_mul(factor)
            .min(Duration::from_secs(6 * 3600))
    }

    /// Passes until `stop` is set, waiting `poll` between passes that found nothing.
    pub fn run(&mut self, stop: &AtomicBool, poll: Duration) {
        let mut last_error: Option<Instant> = None;
        // After a panic the connection to the SMTP server may be half-way through a
        // transaction: start from a closed one.
        self.sender.close();
        while !stop.load(Ordering::Relaxed) {
            self.health.beat();
            match self.pass() {
                Ok(p) if p.sent + p.retried + p.failed + p.uncertain > 0 => continue,
                Ok(_) => {}
                Err(e) => {
                    // The database is away: say so once a minute, keep trying.
                    if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                        tracing::error!("outbox worker: {e:#}");
                        last_error = Some(Instant::now());
                    }
                }
            }
            std::thread::sleep(poll);
        }
    }
}

/// A message ready to hand over, or why not.
enum Built {
    Ready(lettre::Address, Vec<u8>),
    Ended(Ended),
    /// The database failed before the body: left to recovery (the body was not sent).
    DatabaseAway,
}

/// The address, checked again here: a frame imported (or an account saved) before the rules
/// were this strict may hold an address a relay would misread.
fn address(raw: &str) -> Result<lettre::Address, Ended> {
    match Email::parse(raw).map(|e| e.as_str().parse::<lettre::Address>()) {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(e)) => Err(Ended::Failed(format!(
            "the e-mail address is not valid: {e}"
        ))),
        Err(why) => Err(Ended::Failed(format!("the e-mail address {why}"))),
    }
}

fn outcome_name(e: &Ended) -> &'static str {
    match e {
        Ended::Sent(_) => "sent",
        Ended::Retry { .. } => "retry",
        Ended::Failed(_) => "failed",
        Ended::Uncertain(_) => "uncertain",
    }
}

/// How long the worker waits between passes that found nothing.
pub const POLL: Duration = Duration::from_secs(2);

/// Runs the worker on this thread until `stop` is set. If its loop panics (a bug it did not
/// see coming), the loop is started again after a pause that doubles up to a minute, and
/// counted in its [`Health`].
pub fn supervise(mut worker: Worker, stop: &AtomicBool, poll: Duration) {
    let health = worker.health();
    restart_on_panic(&health, Duration::from_secs(1), || worker.run(stop, poll));
}

/// Runs `run` until it returns; each time it panics, counts a restart in `health`, logs it,
/// waits (`pause`, doubled each time up to a minute) and runs it again.
fn restart_on_panic(health: &Health, mut pause: Duration, mut run: impl FnMut()) {
    health.running.store(true, Ordering::Relaxed);
    health.beat();
    while let Err(panic) = catch_unwind(AssertUnwindSafe(&mut run)) {
        let restarts = health.restarts.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::error!(
            restarts,
            "outbox worker stopped on a panic ({}); starting it again in {pause:?}",
            text::clip(&panic_message(&panic), 200)
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_secs(60));
    }
    health.running.store(false, Ordering::Relaxed);
}

/// Starts the supervised worker on a thread of its own (inside `sipas serve`); it stops with
/// the process or when the returned flag is set.
pub fn spawn(
    background: &crate::background::Background,
    worker: Worker,
) -> (Arc<AtomicBool>, Arc<Health>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let health = worker.health();
    // Running from now: the thread may take a moment to start.
    health.running.store(true, Ordering::Relaxed);
    health.beat();
    let spawned = std::thread::Builder::new()
        .name("sipas-outbox".into())
        .spawn(move || supervise(worker, &flag, POLL));
    match spawned {
        Ok(handle) => background.adopt(handle),
        Err(e) => {
            tracing::error!("cannot start the outbox worker's thread: {e}");
            health.running.store(false, Ordering::Relaxed);
        }
    }
    (stop, health)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_that_panics_is_started_again_and_counted() {
        let health = Health {
            patience: Duration::from_secs(60),
            ..Health::default()
        };
        let mut runs = 0;
        restart_on_panic(&health, Duration::from_millis(1), || {
            runs += 1;
            assert!(runs > 2, "a bug on run {runs}");
        });
        assert_eq!(runs, 3);
        assert_eq!(health.restarts.load(Ordering::Relaxed), 2);
        assert_eq!(
            health.problem().as_deref(),
            Some("the outbox worker is not running"),
            "once it has returned it is not running"
        );
    }

    #[test]
    fn a_silent_worker_is_a_problem() {
        let health = Health {
            patience: Duration::from_secs(5),
            ..Health::default()
        };
        health.running.store(true, Ordering::Relaxed);
        health.beat();
        assert_eq!(health.problem(), None);
        health.beat.store(Health::now() - 60, Ordering::Relaxed);
        assert!(health
            .problem()
            .unwrap()
            .contains("no sign of life for 60 s"));
    }
}
