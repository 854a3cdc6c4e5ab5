//! The ingest writer: desk submissions from all request handlers go through a bounded queue to
//! a few writer threads, each with its own PostgreSQL connection. A writer takes everything
//! queued (up to `MAX_BATCH`) and stores it with one statement, then answers each request.
//!
//! Under light load a batch is one rating and adds no delay; under heavy load one commit
//! serves dozens of ratings. A request is acknowledged only after its batch committed, so
//! nothing acknowledged is lost; a full queue answers "busy" (503) instead of growing.

use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::PgConnection;
use tokio::sync::oneshot;

use crate::db::{self, responses::PendingDesk, responses::Stored};

pub const MAX_BATCH: usize = 128;
const QUEUE: usize = 8_192;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the ingest queue is full")]
    Busy,
    #[error("the writer stopped")]
    Stopped,
    #[error("database: {0}")]
    Database(String),
}

struct Job {
    pending: PendingDesk,
    reply: oneshot::Sender<Result<Stored, WriteError>>,
}

pub struct Writer {
    tx: SyncSender<Job>,
}

impl Writer {
    /// Starts `threads` writers on `database_url` for the instrument `instrument_id`.
    pub fn start(database_url: &str, instrument_id: i32, threads: usize) -> Writer {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let url = database_url.to_owned();
            std::thread::Builder::new()
                .name(format!("sipas-writer-{i}"))
                .spawn(move || run(&url, instrument_id, &rx))
                .expect("cannot start a writer thread");
        }
        Writer { tx }
    }

    /// Queues one submission and waits for its batch to commit.
    pub async fn submit(&self, pending: PendingDesk) -> Result<Stored, WriteError> {
        let (reply, answer) = oneshot::channel();
        match self.tx.try_send(Job { pending, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(WriteError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(WriteError::Stopped),
        }
        answer.await.map_err(|_| WriteError::Stopped)?
    }
}

fn run(url: &str, instrument_id: i32, rx: &Mutex<Receiver<Job>>) {
    let mut conn: Option<PgConnection> = None;
    loop {
        let jobs = {
            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
            let Ok(first) = rx.recv() else { return };
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            jobs
        };
        let pending: Vec<&PendingDesk> = jobs.iter().map(|j| &j.pending).collect();
        // One retry on a fresh connection: a server restart or an administrator's
        // pg_terminate_backend should cost a reconnect, not a refused rating. Retrying is safe:
        // a batch that did commit before the connection dropped is recognised by its ids.
        let mut outcome = Err(WriteError::Database("no connection".into()));
        for attempt in 0..2 {
            if conn.is_none() {
                match db::connect(url) {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        tracing::error!(error = %e, "writer cannot connect");
                        std::thread::sleep(Duration::from_millis(200 * (attempt + 1)));
                        continue;
                    }
                }
            }
            let c = conn.as_mut().expect("connected above");
            match store(c, instrument_id, &pending) {
                Ok(results) => {
                    outcome = Ok(results);
                    break;
                }
                Err(e) => {
                    outcome = Err(WriteError::Database(e.to_string()));
                    // libpq does not always classify a dropped connection: ask it.
                    if db::ping(c).is_ok() {
                        break; // the connection is fine; the statement itself failed
                    }
                    tracing::warn!(error = %e, "writer lost its connection; reconnecting");
                    conn = None;
                }
            }
        }
        match outcome {
            Ok(results) => {
                for (job, r) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(r);
                }
            }
            Err(e) => {
                let message = e.to_string();
                for job in jobs {
                    let _ = job.reply.send(Err(WriteError::Database(message.clone())));
                }
            }
        }
    }
}

/// Stores one batch and says what happened to each rating, in order. Repeated submission ids
/// inside the batch (a double click landing in the same batch) are stored once. If the batch
/// statement fails on a working connection, each rating is retried alone, so one bad rating
/// cannot sink its neighbours. `Err` means the batch statement failed and its ratings may
/// be retried.
fn store(
    conn: &mut PgConnection,
    instrument_id: i32,
    batch: &[&PendingDesk],
) -> Result<Vec<Result<Stored, WriteError>>, diesel::result::Error> {
    let mut first_of: HashMap<uuid::Uuid, usize> = HashMap::new();
    let mut unique: Vec<&PendingDesk> = Vec::with_capacity(batch.len());
    let mut slot = Vec::with_capacity(batch.len());
    for p in batch {
        let id = p.submission.id;
        match first_of.get(&id) {
            Some(&u) => slot.push((u, true)),
            None => {
                first_of.insert(id, unique.len());
                slot.push((unique.len(), false));
                unique.push(p);
            }
        }
    }
    let one = |conn: &mut PgConnection, p: &PendingDesk| {
        db::responses::insert_desk_submission(
            conn,
            p.desk_id,
            p.key_version,
            instrument_id,
            p.channel,
            &p.submission,
        )
    };
    let results: Vec<Result<Stored, WriteError>> = if unique.len() == 1 {
        vec![Ok(one(conn, unique[0])?)]
    } else {
        match db::responses::insert_desk_batch(conn, instrument_id, &unique) {
            Ok(r) => r.into_iter().map(Ok).collect(),
            Err(e) => {
                if db::ping(conn).is_err() {
                    return Err(e);
                }
                tracing::warn!(error = %e, size = unique.len(), "batch failed; storing its ratings one by one");
                unique
                    .iter()
                    .map(|p| one(conn, p).map_err(|e| WriteError::Database(e.to_string())))
                    .collect()
            }
        }
    };
    Ok(slot
        .into_iter()
        .map(|(u, repeat)| match (&results[u], repeat) {
            (Ok(Stored::Created), true) => Ok(Stored::Duplicate),
            (Ok(s), _) => Ok(*s),
            (Err(e), _) => Err(WriteError::Database(e.to_string())),
        })
        .collect())
}
