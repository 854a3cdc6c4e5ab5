//! The ingest writer: desk submissions from all request handlers go through a bounded queue to
//! a few writer threads, each with its own PostgreSQL connection. A writer takes everything
//! queued (up to `MAX_BATCH`) and stores it with one statement, then answers each request.
//!
//! Under light load a batch is one rating and adds no delay; under heavy load one commit
//! serves dozens of ratings. A request is acknowledged only after its batch committed, so
//! nothing acknowledged is lost; a full queue answers "busy" (503) instead of growing.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::db::{self, responses::PendingDesk, responses::Stored, Conn, QueryError};
use crate::domain::FormSpec;
use crate::results::rollup;

pub const MAX_BATCH: usize = 128;

/// How long a request waits for its batch to commit. A database that stalls (a paused server,
/// a lock) would otherwise hold the citizen's phone until it wakes; past this, the request is
/// answered 503 with `Retry-After`, not acknowledged. Its rating may still commit later: the
/// retry, with the same submission id, is then thanked as a duplicate and stores nothing.
pub const ACK_DEADLINE: Duration = Duration::from_secs(4);

#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    #[error("the ingest queue is full")]
    Busy,
    #[error("the writer stopped")]
    Stopped,
    #[error("cannot reach the database")]
    Unreachable,
    #[error("the database did not confirm the batch in time")]
    TooSlow,
    #[error("the database refused or lost the batch")]
    Database(#[source] Arc<QueryError>),
}

impl WriteError {
    /// Whether waiting may help (see `Fault::database`); `None` for a database error, which
    /// its own cause classifies.
    pub fn is_transient(&self) -> Option<bool> {
        match self {
            WriteError::Database(_) => None,
            _ => Some(true),
        }
    }
}

struct Job {
    pending: PendingDesk,
    reply: oneshot::Sender<Result<Stored, WriteError>>,
}

pub struct Writer {
    tx: SyncSender<Job>,
    /// The server's metrics: the queue's depth, each batch's size and commit time.
    metrics: Arc<crate::metrics::Metrics>,
}

impl Writer {
    /// Starts `threads` writers on `database_url` for the desk form `form`, with room for
    /// `queue` waiting submissions.
    pub fn start(
        background: &crate::background::Background,
        database_url: &str,
        form: Arc<FormSpec>,
        threads: usize,
        queue: usize,
        screening: crate::config::Screening,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Writer {
        let (tx, rx) = sync_channel::<Job>(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let url = database_url.to_owned();
            let form = Arc::clone(&form);
            let screening = screening.clone();
            let metrics = Arc::clone(&metrics);
            let handle = std::thread::Builder::new()
                .name(format!("sipas-writer-{i}"))
                .spawn(move || run(&url, &form, &screening, i as i16, &rx, &metrics))
                .expect("cannot start a writer thread");
            background.adopt(handle);
        }
        Writer { tx, metrics }
    }

    /// Queues one submission and waits for its batch to commit.
    pub async fn submit(&self, pending: PendingDesk) -> Result<Stored, WriteError> {
        let (reply, answer) = oneshot::channel();
        match self.tx.try_send(Job { pending, reply }) {
            Ok(()) => {
                self.metrics
                    .queue_depth
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) => return Err(WriteError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(WriteError::Stopped),
        }
        match tokio::time::timeout(ACK_DEADLINE, answer).await {
            Ok(answered) => answered.map_err(|_| WriteError::Stopped)?,
            Err(_) => Err(WriteError::TooSlow),
        }
    }
}

fn next_batch(rx: &Mutex<Receiver<Job>>) -> Option<Vec<Job>> {
    let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
    let first = rx.recv().ok()?;
    let mut jobs = vec![first];
    while jobs.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
    Some(jobs)
}

/// One writer thread; `shard` is its own stripe of the aggregates.
fn run(
    url: &str,
    form: &FormSpec,
    screening: &crate::config::Screening,
    shard: i16,
    rx: &Mutex<Receiver<Job>>,
    metrics: &crate::metrics::Metrics,
) {
    let mut conn: Option<Conn> = None;
    while let Some(jobs) = next_batch(rx) {
        metrics
            .queue_depth
            .fetch_sub(jobs.len() as i64, std::sync::atomic::Ordering::Relaxed);
        let pending: Vec<&PendingDesk> = jobs.iter().map(|j| &j.pending).collect();
        let started = std::time::Instant::now();
        let stored = store_with_reconnect(&mut conn, url, form, screening, shard, &pending);
        metrics.batch(jobs.len(), started.elapsed().as_secs_f64());
        match stored {
            Ok(results) => {
                for (job, r) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(r.map_err(WriteError::Database));
                }
            }
            Err(e) => {
                for job in jobs {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// One retry on a fresh connection: a server restart or an administrator's
/// `pg_terminate_backend` should cost a reconnect, not a refused rating. Retrying is safe: a
/// batch that did commit before the connection dropped is recognised by its ids.
#[tracing::instrument(name = "ingest batch", skip_all, fields(shard = shard, ratings = pending.len()))]
fn store_with_reconnect(
    conn: &mut Option<Conn>,
    url: &str,
    form: &FormSpec,
    screening: &crate::config::Screening,
    shard: i16,
    pending: &[&PendingDesk],
) -> Result<Vec<db::responses::BatchResult>, WriteError> {
    // The ratings stored anew add to the daily aggregates, in the same transaction.
    let cells = |stored: &[&PendingDesk]| rollup::deltas(form, stored).map_err(|e| e.to_string());
    let mut last = WriteError::Unreachable;
    for attempt in 0..2u64 {
        if conn.is_none() {
            match db::connect(url) {
                Ok(c) => *conn = Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "writer cannot connect");
                    std::thread::sleep(Duration::from_millis(200 * (attempt + 1)));
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("connected above");
        let screen = |c: &mut Conn, created: &[&PendingDesk]| {
            super::screening::screen(c, form, screening, created)
        };
        match db::responses::store_desk_batch(c, form, pending, &cells, &screen, shard) {
            Ok(results) => return Ok(results),
            Err(e) => {
                // libpq does not always classify a dropped connection: ask it.
                let alive = db::ping(c).is_ok();
                tracing::warn!(error = %e, alive, "storing a batch failed");
                last = WriteError::Database(Arc::new(e));
                if alive {
                    break; // the connection is fine; the statement itself failed
                }
                *conn = None;
            }
        }
    }
    Err(last)
}
