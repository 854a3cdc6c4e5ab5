//! The outbox worker: claims due messages one at a time (several workers on several nodes
//! never take the same one), composes each from the sampled unit's contact at sending time,
//! hands it to the SMTP server, and records how the attempt ended. Messages whose worker died
//! are recovered by the next worker (see `db::outbox::recover_expired`). Logs name message ids,
//! never addresses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use lettre::message::Mailbox;

use super::compose;
use super::smtp::{Handed, Sender};
use crate::config::{MailTiming, Smtp};
use crate::db::outbox::{self, Claimed, Ended};
use crate::db::{self, DbPool};
use crate::domain::invitation::Invitation;
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
        })
    }

    /// Sends every due message, then returns (the connection closed).
    pub fn pass(&mut self) -> Result<Pass> {
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
    fn attempt(&mut self, conn: &mut db::Conn, claimed: &Claimed) -> Option<Ended> {
        let who = match outbox::recipient(conn, claimed.sample_unit_id) {
            Ok(Some(w)) => w,
            Ok(None) => {
                return Some(Ended::Failed(
                    "the unit has no e-mail address (contacts purged?)".into(),
                ))
            }
            Err(_) => return None,
        };
        let Ok(to_address) = who.email.parse::<lettre::Address>() else {
            return Some(Ended::Failed("the e-mail address is not valid".into()));
        };
        let code = Invitation {
            unit_id: claimed.sample_unit_id,
        }
        .sign(&self.key);
        let signature = self.from.name.clone().unwrap_or_default();
        let text = compose::text(
            &claimed.kind,
            &claimed.lang,
            &who,
            &code,
            &self.base_url,
            &signature,
        );
        let to = Mailbox::new(who.name.clone(), to_address.clone());
        let message =
            match compose::message(self.views, &self.from, &to, &claimed.message_id, &text) {
                Ok(m) => m,
                Err(e) => return Some(Ended::Failed(format!("{e:#}"))),
            };
        let body = message.formatted();
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
        while !stop.load(Ordering::Relaxed) {
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

fn outcome_name(e: &Ended) -> &'static str {
    match e {
        Ended::Sent(_) => "sent",
        Ended::Retry { .. } => "retry",
        Ended::Failed(_) => "failed",
        Ended::Uncertain(_) => "uncertain",
    }
}

/// Starts the worker on a thread of its own (inside `sipas serve`); it stops with the process.
pub fn spawn(worker: Worker) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("sipas-outbox".into())
        .spawn(move || {
            let mut worker = worker;
            worker.run(&flag, Duration::from_secs(2));
        })
        .expect("a thread can be started");
    stop
}
